package gui

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/calla-rtc/calla/call"
	"github.com/calla-rtc/calla/local"
	"github.com/calla-rtc/calla/signaling"
)

// declinedGroupCall: bob's group call to alice and carol rang, and alice
// declined it; bob and carol are in it.
func declinedGroupCall(r *rig) {
	r.ringing(signaling.Video, true)
	r.m.Decline()
	r.apply(&call.CallCancelled{CallID: "c1", CallerID: "alice", Reason: signaling.ReasonReject}) // the engine is out of it
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
		if len(js) != 1 || js[0].Entry.Group != "g1" || js[0].Entry.CallID != "c1" || js[0].Entry.MediaType != signaling.Video {
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
	t.Run("not before the engine has left the declined call", func(t *testing.T) {
		r := newRig(t).login()
		r.ringing(signaling.Video, true)
		r.m.Decline()
		r.apply(&call.PresenceChanged{UserID: "bob", Nickname: "Bob", Presence: signaling.InCall})
		want(t, "joinable while the engine declines", len(r.m.Joinable()), 0)
		r.apply(&call.CallCancelled{CallID: "c1", CallerID: "alice", Reason: signaling.ReasonReject})
		want(t, "joinable once it has", len(r.m.Joinable()), 1)
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
		r.m.JoinCall(r.m.Joinable()[0].Entry)
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
	t.Run("events that come before the join returns the call's ID wait for it", func(t *testing.T) {
		h := &heldRunner{}
		r := newRig(t, withRunner(h))
		r.m.Login(call.LoginParams{Server: "ws://127.0.0.1:9/ws", UserID: "alice"})
		h.release()
		declinedGroupCall(r)
		r.eng.SetCallID("c1")
		r.m.JoinCall(r.m.Joinable()[0].Entry)
		// Before JoinInGroupCall returns: an older call's end, then the
		// joined call's begin and a member.
		r.apply(
			&call.CallEnd{CallID: "c0", TotalTime: 3, Reason: signaling.ReasonHangup},
			&call.CallBegin{CallID: "c1", CallMediaType: signaling.Video, CallRole: signaling.RoleCallee},
			&call.UserJoin{CallID: "c1", UserID: "bob"},
		)
		want(t, "phase while the ID is unknown", r.m.Call.Phase, PhaseConnecting)
		h.release()
		want(t, "call ID", r.m.Call.ID, signaling.CallID("c1"))
		want(t, "phase once the ID is known", r.m.Call.Phase, PhaseConnected)
		want(t, "members", peers(r), "bob")
	})
	t.Run("a call that has ended says so", func(t *testing.T) {
		r := newRig(t).login()
		declinedGroupCall(r)
		refused := &call.Error{Code: signaling.CodeRequestRefused, Message: "no such call"}
		r.eng.Fail("JoinInGroupCall", refused)
		r.m.JoinCall(r.m.Joinable()[0].Entry)
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
	r.apply(&call.CallEnd{CallID: "c1", Reason: signaling.ReasonHangup}) // the engine is out of it

	r.m.ShowScreen(ScreenHistory)
	row := find(t, r.win.Canvas(), func(h *historyRow) bool { return h.e.Group == "g1" && h.joinBox.Visible() })
	r.eng.Reset()
	test.Tap(row.join)
	want(t, "engine calls", strings.Join(r.eng.Methods(), " "), "JoinInGroupCall")
}

// realServer is an embedded server and real engines on it, with Carol's
// app (a Model and views) over her real engine.
type realServer struct {
	t     *testing.T
	ctx   context.Context
	local *local.Server
	r     *uiRig // Carol's app
	carol *call.Engine
}

func newRealServer(t *testing.T) *realServer {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	srv, err := local.Start(ctx, t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	s := &realServer{t: t, ctx: ctx, local: srv}
	var sig string
	s.carol, sig = s.engine("carol")
	s.r = newUIRig(t, func(c *modelConfig) { c.Engine = s.carol })
	s.r.m.Login(call.LoginParams{Server: srv.URL, UserID: "carol", UserSig: sig})
	if !s.r.m.LoggedIn {
		t.Fatalf("carol did not sign in: %s", s.r.m.LoginStatus)
	}
	return s
}

// engine is a real engine for user, not signed in, and its UserSig.
func (s *realServer) engine(user signaling.UserID) (*call.Engine, string) {
	sig, err := s.local.UserSig(user)
	if err != nil {
		s.t.Fatal(err)
	}
	e := call.New(call.Config{Presence: true, NoPlayback: true, LoopbackOnly: true, Logger: slog.New(slog.DiscardHandler)})
	s.t.Cleanup(func() { e.Close() })
	return e, sig
}

// login signs user in with a real engine that accepts every call.
func (s *realServer) login(user signaling.UserID) *call.Engine {
	e, sig := s.engine(user)
	if err := e.Login(s.ctx, call.LoginParams{Server: s.local.URL, UserID: user, UserSig: sig}); err != nil {
		s.t.Fatal(err)
	}
	go func() {
		for ev := range e.Events() {
			if _, ok := ev.(*call.CallReceived); ok {
				e.Accept(s.ctx)
			}
		}
	}()
	return e
}

// until applies Carol's engine's events to her app until cond holds.
func (s *realServer) until(what string, cond func() bool) {
	s.t.Helper()
	deadline := time.After(30 * time.Second)
	for !cond() {
		select {
		case ev := <-s.carol.Events():
			s.r.apply(ev)
		case <-deadline:
			s.t.Fatalf("carol's app never %s", what)
		}
	}
}

func (s *realServer) inCallWith(ids ...signaling.UserID) func() bool {
	return func() bool {
		if s.r.m.Call.Phase != PhaseConnected {
			return false
		}
		for _, id := range ids {
			if mb := s.r.m.Call.Member(id); mb == nil || mb.State != TileJoined {
				return false
			}
		}
		return true
	}
}

// TestRejoinADeclinedGroupCall: through a real server, Alice calls Bob
// and Carol in a group; Carol's app declines, then joins from the
// contact list's card, and is in the call with both.
func TestRejoinADeclinedGroupCall(t *testing.T) {
	s := newRealServer(t)
	alice, _ := s.engine("alice")
	asig, _ := s.local.UserSig("alice")
	if err := alice.Login(s.ctx, call.LoginParams{Server: s.local.URL, UserID: "alice", UserSig: asig}); err != nil {
		t.Fatal(err)
	}
	go func() {
		for range alice.Events() {
		}
	}()
	s.login("bob")
	if _, err := alice.GroupCall(s.ctx, "team", []signaling.UserID{"bob", "carol"}, signaling.Audio, call.Params{}); err != nil {
		t.Fatal(err)
	}
	s.until("rang", func() bool { return s.r.m.Call.Phase == PhaseRinging })
	s.r.m.Decline()
	s.until("offered to join", func() bool { return len(s.r.m.Joinable()) == 1 })
	if !s.r.ui.list.running.Visible() {
		t.Fatal("the contact list shows no card for the call going on")
	}
	test.Tap(button(t, s.r.win.Canvas(), "Join"))
	s.until("joined alice and bob", s.inCallWith("alice", "bob"))
	want(t, "screen", s.r.m.Screen, ScreenInCall)
	s.r.m.Hangup()
}

// TestJoinAGroupsCall: Carol belongs to the server-side group Team but
// was not invited to its call; while Alice and Bob are in it, her contact
// list offers "Team has a call going on" and Join takes her in.
func TestJoinAGroupsCall(t *testing.T) {
	s := newRealServer(t)
	s.login("bob") // a group's members are users the server knows
	alice, asig := s.engine("alice")
	// Alice makes the group with her signaling client: the engine has no
	// call for it, the app neither (groups are made with calla group or
	// another client).
	cl, err := signaling.Dial(s.ctx, signaling.ClientConfig{URL: s.local.URL, UserID: "alice", UserSig: asig})
	if err != nil {
		t.Fatal(err)
	}
	g, err := cl.CreateGroup(s.ctx, signaling.CreateGroupRequest{Name: "Team", MemberIDList: []signaling.UserID{"bob", "carol"}})
	cl.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := alice.Login(s.ctx, call.LoginParams{Server: s.local.URL, UserID: "alice", UserSig: asig}); err != nil {
		t.Fatal(err)
	}
	go func() {
		for range alice.Events() {
		}
	}()
	s.r.m.ShowScreen(ScreenContacts) // the app reads the groups again
	s.until("knew the group", func() bool { return len(s.r.m.Groups) == 1 })
	if _, err := alice.GroupCall(s.ctx, g.GroupID, []signaling.UserID{"bob"}, signaling.Video, call.Params{}); err != nil {
		t.Fatal(err)
	}
	s.until("offered to join Team's call", func() bool {
		js := s.r.m.Joinable()
		return len(js) == 1 && js[0].GroupName == "Team"
	})
	test.Tap(button(t, s.r.win.Canvas(), "Join"))
	s.until("joined alice and bob", s.inCallWith("alice", "bob"))
	s.r.m.Hangup()
}
