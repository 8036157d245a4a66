package call

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/calla-rtc/calla/signaling"
)

// TestGroupCallOfFour runs a video group call of four engines in a mesh:
// everyone sees everyone's test pattern, hears everyone, gets volume and
// quality for every member; then one leaves and the other three go on.
func TestGroupCallOfFour(t *testing.T) {
	h := newHarness(t, nil)
	users := []signaling.UserID{"alice", "bob", "carol", "dave"}
	e := map[signaling.UserID]*tengine{}
	sinks := map[string]*stampSink{} // "viewer->member"
	for _, u := range users {
		e[u] = h.engine(u, nil)
	}
	for _, u := range users {
		for _, o := range users {
			if o != u {
				s := newStampSink()
				sinks[string(u)+"->"+string(o)] = s
				e[u].StartRemoteView(o, s)
			}
		}
	}

	must(t, "group call", noID(e["alice"].GroupCall(ctxT(t), "four", []signaling.UserID{"bob", "carol", "dave"}, signaling.Video, Params{})))
	for _, u := range users[1:] {
		rc := e[u].waitEvent("onCallReceived", nil).(*CallReceived)
		if rc.GroupID != "four" || len(rc.CalleeIDList) != 3 {
			t.Errorf("%s: onCallReceived %+v", u, rc)
		}
		must(t, string(u)+" accepts", e[u].Accept(ctxT(t)))
	}
	for _, u := range users {
		for _, o := range users {
			if o != u {
				e[u].waitEvent("onUserJoin", isUser(o))
				e[u].waitEvent("onUserVideoAvailable", videoOf(o, true))
			}
		}
	}
	for name, s := range sinks {
		s.waitStamps(t, name, 3)
	}
	for _, u := range users {
		e[u].waitEvent("onUserVoiceVolumeChanged", func(ev Event) bool {
			vm := ev.(*UserVoiceVolumeChanged).VolumeMap
			for _, o := range users {
				if vm[o] <= 10 {
					return false
				}
			}
			return true
		})
		e[u].waitEvent("onUserNetworkQualityChanged", func(ev Event) bool {
			return len(ev.(*UserNetworkQualityChanged).NetworkQuality) == len(users)
		})
	}

	// Dave leaves; the other three keep talking and seeing each other.
	must(t, "dave hangs up", e["dave"].Hangup(ctxT(t)))
	e["dave"].waitEvent("onCallEnd", nil)
	for _, u := range users[:3] {
		e[u].waitEvent("onUserLeave", isUser("dave"))
	}
	for _, name := range []string{"alice->bob", "bob->carol", "carol->alice"} {
		sinks[name].reset()
		sinks[name].waitStamps(t, name+" after dave left", 3)
	}
	_, i := e["alice"].waitFrom(0, "dave's leave", isUser("dave"), 10*time.Second)
	e["alice"].waitFrom(i, "volumes without dave", func(ev Event) bool {
		vm, ok := ev.(*UserVoiceVolumeChanged)
		if !ok {
			return false
		}
		_, hasDave := vm.VolumeMap["dave"]
		return !hasDave && len(vm.VolumeMap) == 3
	}, 10*time.Second)
	for _, u := range users[:3] {
		for _, ev := range e[u].callEvents() {
			if ev == "onCallEnd(hangup)" || strings.HasPrefix(ev, "onError") {
				t.Errorf("%s: %s while the call goes on", u, ev)
			}
		}
	}
}

// TestKickedOfflineAndUserSigExpiry: a second login of the same user kicks
// the first session out of its call; a UserSig that expires while online
// ends its session.
func TestKickedOfflineAndUserSigExpiry(t *testing.T) {
	h := newHarness(t, nil)
	alice := h.engine("alice", nil)
	bob := h.engine("bob", nil)
	connect1v1(t, alice, bob, signaling.Audio)

	bob2 := h.engine("bob", nil) // logs in as bob elsewhere
	bob.waitEvent("onKickedOffline", nil)
	end := bob.waitEvent("onCallEnd", nil).(*CallEnd)
	if end.Reason != signaling.ReasonOffline {
		t.Errorf("kicked bob's call ended with %q, want offline", end.Reason)
	}
	alice.waitEvent("onCallEnd", nil)
	wantCode(t, "call after being kicked", noID(bob.Call(ctxT(t), "alice", signaling.Audio, Params{})), signaling.CodeNotLoggedIn)
	_ = bob2

	carol := New(Config{LoopbackOnly: true, NoPlayback: true, Logger: testLogger()})
	defer carol.Close()
	events := carol.Events()
	must(t, "login", carol.Login(ctxT(t), LoginParams{Server: h.url, UserID: "carol", UserSig: h.sig("carol", 2*time.Second)}))
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev := <-events:
			if _, ok := ev.(*UserSigExpired); ok {
				return
			}
		case <-deadline:
			t.Fatal("no onUserSigExpired within 10s of a UserSig that lasts 2s")
		}
	}
}

// TestLoginRefusals: a login with a bad UserSig is refused with its code.
func TestLoginRefusals(t *testing.T) {
	h := newHarness(t, nil)
	for _, tc := range []struct {
		name string
		user signaling.UserID
		sig  string
		code signaling.Code
	}{
		{"expired", "alice", expiredSig(t, "alice"), signaling.CodeUserSigExpired},
		{"another user's", "alice", h.sig("bob", time.Hour), signaling.CodeUserSigInvalid},
		{"garbage", "alice", "not-a-usersig", signaling.CodeUserSigInvalid},
		{"bad user id", "al ice", "x", signaling.CodeInvalidParam},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := New(Config{Logger: testLogger()})
			defer e.Close()
			go func() {
				for range e.Events() {
				}
			}()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := e.Login(ctx, LoginParams{Server: h.url, UserID: tc.user, UserSig: tc.sig})
			wantCode(t, fmt.Sprintf("login with %s UserSig", tc.name), err, tc.code)
		})
	}
}

func expiredSig(t *testing.T, u signaling.UserID) string {
	s, err := signaling.GenUserSig(testSecret, testAppID, u, time.Minute, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return s
}
