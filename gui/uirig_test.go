package gui

import (
	"image"
	"image/color"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"github.com/calla-rtc/calla/call"
	"github.com/calla-rtc/calla/media"
	"github.com/calla-rtc/calla/signaling"
)

// uiRig is a rig with the views in a test window (Fyne's test driver: no
// display, a software painter for screenshots).
type uiRig struct {
	*rig
	app fyne.App
	win fyne.Window
	ui  *ui
}

// windowSize is the main window's size in the tests and screenshots.
var windowSize = fyne.NewSize(960, 640)

func newUIRig(t *testing.T, opts ...rigOption) *uiRig {
	t.Helper()
	return newUIRigTB(t, newRig(t, opts...))
}

// newBenchUIRig is a uiRig for a benchmark.
func newBenchUIRig(b *testing.B) *uiRig {
	return newUIRigTB(b, newRigTB(b))
}

func newUIRigTB(t testing.TB, r *rig) *uiRig {
	a := fyne.CurrentApp()
	w := a.NewWindow(Title)
	t.Cleanup(w.Close)
	// The test driver runs fyne.Do at once on the caller's goroutine;
	// so does this rig, which keeps every change on the test goroutine.
	u := newUI(a, w, r.m, r.eng, func(f func()) { f() })
	w.Resize(windowSize)
	ur := &uiRig{rig: r, app: a, win: w, ui: u}
	u.rebuilt = func(n *ui) { ur.ui = n } // a new language
	return ur
}

// testPattern is a frame of colour bars, standing in for video.
func testPattern(w, h int, shade uint8) *image.RGBA {
	bars := []color.RGBA{
		{0xC0, 0xC0, 0xC0, 0xFF}, {0xC0, 0xC0, 0x00, 0xFF}, {0x00, 0xC0, 0xC0, 0xFF}, {0x00, 0xC0, 0x00, 0xFF},
		{0xC0, 0x00, 0xC0, 0xFF}, {0xC0, 0x00, 0x00, 0xFF}, {0x00, 0x00, 0xC0, 0xFF},
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := bars[x*len(bars)/w]
			if y > h*3/4 {
				v := uint8(x * 255 / w)
				c = color.RGBA{v, v, shade, 0xFF}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

// The main screens, each brought about through the Model as a user and
// the engine would.

func (r *uiRig) screenLogin() {
	r.ui.login.prefill("ws://192.168.1.10:8443/ws", "alice", "")
}

func (r *uiRig) screenContacts() {
	r.login()
	r.apply(
		&call.PresenceChanged{UserID: "erin", Nickname: "Erin Walsh", Presence: signaling.Online},
		&call.PresenceChanged{UserID: "frank", Nickname: "Frank Ohara", Presence: signaling.Offline},
	)
}

func (r *uiRig) screenOutgoing() {
	r.screenContacts()
	r.m.CallUser("bob", signaling.Video)
	if s := r.eng.LocalSink(); s != nil {
		s.OfferFrame(testPattern(640, 480, 0x40), func() {})
	}
}

func (r *uiRig) screenIncoming() {
	r.screenContacts()
	r.apply(&call.CallReceived{CallID: "c1", CallerID: "bob", GroupID: "g1",
		CalleeIDList: []signaling.UserID{"alice", "carol", "erin"}, CallMediaType: signaling.Video})
	// The dialog's preview of the user's own camera.
	if s := r.eng.LocalSink(); s != nil {
		s.OfferFrame(testPattern(640, 480, 0x40), func() {})
	}
}

func (r *uiRig) screenCall1v1() {
	r.screenContacts()
	r.connected(signaling.Video, false)
	r.apply(&call.UserNetworkQualityChanged{CallID: "c1", NetworkQuality: map[signaling.UserID]media.Quality{
		"alice": media.QualityExcellent, "bob": media.QualityGood,
	}}, &call.UserVoiceVolumeChanged{CallID: "c1", VolumeMap: map[signaling.UserID]int{"bob": 40}},
		&call.NetworkPathChanged{CallID: "c1", Paths: map[signaling.UserID]call.NetworkPath{
			"bob": {Via: call.ViaDirect, Local: media.CandidateSrflx, Remote: media.CandidateSrflx, RTTMs: 23}}})
	r.eng.RemoteSink("bob").OfferFrame(testPattern(640, 480, 0xC0), func() {})
	r.eng.LocalSink().OfferFrame(testPattern(640, 480, 0x40), func() {})
	r.clock.advance(83 * time.Second)
	r.m.Tick()
}

// screenGroup4: alice, bob (video, speaking), carol (camera off, muted)
// and dave (still being invited).
func (r *uiRig) screenGroup4() {
	r.screenContacts()
	r.connected(signaling.Video, true)
	r.apply(
		&call.UserJoin{CallID: "c1", UserID: "carol"},
		&call.UserInviting{CallID: "c1", UserID: "dave"},
		&call.UserVideoAvailable{CallID: "c1", UserID: "carol", IsVideoAvailable: false},
		&call.UserAudioAvailable{CallID: "c1", UserID: "carol", IsAudioAvailable: false},
		&call.UserVoiceVolumeChanged{CallID: "c1", VolumeMap: map[signaling.UserID]int{"bob": 60, "alice": 0}},
		&call.UserNetworkQualityChanged{CallID: "c1", NetworkQuality: map[signaling.UserID]media.Quality{
			"alice": media.QualityGood, "bob": media.QualityExcellent, "carol": media.QualityBad,
		}},
		&call.NetworkPathChanged{CallID: "c1", Paths: map[signaling.UserID]call.NetworkPath{
			"bob":   {Via: call.ViaDirect, Local: media.CandidateHost, Remote: media.CandidateSrflx, RTTMs: 31},
			"carol": {Via: call.ViaRelay, Local: media.CandidateRelay, Remote: media.CandidatePrflx, Protocol: "udp", RTTMs: 96}}},
	)
	r.eng.RemoteSink("bob").OfferFrame(testPattern(640, 480, 0xC0), func() {})
	r.eng.LocalSink().OfferFrame(testPattern(640, 480, 0x40), func() {})
	r.clock.advance(5*time.Minute + 7*time.Second)
	r.m.Tick()
}

func (r *uiRig) screenHistory() {
	r.screenContacts()
	r.connected(signaling.Video, false)
	r.clock.advance(2*time.Minute + 13*time.Second)
	r.m.Hangup()
	r.ringing(signaling.Audio, false)
	r.apply(&call.CallCancelled{CallID: "c1", CallerID: "bob", Reason: signaling.ReasonCanceled})
	r.eng.SetCallID("c2")
	r.m.CallUser("erin", signaling.Audio)
	r.apply(&call.UserReject{CallID: "c2", UserID: "erin"}, &call.CallCancelled{CallID: "c2", CallerID: "alice", Reason: signaling.ReasonReject})
	r.eng.SetCallID("c3")
	r.m.GroupCall([]signaling.UserID{"bob", "carol"}, signaling.Video)
	r.apply(&call.CallBegin{CallID: "c3", CallMediaType: signaling.Video, CallRole: signaling.RoleCaller})
	r.clock.advance(40 * time.Second)
	r.apply(&call.CallEnd{CallID: "c3", TotalTime: 40, Reason: signaling.ReasonHangup})
	r.clock.advance(10 * time.Second)
	r.m.Tick() // the toasts go
	r.m.ShowScreen(ScreenHistory)
}

func (r *uiRig) screenSettings() {
	r.screenContacts()
	r.m.ShowScreen(ScreenSettings)
}

// mainScreens are the screens with a golden and a screenshot.
var mainScreens = []struct {
	name string
	make func(r *uiRig)
}{
	{"login", (*uiRig).screenLogin},
	{"contacts", (*uiRig).screenContacts},
	{"outgoing", (*uiRig).screenOutgoing},
	{"incoming", (*uiRig).screenIncoming},
	{"call_1v1_video", (*uiRig).screenCall1v1},
	{"call_group_4", (*uiRig).screenGroup4},
	{"history", (*uiRig).screenHistory},
	{"settings", (*uiRig).screenSettings},
}
