package call

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/calla-rtc/calla/media"
	"github.com/calla-rtc/calla/signaling"
	"github.com/calla-rtc/calla/signaling/server"
)

// scenario is one row of the conformance table replayed through engines:
// it acts, then every engine must have seen exactly its list of call
// events, in order. Availability, volume, quality, presence and connection
// events are left out of the lists (the 1v1 and group tests check them).
type scenario struct {
	name  string
	users []signaling.UserID
	// timeout is the server's default invite timeout for the row.
	timeout time.Duration
	mod     map[signaling.UserID]func(*Config)
	act     func(t *testing.T, e map[signaling.UserID]*tengine)
	want    map[signaling.UserID][]string
}

func TestScenarios(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, func(c *server.Config) {
				if sc.timeout > 0 {
					c.InviteTimeout = sc.timeout
				}
			})
			engines := map[signaling.UserID]*tengine{}
			for _, u := range sc.users {
				engines[u] = h.engine(u, sc.mod[u])
			}
			sc.act(t, engines)
			// Let stray events arrive before comparing: nothing more may come.
			time.Sleep(300 * time.Millisecond)
			for _, u := range sc.users {
				got := sortJoinRuns(withoutAvailability(engines[u].callEvents()))
				if !slices.Equal(got, sc.want[u]) {
					t.Errorf("%s saw:\n  %q\nwant:\n  %q\nall events:\n%s", u, got, sc.want[u], engines[u].dump())
				}
			}
		})
	}
}

func withoutAvailability(evs []string) []string {
	return slices.DeleteFunc(evs, func(s string) bool {
		return strings.HasPrefix(s, "onUserVideoAvailable") || strings.HasPrefix(s, "onUserAudioAvailable")
	})
}

// sortJoinRuns sorts each run of consecutive onUserJoin events: a
// newcomer's media connections to several members come up in no set order.
func sortJoinRuns(evs []string) []string {
	for i := 0; i < len(evs); {
		j := i
		for j < len(evs) && strings.HasPrefix(evs[j], "onUserJoin(") {
			j++
		}
		slices.Sort(evs[i:j])
		i = max(j, i+1)
	}
	return evs
}

// must fails the test on err.
func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// connect1v1 has a call b and waits until both have media.
func connect1v1(t *testing.T, a, b *tengine, mt signaling.MediaType) {
	t.Helper()
	// Only this call's events count: a test may connect a second call
	// after a first one, whose events would otherwise match at once.
	fromA, fromB := len(a.snapshot()), len(b.snapshot())
	named := func(name string, match func(Event) bool) func(Event) bool {
		return func(ev Event) bool { return ev.EventName() == name && (match == nil || match(ev)) }
	}
	must(t, "call", noID(a.Call(ctxT(t), b.user, mt, Params{})))
	b.waitFrom(fromB, "onCallReceived", named("onCallReceived", nil), 20*time.Second)
	must(t, "accept", b.Accept(ctxT(t)))
	a.waitFrom(fromA, "onUserJoin", named("onUserJoin", isUser(b.user)), 20*time.Second)
	b.waitFrom(fromB, "onUserJoin", named("onUserJoin", isUser(a.user)), 20*time.Second)
}

var scenarios = []scenario{
	{
		name:  "1v1 accepted, then the caller hangs up",
		users: []signaling.UserID{"alice", "bob"},
		act: func(t *testing.T, e map[signaling.UserID]*tengine) {
			connect1v1(t, e["alice"], e["bob"], signaling.Audio)
			must(t, "hangup", e["alice"].Hangup(ctxT(t)))
			e["bob"].waitEvent("onCallEnd", nil)
		},
		want: map[signaling.UserID][]string{
			"alice": {"onCallBegin", "onUserJoin(bob)", "onCallEnd(hangup)"},
			"bob":   {"onCallReceived", "onCallBegin", "onUserJoin(alice)", "onUserLeave(alice)", "onCallEnd(hangup)"},
		},
	},
	{
		name:  "1v1 accepted, then the callee hangs up",
		users: []signaling.UserID{"alice", "bob"},
		act: func(t *testing.T, e map[signaling.UserID]*tengine) {
			connect1v1(t, e["alice"], e["bob"], signaling.Video)
			must(t, "hangup", e["bob"].Hangup(ctxT(t)))
			e["alice"].waitEvent("onCallEnd", nil)
		},
		want: map[signaling.UserID][]string{
			"alice": {"onCallBegin", "onUserJoin(bob)", "onUserLeave(bob)", "onCallEnd(hangup)"},
			"bob":   {"onCallReceived", "onCallBegin", "onUserJoin(alice)", "onCallEnd(hangup)"},
		},
	},
	{
		name:  "the caller cancels",
		users: []signaling.UserID{"alice", "bob"},
		act: func(t *testing.T, e map[signaling.UserID]*tengine) {
			must(t, "call", noID(e["alice"].Call(ctxT(t), "bob", signaling.Video, Params{})))
			e["bob"].waitEvent("onCallReceived", nil)
			must(t, "hangup", e["alice"].Hangup(ctxT(t)))
			e["bob"].waitEvent("onCallCancelled", nil)
		},
		want: map[signaling.UserID][]string{
			"alice": {"onCallCancelled(alice,canceled)"},
			"bob":   {"onCallReceived", "onCallCancelled(alice,canceled)"},
		},
	},
	{
		name:  "the callee rejects",
		users: []signaling.UserID{"alice", "bob"},
		act: func(t *testing.T, e map[signaling.UserID]*tengine) {
			must(t, "call", noID(e["alice"].Call(ctxT(t), "bob", signaling.Audio, Params{})))
			e["bob"].waitEvent("onCallReceived", nil)
			must(t, "reject", e["bob"].Reject(ctxT(t)))
			e["alice"].waitEvent("onCallCancelled", nil)
		},
		want: map[signaling.UserID][]string{
			"alice": {"onUserReject(bob)", "onCallCancelled(alice,reject)"},
			"bob":   {"onCallReceived", "onCallCancelled(bob,reject)"},
		},
	},
	{
		name:    "the callee does not answer in time",
		users:   []signaling.UserID{"alice", "bob"},
		timeout: time.Second,
		act: func(t *testing.T, e map[signaling.UserID]*tengine) {
			must(t, "call", noID(e["alice"].Call(ctxT(t), "bob", signaling.Video, Params{})))
			e["alice"].waitEvent("onCallCancelled", nil)
			e["bob"].waitEvent("onCallCancelled", nil)
		},
		want: map[signaling.UserID][]string{
			"alice": {"onUserNoResponse(bob)", "onCallCancelled(alice,noResponse)"},
			"bob":   {"onCallReceived", "onCallCancelled(bob,noResponse)"},
		},
	},
	{
		name:  "the callee is busy in another call, which goes on undisturbed",
		users: []signaling.UserID{"alice", "bob", "carol"},
		act: func(t *testing.T, e map[signaling.UserID]*tengine) {
			connect1v1(t, e["bob"], e["carol"], signaling.Audio)
			must(t, "call", noID(e["alice"].Call(ctxT(t), "bob", signaling.Audio, Params{})))
			e["alice"].waitEvent("onCallCancelled", nil)
		},
		want: map[signaling.UserID][]string{
			"alice": {"onUserLineBusy(bob)", "onCallCancelled(alice,lineBusy)"},
			"bob":   {"onCallBegin", "onUserJoin(carol)"},
			"carol": {"onCallReceived", "onCallBegin", "onUserJoin(bob)"},
		},
	},
	{
		name:  "the callee ignores the call",
		users: []signaling.UserID{"alice", "bob"},
		act: func(t *testing.T, e map[signaling.UserID]*tengine) {
			must(t, "call", noID(e["alice"].Call(ctxT(t), "bob", signaling.Audio, Params{})))
			e["bob"].waitEvent("onCallReceived", nil)
			must(t, "ignore", e["bob"].Ignore(ctxT(t)))
			e["alice"].waitEvent("onCallCancelled", nil)
			e["bob"].waitEvent("onCallCancelled", nil)
		},
		want: map[signaling.UserID][]string{
			"alice": {"onUserLineBusy(bob)", "onCallCancelled(alice,lineBusy)"},
			"bob":   {"onCallReceived", "onCallCancelled(bob,lineBusy)"},
		},
	},
	{
		name:  "group: one accepts, one rejects, one does not answer, then the caller leaves",
		users: []signaling.UserID{"alice", "bob", "carol", "dave"},
		// Every invitee's timer starts with the call, and bob's accept,
		// his media connecting and carol's reject must all come before
		// it, so that dave, still ringing, sees carol's reject: 2 s was
		// too short on a loaded 2-core machine ("there is no call to
		// reject"). The row's length is dave's wait.
		timeout: 6 * time.Second,
		act: func(t *testing.T, e map[signaling.UserID]*tengine) {
			must(t, "group call", noID(e["alice"].GroupCall(ctxT(t), "team", []signaling.UserID{"bob", "carol", "dave"}, signaling.Audio, Params{})))
			for _, u := range []signaling.UserID{"bob", "carol", "dave"} {
				e[u].waitEvent("onCallReceived", nil)
			}
			must(t, "accept", e["bob"].Accept(ctxT(t)))
			e["alice"].waitEvent("onUserJoin", isUser("bob"))
			e["bob"].waitEvent("onUserJoin", isUser("alice"))
			must(t, "reject", e["carol"].Reject(ctxT(t)))
			e["alice"].waitEvent("onUserReject", nil)
			e["bob"].waitEvent("onUserReject", nil)
			e["dave"].waitEvent("onCallCancelled", nil)
			e["alice"].waitEvent("onUserNoResponse", nil)
			e["bob"].waitEvent("onUserNoResponse", nil)
			must(t, "hangup", e["alice"].Hangup(ctxT(t)))
			e["bob"].waitEvent("onCallEnd", nil)
		},
		want: map[signaling.UserID][]string{
			"alice": {"onCallBegin", "onUserJoin(bob)", "onUserReject(carol)", "onUserNoResponse(dave)", "onCallEnd(hangup)"},
			"bob":   {"onCallReceived", "onCallBegin", "onUserJoin(alice)", "onUserReject(carol)", "onUserNoResponse(dave)", "onUserLeave(alice)", "onCallEnd(hangup)"},
			"carol": {"onCallReceived", "onCallCancelled(carol,reject)"},
			"dave":  {"onCallReceived", "onUserReject(carol)", "onCallCancelled(dave,noResponse)"},
		},
	},
	{
		name:  "group: members leave until the last one",
		users: []signaling.UserID{"alice", "bob", "carol"},
		act: func(t *testing.T, e map[signaling.UserID]*tengine) {
			groupOf3(t, e)
			must(t, "bob hangs up", e["bob"].Hangup(ctxT(t)))
			e["alice"].waitEvent("onUserLeave", isUser("bob"))
			e["carol"].waitEvent("onUserLeave", isUser("bob"))
			must(t, "carol hangs up", e["carol"].Hangup(ctxT(t)))
			e["alice"].waitEvent("onCallEnd", nil)
		},
		want: map[signaling.UserID][]string{
			"alice": {"onCallBegin", "onUserJoin(bob)", "onUserJoin(carol)", "onUserLeave(bob)", "onUserLeave(carol)", "onCallEnd(hangup)"},
			"bob":   {"onCallReceived", "onCallBegin", "onUserJoin(alice)", "onUserJoin(carol)", "onCallEnd(hangup)"},
			"carol": {"onCallReceived", "onCallBegin", "onUserJoin(alice)", "onUserJoin(bob)", "onUserLeave(bob)", "onCallEnd(hangup)"},
		},
	},
	{
		name:  "group: a member invites another into the running call",
		users: []signaling.UserID{"alice", "bob", "carol"},
		act: func(t *testing.T, e map[signaling.UserID]*tengine) {
			must(t, "group call", noID(e["alice"].GroupCall(ctxT(t), "team", []signaling.UserID{"bob"}, signaling.Audio, Params{})))
			e["bob"].waitEvent("onCallReceived", nil)
			must(t, "accept", e["bob"].Accept(ctxT(t)))
			e["alice"].waitEvent("onUserJoin", isUser("bob"))
			e["bob"].waitEvent("onUserJoin", isUser("alice"))
			must(t, "invite", e["bob"].InviteUser(ctxT(t), []signaling.UserID{"carol"}, Params{}))
			e["carol"].waitEvent("onCallReceived", nil)
			must(t, "carol accepts", e["carol"].Accept(ctxT(t)))
			e["carol"].waitEvent("onUserJoin", isUser("alice"))
			e["carol"].waitEvent("onUserJoin", isUser("bob"))
			e["alice"].waitEvent("onUserJoin", isUser("carol"))
			e["bob"].waitEvent("onUserJoin", isUser("carol"))
		},
		want: map[signaling.UserID][]string{
			"alice": {"onCallBegin", "onUserJoin(bob)", "onUserInviting(carol)", "onUserJoin(carol)"},
			"bob":   {"onCallReceived", "onCallBegin", "onUserJoin(alice)", "onUserInviting(carol)", "onUserJoin(carol)"},
			"carol": {"onCallReceived", "onCallBegin", "onUserJoin(alice)", "onUserJoin(bob)"},
		},
	},
	{
		// Only a user who belongs to the call (or a member of its
		// server-side group) may join it: here one invited who declined.
		name:  "group: an invitee who declined joins the running group call later",
		users: []signaling.UserID{"alice", "bob", "carol"},
		act: func(t *testing.T, e map[signaling.UserID]*tengine) {
			must(t, "group call", noID(e["alice"].GroupCall(ctxT(t), "team", []signaling.UserID{"bob", "carol"}, signaling.Video, Params{})))
			e["bob"].waitEvent("onCallReceived", nil)
			e["carol"].waitEvent("onCallReceived", nil)
			must(t, "accept", e["bob"].Accept(ctxT(t)))
			// Each side's onUserJoin comes when its own media connects:
			// wait for both before carol's reject, whose order against
			// them the row fixes.
			e["alice"].waitEvent("onUserJoin", isUser("bob"))
			e["bob"].waitEvent("onUserJoin", isUser("alice"))
			must(t, "reject", e["carol"].Reject(ctxT(t)))
			e["carol"].waitEvent("onCallCancelled", nil)
			e["alice"].waitEvent("onUserReject", nil)
			e["bob"].waitEvent("onUserReject", nil)
			must(t, "join", noID(e["carol"].JoinInGroupCall(ctxT(t), "team", signaling.Video)))
			e["carol"].waitEvent("onUserJoin", isUser("alice"))
			e["carol"].waitEvent("onUserJoin", isUser("bob"))
			e["alice"].waitEvent("onUserJoin", isUser("carol"))
			e["bob"].waitEvent("onUserJoin", isUser("carol"))
		},
		want: map[signaling.UserID][]string{
			"alice": {"onCallBegin", "onUserJoin(bob)", "onUserReject(carol)", "onUserJoin(carol)"},
			"bob":   {"onCallReceived", "onCallBegin", "onUserJoin(alice)", "onUserReject(carol)", "onUserJoin(carol)"},
			"carol": {"onCallReceived", "onCallCancelled(carol,reject)", "onCallBegin", "onUserJoin(alice)", "onUserJoin(bob)"},
		},
	},
	{
		name:  "group: switching the media type reaches every member",
		users: []signaling.UserID{"alice", "bob", "carol"},
		act: func(t *testing.T, e map[signaling.UserID]*tengine) {
			groupOf3(t, e)
			must(t, "switch", e["carol"].SwitchCallMediaType(ctxT(t), signaling.Audio))
			for _, u := range []signaling.UserID{"alice", "bob", "carol"} {
				e[u].waitEvent("onCallMediaTypeChanged", nil)
			}
		},
		want: map[signaling.UserID][]string{
			"alice": {"onCallBegin", "onUserJoin(bob)", "onUserJoin(carol)", "onCallMediaTypeChanged(video->audio)"},
			"bob":   {"onCallReceived", "onCallBegin", "onUserJoin(alice)", "onUserJoin(carol)", "onCallMediaTypeChanged(video->audio)"},
			"carol": {"onCallReceived", "onCallBegin", "onUserJoin(alice)", "onUserJoin(bob)", "onCallMediaTypeChanged(video->audio)"},
		},
	},
	{
		name:  "wrong-state requests are refused with a code, and reported",
		users: []signaling.UserID{"alice", "bob"},
		act: func(t *testing.T, e map[signaling.UserID]*tengine) {
			a := e["alice"]
			wantCode(t, "accept with no call", a.Accept(ctxT(t)), signaling.CodeRequestRefused)
			wantCode(t, "hang up with no call", a.Hangup(ctxT(t)), signaling.CodeRequestRefused)
			wantCode(t, "call yourself", noID(a.Call(ctxT(t), "alice", signaling.Audio, Params{})), signaling.CodeInvalidParam)
			wantCode(t, "ten in a call", noID(a.GroupCall(ctxT(t), "g", []signaling.UserID{"u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9"}, signaling.Audio, Params{})), signaling.CodeInvalidParam)
			must(t, "call", noID(a.Call(ctxT(t), "bob", signaling.Audio, Params{})))
			wantCode(t, "call again", noID(a.Call(ctxT(t), "bob", signaling.Audio, Params{})), signaling.CodeRequestRepeated)
			e["bob"].waitEvent("onCallReceived", nil)
			must(t, "accept", e["bob"].Accept(ctxT(t)))
			e["bob"].waitEvent("onCallBegin", nil)
			wantCode(t, "accept twice", e["bob"].Accept(ctxT(t)), signaling.CodeRequestRepeated)
			a.waitEvent("onUserJoin", nil)
			wantCode(t, "switch to the same type", a.SwitchCallMediaType(ctxT(t), signaling.Audio), signaling.CodeRequestRepeated)
		},
		want: map[signaling.UserID][]string{
			"alice": {"onError(-1203)", "onError(-1203)", "onError(-1202)", "onError(-1202)", "onError(-1204)", "onCallBegin", "onUserJoin(bob)", "onError(-1204)"},
			"bob":   {"onCallReceived", "onCallBegin", "onError(-1204)", "onUserJoin(alice)"},
		},
	},
}

// groupOf3 has alice call bob and carol in group "team" (video) and waits
// until all three have media with each other.
func groupOf3(t *testing.T, e map[signaling.UserID]*tengine) {
	t.Helper()
	must(t, "group call", noID(e["alice"].GroupCall(ctxT(t), "team", []signaling.UserID{"bob", "carol"}, signaling.Video, Params{})))
	e["bob"].waitEvent("onCallReceived", nil)
	e["carol"].waitEvent("onCallReceived", nil)
	must(t, "bob accepts", e["bob"].Accept(ctxT(t)))
	e["alice"].waitEvent("onUserJoin", isUser("bob"))
	must(t, "carol accepts", e["carol"].Accept(ctxT(t)))
	for u, others := range map[signaling.UserID][]signaling.UserID{"alice": {"bob", "carol"}, "bob": {"alice", "carol"}, "carol": {"alice", "bob"}} {
		for _, o := range others {
			e[u].waitEvent("onUserJoin", isUser(o))
		}
	}
}

func wantCode(t *testing.T, what string, err error, code signaling.Code) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: succeeded, want code %d", what, code)
		return
	}
	if !errorsIsCode(err, code) {
		t.Errorf("%s: %v, want code %d", what, err, code)
	}
}

func errorsIsCode(err error, code signaling.Code) bool {
	ce, ok := err.(*Error)
	return ok && ce.Code == code && ce.Message != ""
}

// TestMediaThatNeverConnectsEndsTheCall: alice's media setup never reaches
// bob, so no media flows. The first engine to give up (either: their
// timers start within milliseconds) reports onError (-1409) and leaves
// with connectionFailed; the call ends for both with that reason, and
// nobody saw an onUserJoin.
func TestMediaThatNeverConnectsEndsTheCall(t *testing.T) {
	h := newHarness(t, nil)
	short := func(c *Config) { c.ConnectTimeout = 2 * time.Second }
	alice := h.engineWith("alice", short, testHooks{dropSignal: func(media.Signal) bool { return true }})
	bob := h.engine("bob", short)
	must(t, "call", noID(alice.Call(ctxT(t), "bob", signaling.Video, Params{})))
	bob.waitEvent("onCallReceived", nil)
	must(t, "accept", bob.Accept(ctxT(t)))
	alice.waitEvent("onCallEnd", nil)
	bob.waitEvent("onCallEnd", nil)
	time.Sleep(300 * time.Millisecond)
	reported := 0
	for _, te := range []*tengine{alice, bob} {
		got := withoutAvailability(te.callEvents())
		var errs, joins int
		for _, ev := range got {
			switch {
			case ev == "onError(-1409)":
				errs++
			case strings.HasPrefix(ev, "onUserJoin"):
				joins++
			}
		}
		if joins != 0 || got[len(got)-1] != "onCallEnd(connectionFailed)" {
			t.Errorf("%s saw %q: want no onUserJoin, and onCallEnd(connectionFailed) last", te.user, got)
		}
		reported += errs
	}
	if reported == 0 {
		t.Errorf("nobody reported the failure with onError(-1409)")
	}
}
