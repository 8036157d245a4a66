package gui

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/calla-rtc/calla/call"
	"github.com/calla-rtc/calla/gui/guitest"
	"github.com/calla-rtc/calla/signaling"
)

// pumpUntil runs what reaches the UI goroutine until cond holds.
func (q *uiQueue) pumpUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for !cond() {
		select {
		case f := <-q.ch:
			f()
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// drain runs what is queued for the UI goroutine until stop has returned,
// so that nothing the session's goroutines queued is left behind.
func (q *uiQueue) drainWhile(stop func()) {
	done := make(chan struct{})
	go func() { stop(); close(done) }()
	for {
		select {
		case f := <-q.ch:
			f()
		case <-done:
			return
		}
	}
}

func startTestSession(t *testing.T, eng *guitest.FakeEngine, opts Options) (*session, *uiQueue, fyne.App) {
	t.Helper()
	a := test.NewTempApp(t)
	w := a.NewWindow(Title)
	t.Cleanup(w.Close)
	ui := newUIQueue()
	opts.Engine = eng
	opts.Logger = quiet
	if opts.Data == "" {
		opts.Data = t.TempDir()
	}
	return startSession(a, w, opts, ui.do), ui, a
}

// TestSessionFromEventsToScreen runs the real goroutines of a session
// (the event loop, the ticker, the action queue) with the fake engine:
// local mode signs in, an incoming call rings with a desktop notification
// while the window is not focused, is accepted, begins, and ends; the
// session then stops with no goroutine left (TestMain checks).
func TestSessionFromEventsToScreen(t *testing.T) {
	eng := guitest.NewFakeEngine()
	sounds := &guitest.RecordingSounds{}
	s, ui, a := startTestSession(t, eng, Options{
		Local: true, Server: "ws://127.0.0.1:9/ws", User: "alice", EchoUser: "echo", Sounds: sounds,
	})
	ui.pumpUntil(t, "local sign-in", func() bool { return s.m.LoggedIn })

	a.Lifecycle().(interface{ OnExitedForeground() func() }).OnExitedForeground()()
	test.AssertNotificationSent(t, &fyne.Notification{Title: "Incoming video call", Content: "Echo Test is calling you"}, func() {
		eng.Emit(&call.CallReceived{CallID: "c1", CallerID: "echo", CalleeIDList: []signaling.UserID{"alice"}, CallMediaType: signaling.Video})
		ui.pumpUntil(t, "ringing", func() bool { return s.m.Call.Phase == PhaseRinging })
	})
	want(t, "sound", sounds.Playing(), "ring")

	s.m.Accept()
	ui.pumpUntil(t, "Accept to reach the engine", func() bool { return eng.Count("Accept") == 1 })
	eng.Emit(&call.CallBegin{CallID: "c1", CallMediaType: signaling.Video, CallRole: signaling.RoleCallee},
		&call.UserJoin{CallID: "c1", UserID: "echo"})
	ui.pumpUntil(t, "the call", func() bool { return s.m.Screen == ScreenInCall && s.m.Call.Member("echo").State == TileJoined })
	eng.Emit(&call.CallEnd{CallID: "c1", TotalTime: 4, Reason: signaling.ReasonHangup})
	ui.pumpUntil(t, "the end of the call", func() bool { return s.m.Screen == ScreenContacts })
	want(t, "sound", sounds.Playing(), "")

	ui.drainWhile(s.stop)
}

// TestHistorySurvivesARestart: a call filed in one session is in the
// history of the next one, read from the data directory.
func TestHistorySurvivesARestart(t *testing.T) {
	dir := t.TempDir()
	eng := guitest.NewFakeEngine()
	s, ui, _ := startTestSession(t, eng, Options{Data: dir})
	s.m.Login(call.LoginParams{Server: "ws://127.0.0.1:9/ws", UserID: "alice"})
	ui.pumpUntil(t, "sign-in", func() bool { return s.m.LoggedIn })
	s.m.CallUser("bob", signaling.Audio)
	eng.Emit(&call.UserNoResponse{CallID: "c1", UserID: "bob"},
		&call.CallCancelled{CallID: "c1", CallerID: "alice", Reason: signaling.ReasonNoResponse})
	ui.pumpUntil(t, "the call to end", func() bool { return len(s.m.History.Entries()) == 1 })
	ui.drainWhile(s.stop) // the save is queued; stop lets it run

	s2, ui2, _ := startTestSession(t, guitest.NewFakeEngine(), Options{Data: dir})
	defer ui2.drainWhile(s2.stop)
	es := s2.m.History.Entries()
	if len(es) != 1 || es[0].Kind != HistoryOutgoing || es[0].Outcome != OutcomeNoAnswer || es[0].Peers[0] != "bob" {
		t.Fatalf("history after restart = %+v", es)
	}
}

// TestEngineClosingStopsTheEventLoop: when the engine closes its event
// channel, the loop ends; stop still returns.
func TestEngineClosingStopsTheEventLoop(t *testing.T) {
	eng := guitest.NewFakeEngine()
	s, ui, _ := startTestSession(t, eng, Options{})
	eng.Emit(&call.ConnectionChanged{State: call.Reconnecting})
	eng.Close()
	ui.pumpUntil(t, "the event", func() bool { return s.m.Connection == call.Reconnecting })
	ui.drainWhile(s.stop)
}

// TestNoEngineStillOpensTheWindow: without an engine the login screen
// says so and signing in fails cleanly.
func TestNoEngineStillOpensTheWindow(t *testing.T) {
	a := test.NewTempApp(t)
	w := a.NewWindow(Title)
	defer w.Close()
	ui := newUIQueue()
	s := startSession(a, w, Options{Data: t.TempDir(), Logger: quiet}, ui.do)
	defer ui.drainWhile(s.stop)
	if got := s.ui.login.status.Text; got == "" {
		t.Fatal("the login screen does not say that there is no engine")
	}
	s.m.Login(call.LoginParams{Server: "ws://127.0.0.1:9/ws", UserID: "alice"})
	ui.pumpUntil(t, "the failed sign-in", func() bool { return !s.m.LoginBusy })
	want(t, "screen", s.m.Screen, ScreenLogin)
}
