package gui

import (
	"context"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/calla-rtc/calla/call"
	"github.com/calla-rtc/calla/gui/guitest"
	"github.com/calla-rtc/calla/signaling"
)

// syncRunner runs each action at once on the caller's goroutine: view
// model tests see the engine call and its result before the action
// method returns.
type syncRunner struct{}

func (syncRunner) Go(_ string, fn func(context.Context) error, done func(error)) func() bool {
	err := fn(context.Background())
	if done != nil {
		done(err)
	}
	return func() bool { return false }
}

// heldRunner keeps actions until the test releases them: for what
// happens while an engine call is still under way.
type heldRunner struct {
	items []*heldAction
}

type heldAction struct {
	name      string
	fn        func(context.Context) error
	done      func(error)
	cancelled bool
	ran       bool
}

func (h *heldRunner) Go(name string, fn func(context.Context) error, done func(error)) func() bool {
	a := &heldAction{name: name, fn: fn, done: done}
	h.items = append(h.items, a)
	return func() bool {
		if a.ran || a.cancelled {
			return false
		}
		a.cancelled = true
		if a.done != nil {
			a.done(ErrStopped)
		}
		return true
	}
}

// release runs the held actions in order.
func (h *heldRunner) release() {
	for len(h.items) > 0 {
		a := h.items[0]
		h.items = h.items[1:]
		if a.cancelled {
			continue
		}
		a.ran = true
		err := a.fn(context.Background())
		if a.done != nil {
			a.done(err)
		}
	}
}

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

// rig is a Model over the fake engine, with a clock the test moves.
type rig struct {
	t      testing.TB
	eng    *guitest.FakeEngine
	sounds *guitest.RecordingSounds
	clock  *fakeClock
	m      *Model
	notes  []string // desktop notifications: "title: body"
	saved  int      // history saves
	parts  Part     // parts changed since the test last looked
}

type rigOption func(*modelConfig)

func withRunner(r runner) rigOption { return func(c *modelConfig) { c.Runner = r } }
func localMode(echo signaling.UserID) rigOption {
	return func(c *modelConfig) {
		c.Local, c.EchoUser = true, echo
		c.LocalLogin = call.LoginParams{Server: "ws://127.0.0.1:9/ws", UserID: "alice"}
	}
}

func newRig(t *testing.T, opts ...rigOption) *rig { return newRigTB(t, opts...) }

func newRigTB(t testing.TB, opts ...rigOption) *rig {
	t.Helper()
	a := test.NewTempApp(t)
	r := &rig{
		t: t, eng: guitest.NewFakeEngine(), sounds: &guitest.RecordingSounds{},
		clock: &fakeClock{t: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)},
	}
	cfg := modelConfig{
		Engine: r.eng, Runner: syncRunner{}, Sounds: r.sounds, Settings: NewSettings(a.Preferences()),
		Save:       func([]HistoryEntry) error { r.saved++; return nil },
		Notify:     func(title, body string) { r.notes = append(r.notes, title+": "+body) },
		Now:        r.clock.now,
		NewGroupID: func() signaling.GroupID { return "g1" },
	}
	for _, o := range opts {
		o(&cfg)
	}
	r.m = newModel(cfg)
	r.m.SetOnChange(func(p Part) { r.parts |= p })
	return r
}

// login signs alice in and fills the directory with bob, carol, dave.
func (r *rig) login() *rig {
	r.m.Login(call.LoginParams{Server: "ws://127.0.0.1:9/ws", UserID: "alice"})
	if !r.m.LoggedIn {
		r.t.Fatalf("login did not complete: status %q", r.m.LoginStatus)
	}
	r.m.ApplyBatch([]call.Event{
		&call.PresenceChanged{UserID: "bob", Nickname: "Bob", Presence: signaling.Online},
		&call.PresenceChanged{UserID: "carol", Presence: signaling.Online},
		&call.PresenceChanged{UserID: "dave", Presence: signaling.InCall},
	})
	r.eng.Reset()
	return r
}

func (r *rig) apply(evs ...call.Event) { r.m.ApplyBatch(evs) }

// ringing: bob calls alice (and carol, for a group call).
func (r *rig) ringing(mt signaling.MediaType, group bool) *rig {
	ev := &call.CallReceived{CallID: "c1", CallerID: "bob", CalleeIDList: []signaling.UserID{"alice"}, CallMediaType: mt}
	if group {
		ev.CalleeIDList = []signaling.UserID{"alice", "carol"}
		ev.GroupID = "g1"
	}
	r.apply(ev)
	return r
}

// dialing: alice calls bob (1v1) or bob and carol (group).
func (r *rig) dialing(mt signaling.MediaType, group bool) *rig {
	if group {
		r.m.GroupCall([]signaling.UserID{"bob", "carol"}, mt)
	} else {
		r.m.CallUser("bob", mt)
	}
	return r
}

// connected: alice's call to bob (and carol) has begun and bob joined.
func (r *rig) connected(mt signaling.MediaType, group bool) *rig {
	r.dialing(mt, group)
	r.apply(
		&call.CallBegin{CallID: "c1", RoomID: signaling.RoomID{IntRoomID: 7, StrRoomID: "7"}, CallMediaType: mt, CallRole: signaling.RoleCaller},
		&call.UserJoin{CallID: "c1", UserID: "bob"},
	)
	return r
}

func (r *rig) lastToast() string {
	ts := r.m.Toasts()
	if len(ts) == 0 {
		return ""
	}
	return ts[len(ts)-1].Text
}

func (r *rig) toastTexts() []string {
	var out []string
	for _, t := range r.m.Toasts() {
		out = append(out, t.Text)
	}
	return out
}
