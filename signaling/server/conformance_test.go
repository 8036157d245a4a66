package server

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/calla-rtc/calla/signaling"
	"github.com/calla-rtc/calla/signaling/server/cluster/clustertest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	clustertest.StopShared()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// stage runs one scenario: its clients and the calls it made.
type stage struct {
	t     *testing.T
	e     *env
	c     map[signaling.UserID]*tclient
	calls map[signaling.CallID]bool
	ctx   context.Context
}

func (s *stage) call(from signaling.UserID, req signaling.CallRequest) signaling.CallID {
	s.t.Helper()
	rep, err := s.c[from].Call(s.ctx, req)
	if err != nil {
		s.t.Fatalf("%s call: %v", from, err)
	}
	s.calls[rep.CallID] = true
	return rep.CallID
}

func (s *stage) ok(err error) {
	s.t.Helper()
	if err != nil {
		s.t.Fatal(err)
	}
}

// ring waits until u was invited and returns the call id.
func (s *stage) ring(u signaling.UserID) signaling.CallID {
	s.t.Helper()
	return s.c[u].waitFor(signaling.EvCallReceived).(*signaling.CallReceived).CallID
}

func users(u ...signaling.UserID) []signaling.UserID { return u }

// scenario is one row of the conformance table: what happens, and exactly
// the call events every member sees, in order. PresenceChanged events are
// filtered out by type (TestPresence covers them); connection events
// (reconnecting, resumed, ...) are left out unless conn is set.
type scenario struct {
	name  string
	users []signaling.UserID
	conn  bool
	cfg   func(*Config) // changes to the server's config, if any
	run   func(s *stage)
	want  map[signaling.UserID][]string
}

var scenarios = []scenario{
	{
		name:  "1v1: the callee accepts, then the caller hangs up",
		users: users("alice", "bob"),
		run: func(s *stage) {
			id := s.call("alice", signaling.CallRequest{CalleeIDList: users("bob"), CallMediaType: signaling.Video, UserData: "hi"})
			s.ring("bob")
			_, err := s.c["bob"].Accept(s.ctx, id)
			s.ok(err)
			s.ok(s.c["alice"].Hangup(s.ctx, id))
		},
		want: map[signaling.UserID][]string{
			"alice": {"onCallBegin role=1 members=[bob] entry=0 media=1", "onUserJoin bob entry=1 offer=false", "onCallEnd role=1 reason=hangup media=1"},
			"bob": {"onCallReceived caller=alice callees=[bob] group= media=1 data=hi", "onCallBegin role=2 members=[alice] entry=1 media=1",
				"onUserJoin alice entry=0 offer=true", "onUserLeave alice", "onCallEnd role=2 reason=hangup media=1"},
		},
	},
	{
		name:  "1v1: the callee accepts, then the callee hangs up",
		users: users("alice", "bob"),
		run: func(s *stage) {
			id := s.call("alice", signaling.CallRequest{CalleeIDList: users("bob"), CallMediaType: signaling.Audio})
			s.ring("bob")
			_, err := s.c["bob"].Accept(s.ctx, id)
			s.ok(err)
			s.ok(s.c["bob"].Hangup(s.ctx, id))
		},
		want: map[signaling.UserID][]string{
			"alice": {"onCallBegin role=1 members=[bob] entry=0 media=0", "onUserJoin bob entry=1 offer=false", "onUserLeave bob", "onCallEnd role=1 reason=hangup media=0"},
			"bob": {"onCallReceived caller=alice callees=[bob] group= media=0 data=", "onCallBegin role=2 members=[alice] entry=1 media=0",
				"onUserJoin alice entry=0 offer=true", "onCallEnd role=2 reason=hangup media=0"},
		},
	},
	{
		name:  "1v1: the caller cancels before the callee answers",
		users: users("alice", "bob"),
		run: func(s *stage) {
			id := s.call("alice", signaling.CallRequest{CalleeIDList: users("bob"), CallMediaType: signaling.Video})
			s.ring("bob")
			s.ok(s.c["alice"].Hangup(s.ctx, id))
		},
		want: map[signaling.UserID][]string{
			"alice": {"onCallCancelled callerId=alice reason=canceled"},
			"bob":   {"onCallReceived caller=alice callees=[bob] group= media=1 data=", "onCallCancelled callerId=alice reason=canceled"},
		},
	},
	{
		name:  "group: the caller cancels before anyone answers",
		users: users("alice", "bob", "carol"),
		run: func(s *stage) {
			id := s.call("alice", signaling.CallRequest{CalleeIDList: users("bob", "carol"), GroupID: "g1", CallMediaType: signaling.Video})
			s.ring("bob")
			s.ring("carol")
			s.ok(s.c["alice"].Hangup(s.ctx, id))
		},
		want: map[signaling.UserID][]string{
			"alice": {"onCallCancelled callerId=alice reason=canceled"},
			"bob":   {"onCallReceived caller=alice callees=[bob carol] group=g1 media=1 data=", "onCallCancelled callerId=alice reason=canceled"},
			"carol": {"onCallReceived caller=alice callees=[bob carol] group=g1 media=1 data=", "onCallCancelled callerId=alice reason=canceled"},
		},
	},
	{
		name:  "1v1: the callee rejects",
		users: users("alice", "bob"),
		run: func(s *stage) {
			id := s.call("alice", signaling.CallRequest{CalleeIDList: users("bob"), CallMediaType: signaling.Video})
			s.ring("bob")
			s.ok(s.c["bob"].Reject(s.ctx, id))
		},
		want: map[signaling.UserID][]string{
			"alice": {"onUserReject bob", "onCallCancelled callerId=alice reason=reject"},
			"bob":   {"onCallReceived caller=alice callees=[bob] group= media=1 data=", "onCallCancelled callerId=bob reason=reject"},
		},
	},
	{
		name:  "1v1: the callee does not answer in time",
		users: users("alice", "bob"),
		run: func(s *stage) {
			s.call("alice", signaling.CallRequest{CalleeIDList: users("bob"), CallMediaType: signaling.Video, Timeout: 1})
			s.ring("bob")
			s.c["alice"].waitFor(signaling.EvCallCancelled)
			s.c["bob"].waitFor(signaling.EvCallCancelled)
		},
		want: map[signaling.UserID][]string{
			"alice": {"onUserNoResponse bob", "onCallCancelled callerId=alice reason=noResponse"},
			"bob":   {"onCallReceived caller=alice callees=[bob] group= media=1 data=", "onCallCancelled callerId=bob reason=noResponse"},
		},
	},
	{
		name:  "1v1: the callee is busy in a call; that call is undisturbed",
		users: users("alice", "bob", "carol"),
		run: func(s *stage) {
			first := s.call("carol", signaling.CallRequest{CalleeIDList: users("bob"), CallMediaType: signaling.Audio})
			s.ring("bob")
			_, err := s.c["bob"].Accept(s.ctx, first)
			s.ok(err)
			s.call("alice", signaling.CallRequest{CalleeIDList: users("bob"), CallMediaType: signaling.Video})
			s.c["alice"].waitFor(signaling.EvCallCancelled)
		},
		want: map[signaling.UserID][]string{
			"alice": {"onUserLineBusy bob", "onCallCancelled callerId=alice reason=lineBusy"},
			"bob":   {"onCallReceived caller=carol callees=[bob] group= media=0 data=", "onCallBegin role=2 members=[carol] entry=1 media=0", "onUserJoin carol entry=0 offer=true"},
			"carol": {"onCallBegin role=1 members=[bob] entry=0 media=0", "onUserJoin bob entry=1 offer=false"},
		},
	},
	{
		name:  "1v1: the callee is busy ringing; its ringing call is undisturbed",
		users: users("alice", "bob", "carol"),
		run: func(s *stage) {
			s.call("carol", signaling.CallRequest{CalleeIDList: users("bob"), CallMediaType: signaling.Audio, Timeout: 30})
			s.ring("bob")
			s.call("alice", signaling.CallRequest{CalleeIDList: users("bob"), CallMediaType: signaling.Video})
			s.c["alice"].waitFor(signaling.EvCallCancelled)
		},
		want: map[signaling.UserID][]string{
			"alice": {"onUserLineBusy bob", "onCallCancelled callerId=alice reason=lineBusy"},
			"bob":   {"onCallReceived caller=carol callees=[bob] group= media=0 data="},
			"carol": nil,
		},
	},
	{
		name:  "1v1: the callee ignores the call",
		users: users("alice", "bob"),
		run: func(s *stage) {
			id := s.call("alice", signaling.CallRequest{CalleeIDList: users("bob"), CallMediaType: signaling.Video})
			s.ring("bob")
			s.ok(s.c["bob"].Ignore(s.ctx, id))
		},
		want: map[signaling.UserID][]string{
			"alice": {"onUserLineBusy bob", "onCallCancelled callerId=alice reason=lineBusy"},
			"bob":   {"onCallReceived caller=alice callees=[bob] group= media=1 data=", "onCallCancelled callerId=bob reason=lineBusy"},
		},
	},
	{
		name:  "1v1: the callee fails to take the call; the caller hears of it at the timeout",
		users: users("alice", "bob"),
		run: func(s *stage) {
			id := s.call("alice", signaling.CallRequest{CalleeIDList: users("bob"), CallMediaType: signaling.Video, Timeout: 1})
			s.ring("bob")
			s.ok(s.c["bob"].Fail(s.ctx, id, "camera busy"))
			s.c["bob"].waitFor(signaling.EvCallCancelled)
			s.c["alice"].sync()
			if got := s.c["alice"].callEvents(false); len(got) != 0 {
				s.t.Errorf("caller heard of the failure at once: %v", got)
			}
			s.c["alice"].waitFor(signaling.EvCallCancelled)
		},
		want: map[signaling.UserID][]string{
			"alice": {"onUserNoResponse bob", "onCallCancelled callerId=alice reason=noResponse"},
			"bob":   {"onCallReceived caller=alice callees=[bob] group= media=1 data=", "onCallCancelled callerId=bob reason=connectionFailed"},
		},
	},
	{
		name:  "1v1: a connected member's media fails; the call ends for both with connectionFailed",
		users: users("alice", "bob"),
		run: func(s *stage) {
			id := s.call("alice", signaling.CallRequest{CalleeIDList: users("bob"), CallMediaType: signaling.Video})
			s.ring("bob")
			_, err := s.c["bob"].Accept(s.ctx, id)
			s.ok(err)
			s.c["alice"].waitFor(signaling.EvUserJoin)
			s.ok(s.c["bob"].Fail(s.ctx, id, "no media after 20s"))
			s.c["alice"].waitFor(signaling.EvCallEnd)
			s.c["bob"].waitFor(signaling.EvCallEnd)
		},
		want: map[signaling.UserID][]string{
			"alice": {"onCallBegin role=1 members=[bob] entry=0 media=1", "onUserJoin bob entry=1 offer=false", "onUserLeave bob", "onCallEnd role=1 reason=connectionFailed media=1"},
			"bob": {"onCallReceived caller=alice callees=[bob] group= media=1 data=", "onCallBegin role=2 members=[alice] entry=1 media=1",
				"onUserJoin alice entry=0 offer=true", "onCallEnd role=2 reason=connectionFailed media=1"},
		},
	},
	{
		name:  "group: two accept, one rejects, then members leave until the last one",
		users: users("alice", "bob", "carol", "dave"),
		run: func(s *stage) {
			id := s.call("alice", signaling.CallRequest{CalleeIDList: users("bob", "carol", "dave"), GroupID: "g2", CallMediaType: signaling.Video})
			s.ring("bob")
			s.ring("carol")
			s.ring("dave")
			_, err := s.c["bob"].Accept(s.ctx, id)
			s.ok(err)
			s.ok(s.c["carol"].Reject(s.ctx, id))
			rep, err := s.c["dave"].Accept(s.ctx, id)
			s.ok(err)
			if !slices.Equal(rep.Members, users("alice", "bob")) {
				s.t.Errorf("accept reply members = %v, want [alice bob]", rep.Members)
			}
			s.ok(s.c["bob"].Hangup(s.ctx, id))
			s.ok(s.c["dave"].Hangup(s.ctx, id))
		},
		want: map[signaling.UserID][]string{
			"alice": {"onCallBegin role=1 members=[bob] entry=0 media=1", "onUserJoin bob entry=1 offer=false", "onUserReject carol",
				"onUserJoin dave entry=2 offer=false", "onUserLeave bob", "onUserLeave dave", "onCallEnd role=1 reason=hangup media=1"},
			"bob": {"onCallReceived caller=alice callees=[bob carol dave] group=g2 media=1 data=", "onCallBegin role=2 members=[alice] entry=1 media=1",
				"onUserJoin alice entry=0 offer=true", "onUserReject carol", "onUserJoin dave entry=2 offer=false", "onCallEnd role=2 reason=hangup media=1"},
			"carol": {"onCallReceived caller=alice callees=[bob carol dave] group=g2 media=1 data=", "onCallCancelled callerId=carol reason=reject"},
			"dave": {"onCallReceived caller=alice callees=[bob carol dave] group=g2 media=1 data=", "onUserReject carol",
				"onCallBegin role=2 members=[alice bob] entry=2 media=1", "onUserJoin alice entry=0 offer=true", "onUserJoin bob entry=1 offer=true",
				"onUserLeave bob", "onCallEnd role=2 reason=hangup media=1"},
		},
	},
	{
		name:  "group: one invitee does not answer; the call goes on",
		users: users("alice", "bob", "carol"),
		run: func(s *stage) {
			id := s.call("alice", signaling.CallRequest{CalleeIDList: users("bob", "carol"), CallMediaType: signaling.Audio, Timeout: 1})
			s.ring("carol")
			s.ring("bob")
			_, err := s.c["bob"].Accept(s.ctx, id)
			s.ok(err)
			s.c["carol"].waitFor(signaling.EvCallCancelled)
			s.c["alice"].waitFor(signaling.EvUserNoResponse)
			s.c["bob"].waitFor(signaling.EvUserNoResponse)
			s.ok(s.c["alice"].Hangup(s.ctx, id))
		},
		want: map[signaling.UserID][]string{
			"alice": {"onCallBegin role=1 members=[bob] entry=0 media=0", "onUserJoin bob entry=1 offer=false", "onUserNoResponse carol", "onCallEnd role=1 reason=hangup media=0"},
			"bob": {"onCallReceived caller=alice callees=[bob carol] group= media=0 data=", "onCallBegin role=2 members=[alice] entry=1 media=0",
				"onUserJoin alice entry=0 offer=true", "onUserNoResponse carol", "onUserLeave alice", "onCallEnd role=2 reason=hangup media=0"},
			"carol": {"onCallReceived caller=alice callees=[bob carol] group= media=0 data=", "onCallCancelled callerId=carol reason=noResponse"},
		},
	},
	{
		name:  "group: the last connected member leaves while an invitee still rings; the invitee is cancelled",
		users: users("alice", "bob", "carol"),
		run: func(s *stage) {
			id := s.call("alice", signaling.CallRequest{CalleeIDList: users("bob", "carol"), CallMediaType: signaling.Video, Timeout: 30})
			s.ring("bob")
			s.ring("carol")
			_, err := s.c["bob"].Accept(s.ctx, id)
			s.ok(err)
			s.ok(s.c["alice"].Hangup(s.ctx, id))
			s.ok(s.c["bob"].Hangup(s.ctx, id))
		},
		want: map[signaling.UserID][]string{
			"alice": {"onCallBegin role=1 members=[bob] entry=0 media=1", "onUserJoin bob entry=1 offer=false", "onCallEnd role=1 reason=hangup media=1"},
			"bob": {"onCallReceived caller=alice callees=[bob carol] group= media=1 data=", "onCallBegin role=2 members=[alice] entry=1 media=1",
				"onUserJoin alice entry=0 offer=true", "onUserLeave alice", "onCallEnd role=2 reason=hangup media=1"},
			"carol": {"onCallReceived caller=alice callees=[bob carol] group= media=1 data=", "onCallCancelled callerId=alice reason=canceled"},
		},
	},
	{
		name:  "group: a user joins the running call by call id",
		users: users("alice", "bob", "dave"),
		run: func(s *stage) {
			id := s.call("alice", signaling.CallRequest{CalleeIDList: users("bob", "dave"), CallMediaType: signaling.Audio, Timeout: 30})
			s.ring("bob")
			s.ring("dave")
			s.ok(s.c["dave"].Reject(s.ctx, id))
			_, err := s.c["bob"].Accept(s.ctx, id)
			s.ok(err)
			_, err = s.c["dave"].Join(s.ctx, signaling.JoinRequest{CallID: id})
			s.ok(err)
			s.ok(s.c["alice"].Hangup(s.ctx, id))
			s.ok(s.c["dave"].Hangup(s.ctx, id))
		},
		want: map[signaling.UserID][]string{
			"alice": {"onUserReject dave", "onCallBegin role=1 members=[bob] entry=0 media=0", "onUserJoin bob entry=1 offer=false",
				"onUserJoin dave entry=2 offer=false", "onCallEnd role=1 reason=hangup media=0"},
			"bob": {"onCallReceived caller=alice callees=[bob dave] group= media=0 data=", "onUserReject dave", "onCallBegin role=2 members=[alice] entry=1 media=0",
				"onUserJoin alice entry=0 offer=true", "onUserJoin dave entry=2 offer=false", "onUserLeave alice", "onUserLeave dave", "onCallEnd role=2 reason=hangup media=0"},
			"dave": {"onCallReceived caller=alice callees=[bob dave] group= media=0 data=", "onCallCancelled callerId=dave reason=reject",
				"onCallBegin role=2 members=[alice bob] entry=2 media=0", "onUserJoin alice entry=0 offer=true", "onUserJoin bob entry=1 offer=true",
				"onUserLeave alice", "onCallEnd role=2 reason=hangup media=0"},
		},
	},
	{
		name:  "group: one invitee is busy, the other rejects",
		users: users("alice", "bob", "erin", "frank"),
		run: func(s *stage) {
			first := s.call("frank", signaling.CallRequest{CalleeIDList: users("erin"), CallMediaType: signaling.Audio})
			s.ring("erin")
			_, err := s.c["erin"].Accept(s.ctx, first)
			s.ok(err)
			s.c["erin"].waitFor(signaling.EvUserJoin)
			s.c["frank"].sync()
			s.c["erin"].sync()
			s.c["frank"].reset()
			s.c["erin"].reset()
			id := s.call("alice", signaling.CallRequest{CalleeIDList: users("bob", "erin"), GroupID: "g3", CallMediaType: signaling.Video})
			s.ring("bob")
			s.c["bob"].waitFor(signaling.EvUserLineBusy)
			s.ok(s.c["bob"].Reject(s.ctx, id))
		},
		want: map[signaling.UserID][]string{
			"alice": {"onUserLineBusy erin", "onUserReject bob", "onCallCancelled callerId=alice reason=reject"},
			"bob":   {"onCallReceived caller=alice callees=[bob erin] group=g3 media=1 data=", "onUserLineBusy erin", "onCallCancelled callerId=bob reason=reject"},
			"erin":  nil,
			"frank": nil,
		},
	},
	{
		name:  "group: a member invites another user into the running call",
		users: users("alice", "bob", "carol"),
		run: func(s *stage) {
			id := s.call("alice", signaling.CallRequest{CalleeIDList: users("bob"), GroupID: "g4", CallMediaType: signaling.Video})
			s.ring("bob")
			_, err := s.c["bob"].Accept(s.ctx, id)
			s.ok(err)
			rep, err := s.c["bob"].Invite(s.ctx, id, users("carol"), 0)
			s.ok(err)
			if !slices.Equal(rep.Invited, users("carol")) {
				s.t.Errorf("invited = %v", rep.Invited)
			}
			s.ring("carol")
			_, err = s.c["carol"].Accept(s.ctx, id)
			s.ok(err)
			s.ok(s.c["carol"].Hangup(s.ctx, id))
			s.ok(s.c["bob"].Hangup(s.ctx, id))
		},
		want: map[signaling.UserID][]string{
			"alice": {"onCallBegin role=1 members=[bob] entry=0 media=1", "onUserJoin bob entry=1 offer=false", "onUserInviting carol",
				"onUserJoin carol entry=2 offer=false", "onUserLeave carol", "onUserLeave bob", "onCallEnd role=1 reason=hangup media=1"},
			"bob": {"onCallReceived caller=alice callees=[bob] group=g4 media=1 data=", "onCallBegin role=2 members=[alice] entry=1 media=1",
				"onUserJoin alice entry=0 offer=true", "onUserInviting carol", "onUserJoin carol entry=2 offer=false", "onUserLeave carol",
				"onCallEnd role=2 reason=hangup media=1"},
			"carol": {"onCallReceived caller=alice callees=[bob carol] group=g4 media=1 data=", "onCallBegin role=2 members=[alice bob] entry=2 media=1",
				"onUserJoin alice entry=0 offer=true", "onUserJoin bob entry=1 offer=true", "onCallEnd role=2 reason=hangup media=1"},
		},
	},
	{
		name:  "group: a member of the server-side group joins its running call by group id",
		users: users("alice", "bob", "dave", AdminUser),
		run: func(s *stage) {
			_, err := s.c[AdminUser].CreateGroup(s.ctx, signaling.CreateGroupRequest{GroupID: "g5", Name: "Five", MemberIDList: users("alice", "bob", "dave")})
			s.ok(err)
			id := s.call("alice", signaling.CallRequest{CalleeIDList: users("bob"), GroupID: "g5", CallMediaType: signaling.Video})
			s.ring("bob")
			_, err = s.c["bob"].Accept(s.ctx, id)
			s.ok(err)
			rep, err := s.c["dave"].Join(s.ctx, signaling.JoinRequest{GroupID: "g5"})
			s.ok(err)
			if rep.CallID != id || !slices.Equal(rep.Members, users("alice", "bob")) {
				s.t.Errorf("join reply = %+v", rep)
			}
			s.ok(s.c["alice"].Hangup(s.ctx, id))
			s.ok(s.c["bob"].Hangup(s.ctx, id))
		},
		want: map[signaling.UserID][]string{
			"alice": {"onCallBegin role=1 members=[bob] entry=0 media=1", "onUserJoin bob entry=1 offer=false", "onUserJoin dave entry=2 offer=false",
				"onCallEnd role=1 reason=hangup media=1"},
			"bob": {"onCallReceived caller=alice callees=[bob] group=g5 media=1 data=", "onCallBegin role=2 members=[alice] entry=1 media=1",
				"onUserJoin alice entry=0 offer=true", "onUserJoin dave entry=2 offer=false", "onUserLeave alice", "onCallEnd role=2 reason=hangup media=1"},
			"dave": {"onCallBegin role=2 members=[alice bob] entry=2 media=1", "onUserJoin alice entry=0 offer=true", "onUserJoin bob entry=1 offer=true",
				"onUserLeave alice", "onUserLeave bob", "onCallEnd role=2 reason=hangup media=1"},
		},
	},
	{
		name:  "group: an invitee who declined joins later by its free groupId",
		users: users("alice", "bob", "carol"),
		run: func(s *stage) {
			id := s.call("alice", signaling.CallRequest{CalleeIDList: users("bob", "carol"), GroupID: "free", CallMediaType: signaling.Audio, Timeout: 30})
			s.ring("bob")
			s.ring("carol")
			_, err := s.c["bob"].Accept(s.ctx, id)
			s.ok(err)
			s.ok(s.c["carol"].Reject(s.ctx, id))
			rep, err := s.c["carol"].Join(s.ctx, signaling.JoinRequest{GroupID: "free"})
			s.ok(err)
			if rep.CallID != id {
				s.t.Errorf("join reply = %+v", rep)
			}
			s.ok(s.c["alice"].Hangup(s.ctx, id))
			s.ok(s.c["bob"].Hangup(s.ctx, id))
		},
		want: map[signaling.UserID][]string{
			"carol": {"onCallReceived caller=alice callees=[bob carol] group=free media=0 data=", "onCallCancelled callerId=carol reason=reject",
				"onCallBegin role=2 members=[alice bob] entry=2 media=0", "onUserJoin alice entry=0 offer=true", "onUserJoin bob entry=1 offer=true",
				"onUserLeave alice", "onUserLeave bob", "onCallEnd role=2 reason=hangup media=0"},
		},
	},
	{
		name:  "group: a member switches video to audio; every member hears it",
		users: users("alice", "bob", "carol"),
		run: func(s *stage) {
			id := s.call("alice", signaling.CallRequest{CalleeIDList: users("bob", "carol"), CallMediaType: signaling.Video, Timeout: 30})
			s.ring("bob")
			s.ring("carol")
			_, err := s.c["bob"].Accept(s.ctx, id)
			s.ok(err)
			s.ok(s.c["bob"].SwitchMediaType(s.ctx, id, signaling.Audio))
			_, err = s.c["carol"].Accept(s.ctx, id)
			s.ok(err)
			s.ok(s.c["alice"].Hangup(s.ctx, id))
			s.ok(s.c["bob"].Hangup(s.ctx, id))
		},
		want: map[signaling.UserID][]string{
			"alice": {"onCallBegin role=1 members=[bob] entry=0 media=1", "onUserJoin bob entry=1 offer=false", "onCallMediaTypeChanged 1->0",
				"onUserJoin carol entry=2 offer=false", "onCallEnd role=1 reason=hangup media=0"},
			"bob": {"onCallReceived caller=alice callees=[bob carol] group= media=1 data=", "onCallBegin role=2 members=[alice] entry=1 media=1",
				"onUserJoin alice entry=0 offer=true", "onCallMediaTypeChanged 1->0", "onUserJoin carol entry=2 offer=false",
				"onUserLeave alice", "onCallEnd role=2 reason=hangup media=0"},
			"carol": {"onCallReceived caller=alice callees=[bob carol] group= media=1 data=", "onCallMediaTypeChanged 1->0",
				"onCallBegin role=2 members=[alice bob] entry=2 media=0", "onUserJoin alice entry=0 offer=true", "onUserJoin bob entry=1 offer=true",
				"onUserLeave alice", "onUserLeave bob", "onCallEnd role=2 reason=hangup media=0"},
		},
	},
	{
		name:  "a second login kicks the first; its call partner sees it leave",
		users: users("alice", "bob"),
		conn:  true,
		run: func(s *stage) {
			id := s.call("alice", signaling.CallRequest{CalleeIDList: users("bob"), CallMediaType: signaling.Video})
			s.ring("bob")
			_, err := s.c["bob"].Accept(s.ctx, id)
			s.ok(err)
			s.c["alice"].waitFor(signaling.EvCallBegin)
			second := s.e.login("alice")
			s.c["alice"].waitFor(signaling.EvClosed)
			s.c["bob"].waitFor(signaling.EvCallEnd)
			second.sync()
			if got := second.callEvents(true); len(got) != 0 {
				s.t.Errorf("the new session got %v", got)
			}
		},
		want: map[signaling.UserID][]string{
			"alice": {"onCallBegin role=1 members=[bob] entry=0 media=1", "onUserJoin bob entry=1 offer=false", "onKickedOffline",
				"closed: signaling: kicked offline: logged in elsewhere"},
			"bob": {"onCallReceived caller=alice callees=[bob] group= media=1 data=", "onCallBegin role=2 members=[alice] entry=1 media=1",
				"onUserJoin alice entry=0 offer=true", "onUserLeave alice", "onCallEnd role=2 reason=offline media=1"},
		},
	},
	{
		name:  "the UserSig expires while online",
		users: users("bob"),
		conn:  true,
		run: func(s *stage) {
			al := s.e.loginWith(signaling.ClientConfig{UserID: "alice", UserSig: sig(s.t, "alice", 2*time.Second)})
			s.c["alice"] = al
			id := s.call("alice", signaling.CallRequest{CalleeIDList: users("bob"), CallMediaType: signaling.Video, Timeout: 30})
			s.ring("bob")
			_, err := s.c["bob"].Accept(s.ctx, id)
			s.ok(err)
			al.waitFor(signaling.EvClosed)
			s.c["bob"].waitFor(signaling.EvCallEnd)
		},
		want: map[signaling.UserID][]string{
			"alice": {"onCallBegin role=1 members=[bob] entry=0 media=1", "onUserJoin bob entry=1 offer=false", "onUserSigExpired",
				"closed: signaling: UserSig has expired while online"},
			"bob": {"onCallReceived caller=alice callees=[bob] group= media=1 data=", "onCallBegin role=2 members=[alice] entry=1 media=1",
				"onUserJoin alice entry=0 offer=true", "onUserLeave alice", "onCallEnd role=2 reason=offline media=1"},
		},
	},
	{
		name:  "a member's connection drops and resumes within the grace period; missed events are replayed",
		users: users("bob"),
		cfg:   func(c *Config) { c.Grace = 5 * time.Second }, // ample for a loaded machine
		run: func(s *stage) {
			p := newProxy(s.t, strings.TrimPrefix(s.e.hs.URL, "http://"))
			s.t.Cleanup(p.close)
			al := s.e.loginWith(signaling.ClientConfig{URL: "", UserID: "alice", UserSig: sig(s.t, "alice", time.Hour)}, p)
			s.c["alice"] = al
			id := s.call("alice", signaling.CallRequest{CalleeIDList: users("bob"), CallMediaType: signaling.Video})
			s.ring("bob")
			_, err := s.c["bob"].Accept(s.ctx, id)
			s.ok(err)
			al.waitFor(signaling.EvCallBegin)
			p.cut(true)
			s.ok(s.c["bob"].Relay(s.ctx, id, "alice", []byte(`{"signals":[{"kind":"mediaState","camera":false,"microphone":true}]}`)))
			s.ok(s.c["bob"].Relay(s.ctx, id, "alice", []byte(`{"signals":[{"kind":"renegotiate"}]}`)))
			time.Sleep(100 * time.Millisecond)
			p.resume()
			al.waitFor(signaling.EvResumed)
			al.waitFor(signaling.EvRelay)
			s.ok(al.Hangup(s.ctx, id))
			if got := al.described(); slices.Contains(got, "sessionLost") {
				s.t.Errorf("session was lost: %v", got)
			}
		},
		want: map[signaling.UserID][]string{
			"alice": {"onCallBegin role=1 members=[bob] entry=0 media=1", "onUserJoin bob entry=1 offer=false",
				`onRelay from=bob {"signals":[{"kind":"mediaState","camera":false,"microphone":true}]}`,
				`onRelay from=bob {"signals":[{"kind":"renegotiate"}]}`, "onCallEnd role=1 reason=hangup media=1"},
			"bob": {"onCallReceived caller=alice callees=[bob] group= media=1 data=", "onCallBegin role=2 members=[alice] entry=1 media=1",
				"onUserJoin alice entry=0 offer=true", "onUserLeave alice", "onCallEnd role=2 reason=hangup media=1"},
		},
	},
	{
		name:  "a connected member's connection drops for longer than the grace period but within the call grace: the call goes on",
		users: users("bob"),
		cfg:   func(c *Config) { c.Grace, c.CallGrace = 200*time.Millisecond, 20*time.Second },
		run: func(s *stage) {
			p := newProxy(s.t, strings.TrimPrefix(s.e.hs.URL, "http://"))
			s.t.Cleanup(p.close)
			al := s.e.loginWith(signaling.ClientConfig{UserID: "alice", UserSig: sig(s.t, "alice", time.Hour)}, p)
			s.c["alice"] = al
			id := s.call("alice", signaling.CallRequest{CalleeIDList: users("bob"), CallMediaType: signaling.Video})
			s.ring("bob")
			_, err := s.c["bob"].Accept(s.ctx, id)
			s.ok(err)
			al.waitFor(signaling.EvUserJoin)
			p.cut(true)
			time.Sleep(600 * time.Millisecond) // three grace periods
			s.ok(s.c["bob"].Relay(s.ctx, id, "alice", []byte(`{"signals":[{"kind":"mediaState","camera":false,"microphone":true}]}`)))
			p.resume()
			al.waitFor(signaling.EvResumed)
			al.waitFor(signaling.EvRelay)
			s.ok(al.Hangup(s.ctx, id))
		},
		want: map[signaling.UserID][]string{
			"alice": {"onCallBegin role=1 members=[bob] entry=0 media=1", "onUserJoin bob entry=1 offer=false",
				`onRelay from=bob {"signals":[{"kind":"mediaState","camera":false,"microphone":true}]}`, "onCallEnd role=1 reason=hangup media=1"},
			"bob": {"onCallReceived caller=alice callees=[bob] group= media=1 data=", "onCallBegin role=2 members=[alice] entry=1 media=1",
				"onUserJoin alice entry=0 offer=true", "onUserLeave alice", "onCallEnd role=2 reason=hangup media=1"},
		},
	},
	{
		name:  "a connected member's connection drops for longer than the call grace: the 1v1 call ends and the client logs in afresh",
		users: users("bob"),
		cfg:   func(c *Config) { c.CallGrace = time.Second },
		run: func(s *stage) {
			p := newProxy(s.t, strings.TrimPrefix(s.e.hs.URL, "http://"))
			s.t.Cleanup(p.close)
			al := s.e.loginWith(signaling.ClientConfig{UserID: "alice", UserSig: sig(s.t, "alice", time.Hour)}, p)
			s.c["alice"] = al
			id := s.call("alice", signaling.CallRequest{CalleeIDList: users("bob"), CallMediaType: signaling.Video})
			s.ring("bob")
			_, err := s.c["bob"].Accept(s.ctx, id)
			s.ok(err)
			// onUserJoin is the last event before the cut: waiting only for
			// onCallBegin let the cut lose it now and then (1 run in 30 on
			// a loaded machine), and a lost session does not replay it.
			al.waitFor(signaling.EvUserJoin)
			p.cut(true)
			s.c["bob"].waitFor(signaling.EvCallEnd)
			p.resume()
			al.waitFor(signaling.EvSessionLost)
			if _, err := al.Directory(s.ctx); err != nil {
				s.t.Errorf("after a fresh login: %v", err)
			}
		},
		want: map[signaling.UserID][]string{
			"alice": {"onCallBegin role=1 members=[bob] entry=0 media=1", "onUserJoin bob entry=1 offer=false"},
			"bob": {"onCallReceived caller=alice callees=[bob] group= media=1 data=", "onCallBegin role=2 members=[alice] entry=1 media=1",
				"onUserJoin alice entry=0 offer=true", "onUserLeave alice", "onCallEnd role=2 reason=offline media=1"},
		},
	},
}

func TestConformance(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			runScenario(t, sc, newEnv(t, sc.cfg))
		})
	}
}

// runScenario runs one row of the table on e (one server, or a cluster).
func runScenario(t *testing.T, sc scenario, e *env) {
	s := &stage{t: t, e: e, c: map[signaling.UserID]*tclient{}, calls: map[signaling.CallID]bool{}}
	var cancel context.CancelFunc
	s.ctx, cancel = context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, u := range sc.users {
		s.c[u] = e.login(u)
	}
	sc.run(s)
	for _, c := range s.c {
		if c.Client != nil {
			c.sync()
		}
	}
	for u, want := range sc.want {
		c := s.c[u]
		got := c.callEvents(sc.conn)
		if !slices.Equal(got, want) {
			t.Errorf("%s saw:\n\t%s\nwant:\n\t%s", u, strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
		}
		checkCallIDs(t, u, c, s.calls)
	}
}

// checkCallIDs checks that every call event of c names a call of the
// scenario, and that begin and end name the same room.
func checkCallIDs(t *testing.T, u signaling.UserID, c *tclient, calls map[signaling.CallID]bool) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	rooms := map[signaling.CallID]signaling.RoomID{}
	for _, ev := range c.evs {
		var id signaling.CallID
		switch e := ev.(type) {
		case *signaling.CallReceived:
			id = e.CallID
		case *signaling.CallCancelled:
			id = e.CallID
		case *signaling.CallBegin:
			id = e.CallID
			rooms[id] = e.RoomID
			if e.RoomID.IntRoomID < 1 || e.RoomID.StrRoomID == "" {
				t.Errorf("%s: bad room %+v", u, e.RoomID)
			}
		case *signaling.CallEnd:
			id = e.CallID
			if rooms[id] != e.RoomID {
				t.Errorf("%s: onCallEnd room %+v, onCallBegin room %+v", u, e.RoomID, rooms[id])
			}
			if e.TotalTime < 0 {
				t.Errorf("%s: totalTime %d", u, e.TotalTime)
			}
		case *signaling.UserJoin:
			id = e.CallID
		case *signaling.UserLeave:
			id = e.CallID
		default:
			continue
		}
		if !calls[id] {
			t.Errorf("%s: event %s names call %q, not one of this scenario's", u, ev.EventType(), id)
		}
	}
}
