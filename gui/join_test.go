package gui

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/calla-rtc/calla/call"
	"github.com/calla-rtc/calla/signaling"
)

// declinedGroupCall: bob's group call to alice and carol rang, and alice
// declined it; bob and carol are in it.
func declinedGroupCall(r *rig) {
	r.ringing(signaling.Video, true)
	r.m.Decline()
	r.apply(
		&call.PresenceChanged{UserID: "bob", Nickname: "Bob", Presence: signaling.InCall},
		&call.PresenceChanged{UserID: "carol", Presence: signaling.InCall},
	)
}

func TestJoinable(t *testing.T) {
	t.Run("a declined group call whose people are in a call can be joined", func(t *testing.T) {
		r := newRig(t).login()
		declinedGroupCall(r)
		js := r.m.Joinable()
		if len(js) != 1 || js[0].Group != "g1" || js[0].CallID != "c1" || js[0].MediaType != signaling.Video {
			t.Fatalf("joinable = %+v", js)
		}
	})
	t.Run("not once its people are out of calls", func(t *testing.T) {
		r := newRig(t).login()
		declinedGroupCall(r)
		r.apply(
			&call.PresenceChanged{UserID: "bob", Nickname: "Bob", Presence: signaling.Online},
			&call.PresenceChanged{UserID: "carol", Presence: signaling.Offline},
		)
		want(t, "joinable", len(r.m.Joinable()), 0)
	})
	t.Run("not half a day later", func(t *testing.T) {
		r := newRig(t).login()
		declinedGroupCall(r)
		r.clock.advance(joinableFor + time.Minute)
		want(t, "joinable", len(r.m.Joinable()), 0)
	})
	t.Run("not a 1v1 call", func(t *testing.T) {
		r := newRig(t).login()
		r.ringing(signaling.Video, false)
		r.apply(&call.CallCancelled{CallID: "c1", CallerID: "bob", Reason: signaling.ReasonNoResponse},
			&call.PresenceChanged{UserID: "bob", Presence: signaling.InCall})
		want(t, "joinable", len(r.m.Joinable()), 0)
	})
	t.Run("not during a call", func(t *testing.T) {
		r := newRig(t).login()
		declinedGroupCall(r)
		r.m.CallUser("dave", signaling.Audio)
		want(t, "joinable", len(r.m.Joinable()), 0)
	})
}

func TestJoinCall(t *testing.T) {
	t.Run("joining shows the call and its members as they come", func(t *testing.T) {
		r := newRig(t).login()
		declinedGroupCall(r)
		r.eng.Reset()
		r.m.JoinCall(r.m.Joinable()[0])
		c, _ := r.eng.Last("JoinInGroupCall")
		want(t, "join", c.Args, "g1, video")
		want(t, "screen", r.m.Screen, ScreenInCall)
		want(t, "phase", r.m.Call.Phase, PhaseConnecting)
		r.apply(
			&call.CallBegin{CallID: "c1", CallMediaType: signaling.Video, CallRole: signaling.RoleCallee},
			&call.UserJoin{CallID: "c1", UserID: "bob"},
			&call.UserJoin{CallID: "c1", UserID: "carol"},
		)
		want(t, "phase", r.m.Call.Phase, PhaseConnected)
		want(t, "members", peers(r), "bob,carol")
		want(t, "joinable in the call", len(r.m.Joinable()), 0)
	})
	t.Run("a call that has ended says so", func(t *testing.T) {
		r := newRig(t).login()
		declinedGroupCall(r)
		refused := &call.Error{Code: signaling.CodeRequestRefused, Message: "no such call"}
		r.eng.Fail("JoinInGroupCall", refused)
		r.m.JoinCall(r.m.Joinable()[0])
		r.apply(refused)
		want(t, "screen", r.m.Screen, ScreenContacts)
		want(t, "toast", r.lastToast(), "That call has ended, or you cannot join it.")
	})
}

// TestJoinOnScreen: the contact list shows a card with Join for a group
// call going on, and the history's row has Join too.
func TestJoinOnScreen(t *testing.T) {
	r := newUIRig(t)
	r.screenContacts()
	declinedGroupCall(r.rig)
	if !r.ui.list.running.Visible() {
		t.Fatal("no card for the group call going on")
	}
	test.Tap(button(t, r.win.Canvas(), "Join"))
	c, _ := r.eng.Last("JoinInGroupCall")
	want(t, "join", c.Args, "g1, video")
	r.m.Hangup()

	r.m.ShowScreen(ScreenHistory)
	row := find(t, r.win.Canvas(), func(h *historyRow) bool { return h.e.Group == "g1" && h.joinBox.Visible() })
	r.eng.Reset()
	test.Tap(row.join)
	want(t, "engine calls", strings.Join(r.eng.Methods(), " "), "JoinInGroupCall")
}

// TestRejoinADeclinedGroupCall: through a real server, Alice calls Bob
// and Carol in a group; Carol's app declines, then joins from the
// contact list's card, and is in the call with both.
func TestRejoinADeclinedGroupCall(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	log := slog.New(slog.DiscardHandler)
	local, err := call.StartLocal(ctx, t.TempDir(), log)
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	engine := func(user signaling.UserID) (*call.Engine, string) {
		sig, err := local.UserSig(user)
		if err != nil {
			t.Fatal(err)
		}
		e := call.New(call.Config{Presence: true, NoPlayback: true, LoopbackOnly: true, Logger: log})
		t.Cleanup(func() { e.Close() })
		return e, sig
	}
	drain := func(e *call.Engine) {
		go func() {
			for range e.Events() {
			}
		}()
	}
	alice, asig := engine("alice")
	bob, bsig := engine("bob")
	carol, csig := engine("carol")
	for _, x := range []struct {
		e   *call.Engine
		id  signaling.UserID
		sig string
	}{{alice, "alice", asig}, {bob, "bob", bsig}} {
		if err := x.e.Login(ctx, call.LoginParams{Server: local.URL, UserID: x.id, UserSig: x.sig}); err != nil {
			t.Fatal(err)
		}
	}
	drain(alice)

	// Carol's app: a Model and views over her real engine.
	r := newUIRig(t, func(c *modelConfig) { c.Engine = carol })
	r.m.Login(call.LoginParams{Server: local.URL, UserID: "carol", UserSig: csig})
	if !r.m.LoggedIn {
		t.Fatalf("carol did not sign in: %s", r.m.LoginStatus)
	}
	until := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.After(30 * time.Second)
		for !cond() {
			select {
			case ev := <-carol.Events():
				r.apply(ev)
			case <-deadline:
				t.Fatalf("carol's app never %s", what)
			}
		}
	}

	if err := alice.GroupCall(ctx, "team", []signaling.UserID{"bob", "carol"}, signaling.Audio, call.Params{}); err != nil {
		t.Fatal(err)
	}
	go func() {
		for ev := range bob.Events() {
			if _, ok := ev.(*call.CallReceived); ok {
				bob.Accept(ctx)
			}
		}
	}()
	until("rang", func() bool { return r.m.Call.Phase == PhaseRinging })
	r.m.Decline()
	until("offered to join", func() bool { return len(r.m.Joinable()) == 1 })
	if !r.ui.list.running.Visible() {
		t.Fatal("the contact list shows no card for the call going on")
	}
	test.Tap(button(t, r.win.Canvas(), "Join"))
	until("joined alice and bob", func() bool {
		a, b := r.m.Call.Member("alice"), r.m.Call.Member("bob")
		return r.m.Call.Phase == PhaseConnected && a != nil && b != nil && a.State == TileJoined && b.State == TileJoined
	})
	want(t, "screen", r.m.Screen, ScreenInCall)
	r.m.Hangup()
}
