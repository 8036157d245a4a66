package call

import (
	"slices"
	"strings"
	"testing"

	"github.com/calla-rtc/calla/media"
	"github.com/calla-rtc/calla/signaling"
)

// TestOneToOneVideoCall runs a whole 1v1 video call between two engines
// over a real server and real media on loopback: ringing, accept, media
// both ways (read back from the test pattern's stamp), volume and quality,
// mute, switching to audio and back, and hang-up.
func TestOneToOneVideoCall(t *testing.T) {
	h := newHarness(t, nil)
	alice := h.engine("alice", nil)
	bob := h.engine("bob", nil)
	aliceSees, bobSees := newStampSink(), newStampSink()
	alice.StartRemoteView("bob", aliceSees)
	bob.StartRemoteView("alice", bobSees)

	id, err := alice.Call(ctxT(t), "bob", signaling.Video, Params{UserData: "hello"})
	if err != nil {
		t.Fatalf("call: %v", err)
	}
	rc := bob.waitEvent("onCallReceived", nil).(*CallReceived)
	if rc.CallID != id || id == "" {
		t.Errorf("Call returned %q, the callee was invited to %q", id, rc.CallID)
	}
	if rc.CallerID != "alice" || !slices.Equal(rc.CalleeIDList, []signaling.UserID{"bob"}) || rc.CallMediaType != signaling.Video || rc.UserData != "hello" {
		t.Fatalf("onCallReceived = %+v", rc)
	}
	if err := bob.Accept(ctxT(t)); err != nil {
		t.Fatalf("accept: %v", err)
	}
	ab := alice.waitEvent("onCallBegin", nil).(*CallBegin)
	bb := bob.waitEvent("onCallBegin", nil).(*CallBegin)
	if ab.CallRole != signaling.RoleCaller || bb.CallRole != signaling.RoleCallee {
		t.Errorf("roles: alice %v, bob %v", ab.CallRole, bb.CallRole)
	}
	if ab.CallID != rc.CallID || bb.CallID != rc.CallID || ab.RoomID != bb.RoomID || ab.RoomID.IntRoomID < 1 {
		t.Errorf("call/room ids differ: %+v / %+v / %+v", rc, ab, bb)
	}

	alice.waitEvent("onUserJoin", isUser("bob"))
	bob.waitEvent("onUserJoin", isUser("alice"))
	alice.waitEvent("onUserVideoAvailable", videoOf("bob", true))
	bob.waitEvent("onUserAudioAvailable", audioOf("alice", true))

	// Media flows both ways: the stamps count up.
	for who, s := range map[string]*stampSink{"alice": aliceSees, "bob": bobSees} {
		st := s.waitStamps(t, who, 5)
		for i := 1; i < len(st); i++ {
			if st[i].Frame <= st[i-1].Frame {
				t.Errorf("%s: frame numbers do not increase: %d then %d", who, st[i-1].Frame, st[i].Frame)
			}
		}
	}

	// Both hear the other's test tone.
	alice.waitEvent("onUserVoiceVolumeChanged", func(ev Event) bool {
		vm := ev.(*UserVoiceVolumeChanged).VolumeMap
		_, self := vm["alice"]
		return self && vm["bob"] > 10
	})
	bob.waitEvent("onUserNetworkQualityChanged", func(ev Event) bool {
		q := ev.(*UserNetworkQualityChanged).NetworkQuality
		return goodQuality(q["alice"]) && goodQuality(q["bob"])
	})

	// Bob mutes: Alice sees it and hears silence.
	if err := bob.CloseMicrophone(ctxT(t)); err != nil {
		t.Fatalf("close microphone: %v", err)
	}
	_, i := alice.waitFrom(0, "bob muted", func(ev Event) bool { return audioOf("bob", false)(ev) }, 10e9)
	alice.waitFrom(i, "bob's silence", func(ev Event) bool {
		vm, ok := ev.(*UserVoiceVolumeChanged)
		return ok && vm.VolumeMap["bob"] <= 2
	}, 10e9)

	// Video -> audio -> video.
	if err := alice.SwitchCallMediaType(ctxT(t), signaling.Audio); err != nil {
		t.Fatalf("switch to audio: %v", err)
	}
	alice.waitEvent("onCallMediaTypeChanged", nil)
	bob.waitEvent("onCallMediaTypeChanged", nil)
	bob.waitEvent("onUserVideoAvailable", videoOf("alice", false))
	if err := bob.SwitchCallMediaType(ctxT(t), signaling.Audio); err == nil {
		t.Errorf("switching an audio call to audio again succeeded")
	}
	aliceSees.reset()
	if err := bob.SwitchCallMediaType(ctxT(t), signaling.Video); err != nil {
		t.Fatalf("switch to video: %v", err)
	}
	_, i = alice.waitFrom(0, "video back", func(ev Event) bool {
		c, ok := ev.(*CallMediaTypeChanged)
		return ok && c.NewCallMediaType == signaling.Video
	}, 10e9)
	alice.waitFrom(i, "bob's video back", videoOf("bob", true), 10e9)
	_, i = bob.waitFrom(0, "video back", func(ev Event) bool {
		c, ok := ev.(*CallMediaTypeChanged)
		return ok && c.NewCallMediaType == signaling.Video
	}, 10e9)
	bob.waitFrom(i, "alice's video back", videoOf("alice", true), 10e9)
	aliceSees.waitStamps(t, "alice after the switch back", 5)

	if err := alice.Hangup(ctxT(t)); err != nil {
		t.Fatalf("hang up: %v", err)
	}
	alice.waitEvent("onCallEnd", nil)
	bob.waitEvent("onCallEnd", nil)

	wantAlice := []string{"onCallBegin", "onUserJoin(bob)", "onUserAudioAvailable(bob,true)", "onUserVideoAvailable(bob,true)",
		"onUserAudioAvailable(bob,false)", "onCallMediaTypeChanged(video->audio)", "onUserVideoAvailable(bob,false)",
		"onCallMediaTypeChanged(audio->video)", "onUserVideoAvailable(bob,true)", "onCallEnd(hangup)"}
	if got := sortAvailabilityRuns(alice.callEvents()); !slices.Equal(got, wantAlice) {
		t.Errorf("alice's events:\n got  %q\n want %q", got, wantAlice)
	}
	wantBob := []string{"onCallReceived", "onCallBegin", "onUserJoin(alice)", "onUserAudioAvailable(alice,true)", "onUserVideoAvailable(alice,true)",
		"onCallMediaTypeChanged(video->audio)", "onUserVideoAvailable(alice,false)", "onError(-1204)",
		"onCallMediaTypeChanged(audio->video)", "onUserVideoAvailable(alice,true)", "onUserLeave(alice)", "onCallEnd(hangup)"}
	if got := sortAvailabilityRuns(bob.callEvents()); !slices.Equal(got, wantBob) {
		t.Errorf("bob's events:\n got  %q\n want %q", got, wantBob)
	}
}

func isUser(u signaling.UserID) func(Event) bool {
	return func(ev Event) bool {
		switch e := ev.(type) {
		case *UserJoin:
			return e.UserID == u
		case *UserLeave:
			return e.UserID == u
		}
		return false
	}
}

func videoOf(u signaling.UserID, on bool) func(Event) bool {
	return func(ev Event) bool {
		e, ok := ev.(*UserVideoAvailable)
		return ok && e.UserID == u && e.IsVideoAvailable == on
	}
}

func audioOf(u signaling.UserID, on bool) func(Event) bool {
	return func(ev Event) bool {
		e, ok := ev.(*UserAudioAvailable)
		return ok && e.UserID == u && e.IsAudioAvailable == on
	}
}

func goodQuality(q media.Quality) bool { return q == media.QualityExcellent || q == media.QualityGood }

// sortAvailabilityRuns puts the two availability events that follow an
// onUserJoin in a set order: a member's audio and video tracks arrive in
// no set order, so which of the two comes first varies.
func sortAvailabilityRuns(evs []string) []string {
	for i := 0; i+2 < len(evs); i++ {
		if strings.HasPrefix(evs[i], "onUserJoin(") &&
			strings.HasPrefix(evs[i+1], "onUserVideoAvailable") && strings.HasPrefix(evs[i+2], "onUserAudioAvailable") {
			evs[i+1], evs[i+2] = evs[i+2], evs[i+1]
		}
	}
	return evs
}
