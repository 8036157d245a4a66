package call

import (
	"testing"
	"time"

	"github.com/calla-rtc/calla/media"
	"github.com/calla-rtc/calla/signaling"
)

// A hang-up is not a network going down. The side that hangs up closes
// its media, and the other side's media sees the connection closed
// (DTLS close_notify) before the server's onCallEnd arrives: that used
// to rate everyone, self included, Down just before onCallEnd (13 of 294
// hang-ups in issue 12). Here bob's media closes first, for certain, and
// alice must tell no Down, and no quality at all once nobody is left to
// rate; the side that hangs up tells no volume or quality after Hangup
// either (that half may pass on the old code: its window is one turn of
// the engine's loop).
func TestAHangUpIsNeverReportedAsANetworkDown(t *testing.T) {
	h := newHarness(t, nil)
	alice := h.engine("alice", nil)
	bob := h.engine("bob", nil)
	connect1v1(t, alice, bob, signaling.Audio)
	_, from := alice.waitFrom(0, "a quality with bob in it", func(ev Event) bool {
		q, ok := ev.(*UserNetworkQualityChanged)
		return ok && q.NetworkQuality["bob"] != media.QualityUnknown
	}, 20*time.Second)

	// Bob's media closes before his hang-up reaches the server (the order
	// that a busy server or a slow link makes happen).
	must(t, "bob's media closes", bob.do(ctxT(t), "close media", func(done func(error)) {
		bob.call.media.do(func(s *media.Session) error { return s.RemovePeer("alice") }, done)
	}))
	// Alice's volume events go on (bob at 0 once his connection closed);
	// fifteen of them, 100 ms apart, span three quality intervals.
	_, i := alice.waitFrom(from, "bob silent", func(ev Event) bool {
		v, ok := ev.(*UserVoiceVolumeChanged)
		return ok && v.VolumeMap["bob"] == 0
	}, 10*time.Second)
	for range 15 {
		_, i = alice.waitFrom(i+1, "volume", func(ev Event) bool {
			_, ok := ev.(*UserVoiceVolumeChanged)
			return ok
		}, 10*time.Second)
	}
	must(t, "bob hangs up", bob.Hangup(ctxT(t)))
	bob.waitEvent("onCallEnd", nil)
	_, end := alice.waitFrom(from, "onCallEnd", func(ev Event) bool { _, ok := ev.(*CallEnd); return ok }, 10*time.Second)

	alice.mu.Lock()
	evs := alice.events[from:end]
	alice.mu.Unlock()
	for _, ev := range evs {
		if q, ok := ev.(*UserNetworkQualityChanged); ok {
			for id, v := range q.NetworkQuality {
				if v == media.QualityDown {
					t.Errorf("alice was told %s is Down while bob hung up: %v", id, q.NetworkQuality)
				}
			}
		}
	}

	// Now alice hangs up a call of her own: nothing periodic after Hangup.
	// What Hangup does, with a mark in the event stream in the same turn
	// of the loop, since events emitted before it may still be on their
	// way to the recorder when Hangup returns.
	connect1v1(t, bob, alice, signaling.Audio)
	must(t, "alice hangs up", alice.do(ctxT(t), "hang up", func(done func(error)) {
		alice.emit(hangupMark{})
		alice.leaveCall(signaling.ReasonHangup)
		done(nil)
	}))
	_, m := alice.waitFrom(0, "the mark", func(ev Event) bool { _, ok := ev.(hangupMark); return ok }, 10*time.Second)
	alice.waitFrom(m, "onCallEnd", func(ev Event) bool { _, ok := ev.(*CallEnd); return ok }, 10*time.Second)
	for _, ev := range alice.snapshot()[m:] {
		switch ev.(type) {
		case *UserNetworkQualityChanged, *UserVoiceVolumeChanged:
			t.Errorf("alice was told %s after she hung up", ev.EventName())
		case *CallEnd:
			return
		}
	}
}

// hangupMark marks where Hangup ran in an engine's event stream.
type hangupMark struct{}

func (hangupMark) EventName() string { return "testHangupMark" }
func (hangupMark) isEvent()          {}

// snapshot is every event recorded so far.
func (te *tengine) snapshot() []Event {
	te.mu.Lock()
	defer te.mu.Unlock()
	return append([]Event(nil), te.events...)
}
