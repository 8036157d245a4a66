package media

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"go.uber.org/goleak"
)

// sentPacket is one RTP packet as it left the session, and when.
type sentPacket struct {
	seq    uint16
	ts     uint32
	ssrc   uint32
	marker bool
	at     time.Time
}

// rtpRecorder is an interceptor nearest the network that records every
// outgoing RTP header by media kind ("audio", "video").
type rtpRecorder struct {
	interceptor.NoOp
	mu   sync.Mutex
	sent map[string][]sentPacket
}

func (r *rtpRecorder) NewInterceptor(string) (interceptor.Interceptor, error) { return r, nil }

func (r *rtpRecorder) BindLocalStream(info *interceptor.StreamInfo, w interceptor.RTPWriter) interceptor.RTPWriter {
	kind, _, _ := strings.Cut(info.MimeType, "/")
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		if len(payload) > 0 {
			r.mu.Lock()
			r.sent[kind] = append(r.sent[kind], sentPacket{seq: h.SequenceNumber, ts: h.Timestamp, ssrc: h.SSRC, marker: h.Marker, at: time.Now()})
			r.mu.Unlock()
		}
		return w.Write(h, payload, a)
	})
}

func (r *rtpRecorder) count(kind string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.sent[kind])
}

func (r *rtpRecorder) packets(kind string) []sentPacket {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]sentPacket(nil), r.sent[kind]...)
}

// checkRTPClock checks one outgoing stream against the wall clock: one
// SSRC, sequence numbers without a gap, and timestamps that advance with
// the time the packets were sent: frameTicks per packet when frameTicks
// is not 0 (audio, one 20 ms frame a packet) except across a pause
// (mute, camera off), where they jump with the time that passed. slack is
// how far the send time may stray from the timestamp's time (scheduling
// on a loaded machine; the encoder's pace).
func checkRTPClock(t *testing.T, kind string, pkts []sentPacket, clock float64, frameTicks uint32, pauses []time.Time, slack time.Duration) {
	t.Helper()
	if len(pkts) < 2 {
		t.Fatalf("%s: %d packets", kind, len(pkts))
	}
	p0 := pkts[0]
	distinct := map[uint32]bool{}
	// lag is how far behind the RTP clock a packet left, relative to
	// the first: constant for a sender whose timestamps follow real time.
	lag := func(p sentPacket) time.Duration {
		return p.at.Sub(p0.at) - time.Duration(float64(p.ts-p0.ts)/clock*float64(time.Second))
	}
	minLag, maxLag := time.Duration(0), time.Duration(0)
	for i := 1; i < len(pkts); i++ {
		a, b := pkts[i-1], pkts[i]
		distinct[b.ts] = true
		if b.ssrc != a.ssrc {
			t.Fatalf("%s: SSRC changed from %d to %d at packet %d", kind, a.ssrc, b.ssrc, i)
		}
		if b.seq != a.seq+1 {
			t.Fatalf("%s: sequence number %d after %d at packet %d", kind, b.seq, a.seq, i)
		}
		d := b.ts - a.ts
		if d > 1<<31 {
			t.Fatalf("%s: timestamp went back from %d to %d at packet %d", kind, a.ts, b.ts, i)
		}
		paused := false
		for _, p := range pauses {
			if a.at.Before(p) && !b.at.Before(p) {
				paused = true
			}
		}
		if frameTicks != 0 && !paused && d != frameTicks {
			t.Fatalf("%s: timestamp advanced %d (want %d, one frame) from packet %d to %d, sent %v apart",
				kind, d, frameTicks, i-1, i, b.at.Sub(a.at))
		}
		if frameTicks == 0 && d == 0 && a.marker {
			t.Fatalf("%s: a new frame at packet %d has the timestamp of the one before", kind, i)
		}
		l := lag(b)
		minLag, maxLag = min(minLag, l), max(maxLag, l)
	}
	span := pkts[len(pkts)-1].at.Sub(p0.at)
	t.Logf("%s: %d packets over %v, %d distinct timestamps, send time vs RTP clock within [%v, %v]",
		kind, len(pkts), span.Round(time.Millisecond), len(distinct), minLag.Round(time.Millisecond), maxLag.Round(time.Millisecond))
	if maxLag-minLag > slack {
		t.Errorf("%s: packets left between %v and %v off their RTP timestamps' time (want a spread under %v): the timestamps do not follow real time",
			kind, minLag.Round(time.Millisecond), maxLag.Round(time.Millisecond), slack)
	}
}

// TestOutgoingRTPTimestampsFollowTheClock reads alice's RTP as it leaves
// for bob: Opus advances 960 per 20 ms packet, VP8 at 90 kHz with the
// capture time, and both keep following real time across a mute and a
// camera off/on, as a standard receiver (libwebrtc's NetEq and jitter
// buffer) needs. Calla's own receiver orders by sequence number only,
// so only the wire shows this.
func TestOutgoingRTPTimestampsFollowTheClock(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	rec := &rtpRecorder{sent: map[string][]sentPacket{}}
	n := newTestNet(t)
	a := n.addWith("alice", testConfig(), testHooks{interceptor: func(p PeerID) interceptor.Factory {
		if p == "bob" {
			return rec
		}
		return nil
	}})
	b := n.add("bob", testConfig())
	defer n.close()
	start(t, true, a, b)
	n.connect(a, b)
	a.wait(t, 0, 15*time.Second, "bob connected", isState("bob", PeerConnected))
	waitUntil(t, 15*time.Second, "a second of audio and video", func() bool {
		return rec.count("audio") >= 50 && rec.count("video") >= 15
	})

	// A pause of each: the microphone muted, then the camera off. The
	// sleeps are the pauses themselves, not waits for something.
	const pause = 1200 * time.Millisecond
	toggle := func(what string, f func(bool) error) []time.Time {
		if err := f(false); err != nil {
			t.Fatalf("%s off: %v", what, err)
		}
		time.Sleep(pause)
		resumed := time.Now()
		if err := f(true); err != nil {
			t.Fatalf("%s on: %v", what, err)
		}
		return []time.Time{resumed}
	}
	micPause := toggle("microphone", a.s.SetMicrophone)
	camPause := toggle("camera", a.s.SetCamera)
	na, nv := rec.count("audio"), rec.count("video")
	waitUntil(t, 15*time.Second, "a second of audio and video after the pauses", func() bool {
		return rec.count("audio") >= na+50 && rec.count("video") >= nv+15
	})

	// The pauses must show on the wire (nothing sent) for the check to
	// mean anything.
	for _, kind := range []string{"audio", "video"} {
		gap := time.Duration(0)
		pk := rec.packets(kind)
		for i := 1; i < len(pk); i++ {
			gap = max(gap, pk[i].at.Sub(pk[i-1].at))
		}
		if gap < pause/2 {
			t.Fatalf("%s: the longest silence on the wire is %v, want a pause of about %v", kind, gap, pause)
		}
	}
	checkRTPClock(t, "audio", rec.packets("audio"), 48000, 960, micPause, 500*time.Millisecond)
	checkRTPClock(t, "video", rec.packets("video"), 90000, 0, camPause, 500*time.Millisecond)
}
