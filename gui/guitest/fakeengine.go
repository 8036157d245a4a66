package guitest

import (
	"context"
	"fmt"
	"image"
	"slices"
	"strings"
	"sync"

	"github.com/calla-rtc/calla/call"
	"github.com/calla-rtc/calla/signaling"
)

// Call is one method call the fake received: the method's name and its
// arguments, formatted.
type Call struct {
	Method string
	Args   string
}

func (c Call) String() string {
	if c.Args == "" {
		return c.Method
	}
	return c.Method + "(" + c.Args + ")"
}

// FakeEngine is a fake gui.Engine. It records every call, returns the
// error set with Fail for a method (nil otherwise), emits what Emit is
// given on Events, and keeps the video sinks the GUI registers so that a
// test can push frames into them.
type FakeEngine struct {
	events chan call.Event

	mu        sync.Mutex
	calls     []Call
	fail      map[string]error
	devices   []call.Device
	groups    []signaling.GroupInfo
	remote    map[signaling.UserID]call.VideoSink
	local     call.VideoSink
	callID    signaling.CallID // what Call, GroupCall and JoinInGroupCall return
	closeOnce sync.Once
}

// NewFakeEngine returns a fake with a camera, a microphone and a speaker.
func NewFakeEngine() *FakeEngine {
	return &FakeEngine{
		events: make(chan call.Event, 1024),
		fail:   map[string]error{},
		remote: map[signaling.UserID]call.VideoSink{},
		callID: "c1",
		devices: []call.Device{
			{ID: "cam0", Label: "Test pattern", Kind: "camera", IsTestSource: true},
			{ID: "mic0", Label: "Test tone", Kind: "microphone", IsTestSource: true},
			{ID: "spk0", Label: "Null output", Kind: "speaker"},
		},
	}
}

// Emit sends events on Events, in order.
func (f *FakeEngine) Emit(evs ...call.Event) {
	for _, ev := range evs {
		f.events <- ev
	}
}

// Close closes Events, as the real engine does when it closes.
func (f *FakeEngine) Close() { f.closeOnce.Do(func() { close(f.events) }) }

// Fail makes method return err from now on; nil makes it succeed again.
func (f *FakeEngine) Fail(method string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err == nil {
		delete(f.fail, method)
		return
	}
	f.fail[method] = err
}

// SetCallID sets the call ID that Call, GroupCall and JoinInGroupCall
// return (at first "c1").
func (f *FakeEngine) SetCallID(id signaling.CallID) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.callID = id
}

// placed records method and returns the call ID (none when it fails).
func (f *FakeEngine) placed(method string, args ...any) (signaling.CallID, error) {
	if err := f.record(method, args...); err != nil {
		return "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.callID, nil
}

// SetDevices sets what Devices returns.
func (f *FakeEngine) SetDevices(ds []call.Device) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.devices = slices.Clone(ds)
}

// Calls are the calls received so far, in order.
func (f *FakeEngine) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// Methods are the names of the calls received so far, in order, without
// the view calls (StartRemoteView, ...) and Devices, which the GUI makes
// as it draws.
func (f *FakeEngine) Methods() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		switch c.Method {
		case "StartRemoteView", "StopRemoteView", "StartLocalPreview", "StopLocalPreview", "Devices":
			continue
		}
		out = append(out, c.Method)
	}
	return out
}

// Last is the last call of method, and whether there was one.
func (f *FakeEngine) Last(method string) (Call, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.calls) - 1; i >= 0; i-- {
		if f.calls[i].Method == method {
			return f.calls[i], true
		}
	}
	return Call{}, false
}

// Count is how many times method was called.
func (f *FakeEngine) Count(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c.Method == method {
			n++
		}
	}
	return n
}

// Reset forgets the calls received so far.
func (f *FakeEngine) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = nil
}

// RemoteSink is the sink registered for user, or nil.
func (f *FakeEngine) RemoteSink(user signaling.UserID) call.VideoSink {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.remote[user]
}

// LocalSink is the local preview's sink, or nil.
func (f *FakeEngine) LocalSink() call.VideoSink {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.local
}

// SendRemoteFrame writes a frame of one colour into user's sink and
// reports whether there was a sink.
func (f *FakeEngine) SendRemoteFrame(user signaling.UserID, w, h int, fill [4]uint8) bool {
	s := f.RemoteSink(user)
	if s == nil {
		return false
	}
	s.OfferFrame(SolidFrame(w, h, fill), func() {})
	return true
}

// SolidFrame is a w×h frame of one RGBA colour.
func SolidFrame(w, h int, fill [4]uint8) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		copy(img.Pix[i:i+4], fill[:])
	}
	return img
}

func (f *FakeEngine) record(method string, args ...any) error {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = fmt.Sprint(a)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, Call{Method: method, Args: strings.Join(parts, ", ")})
	return f.fail[method]
}

func (f *FakeEngine) Events() <-chan call.Event { return f.events }

// Login records the server and user, and the profile when there is one.
func (f *FakeEngine) Login(_ context.Context, p call.LoginParams) error {
	if p.Nickname != "" || p.AvatarURL != "" {
		return f.record("Login", p.Server, p.UserID, p.Nickname, p.AvatarURL)
	}
	return f.record("Login", p.Server, p.UserID)
}
func (f *FakeEngine) Logout(context.Context) error { return f.record("Logout") }
func (f *FakeEngine) SetSelfInfo(_ context.Context, nickname, avatarURL string) error {
	return f.record("SetSelfInfo", nickname, avatarURL)
}
func (f *FakeEngine) Call(_ context.Context, user signaling.UserID, mt signaling.MediaType, _ call.Params) (signaling.CallID, error) {
	return f.placed("Call", user, mt)
}
func (f *FakeEngine) GroupCall(_ context.Context, group signaling.GroupID, users []signaling.UserID, mt signaling.MediaType, _ call.Params) (signaling.CallID, error) {
	return f.placed("GroupCall", group, users, mt)
}
func (f *FakeEngine) JoinInGroupCall(_ context.Context, group signaling.GroupID, mt signaling.MediaType) (signaling.CallID, error) {
	return f.placed("JoinInGroupCall", group, mt)
}
func (f *FakeEngine) Accept(context.Context) error        { return f.record("Accept") }
func (f *FakeEngine) AcceptAsAudio(context.Context) error { return f.record("AcceptAsAudio") }
func (f *FakeEngine) Reject(context.Context) error        { return f.record("Reject") }
func (f *FakeEngine) Ignore(context.Context) error        { return f.record("Ignore") }
func (f *FakeEngine) Hangup(context.Context) error        { return f.record("Hangup") }
func (f *FakeEngine) InviteUser(_ context.Context, users []signaling.UserID, _ call.Params) error {
	return f.record("InviteUser", users)
}
func (f *FakeEngine) SwitchCallMediaType(_ context.Context, mt signaling.MediaType) error {
	return f.record("SwitchCallMediaType", mt)
}

// SetGroups sets what Groups returns.
func (f *FakeEngine) SetGroups(gs []signaling.GroupInfo) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.groups = gs
}

// Groups returns what SetGroups set; it is not recorded (the app asks at
// every visit of the contact list).
func (f *FakeEngine) Groups(context.Context) ([]signaling.GroupInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.groups, f.fail["Groups"]
}

func (f *FakeEngine) StartScreenShare(_ context.Context, screenID string) error {
	return f.record("StartScreenShare", screenID)
}
func (f *FakeEngine) StopScreenShare(context.Context) error { return f.record("StopScreenShare") }
func (f *FakeEngine) OpenCamera(context.Context) error      { return f.record("OpenCamera") }
func (f *FakeEngine) CloseCamera(context.Context) error     { return f.record("CloseCamera") }
func (f *FakeEngine) SwitchCamera(_ context.Context, id string) error {
	return f.record("SwitchCamera", id)
}
func (f *FakeEngine) OpenMicrophone(context.Context) error  { return f.record("OpenMicrophone") }
func (f *FakeEngine) CloseMicrophone(context.Context) error { return f.record("CloseMicrophone") }
func (f *FakeEngine) SelectMicrophone(_ context.Context, id string) error {
	return f.record("SelectMicrophone", id)
}
func (f *FakeEngine) SelectAudioPlaybackDevice(_ context.Context, id string) error {
	return f.record("SelectAudioPlaybackDevice", id)
}
func (f *FakeEngine) SetEchoCancellation(_ context.Context, on bool) error {
	return f.record("SetEchoCancellation", on)
}
func (f *FakeEngine) SetVideoEncoderParams(_ context.Context, p call.VideoEncoderParams) error {
	return f.record("SetVideoEncoderParams", p)
}
func (f *FakeEngine) Devices() ([]call.Device, error) {
	err := f.record("Devices")
	f.mu.Lock()
	defer f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return slices.Clone(f.devices), nil
}
func (f *FakeEngine) StartRemoteView(user signaling.UserID, sink call.VideoSink) {
	f.record("StartRemoteView", user)
	f.mu.Lock()
	f.remote[user] = sink
	f.mu.Unlock()
}
func (f *FakeEngine) StopRemoteView(user signaling.UserID) {
	f.record("StopRemoteView", user)
	f.mu.Lock()
	delete(f.remote, user)
	f.mu.Unlock()
}
func (f *FakeEngine) StartLocalPreview(sink call.VideoSink) {
	f.record("StartLocalPreview")
	f.mu.Lock()
	f.local = sink
	f.mu.Unlock()
}
func (f *FakeEngine) StopLocalPreview() {
	f.record("StopLocalPreview")
	f.mu.Lock()
	f.local = nil
	f.mu.Unlock()
}
