package media

import (
	"math/rand/v2"
	"sync"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
)

// outMTU is the largest RTP packet the shared tracks write: pion's own
// outbound MTU, which leaves room for SRTP and the header extensions the
// interceptors add.
const outMTU = 1200

// outTrack is one shared outgoing track, which every peer connection
// sends: pion's TrackLocalStaticRTP fed by Calla's own packetizer, so
// that the RTP timestamps are Calla's to set. pion's sample track only
// advances the timestamp by each sample's duration, which cannot follow
// real time across a pause (nothing is written while the microphone is
// muted or the camera is off), and a receiver that plays by timestamp
// (libwebrtc's NetEq, its video jitter buffer) needs that: a stream
// whose clock stood still while time went on looks to it like a delay
// spike of the whole pause.
//
// The clock: ts = ts0 + (t - t0) * clockRate, with t0 the track's
// creation and ts0 random (RFC 3550 5.1). Video stamps each frame with
// its capture time on that clock; audio (capture.go) stamps the first
// frame of a capture so and then advances exactly one frame per frame
// read, muted or not. The sequence number continues across pauses and
// device changes, since a receiver takes a gap in it for loss.
//
// Concurrency: the capture pump (or the echo writer) of the track's kind
// writes; the lock keeps a device change's two pumps, and the session's
// reads of the last timestamp, in order.
type outTrack struct {
	*webrtc.TrackLocalStaticRTP
	clock int64 // ticks per second

	mu      sync.Mutex
	pk      rtp.Packetizer
	t0      time.Time
	ts0     uint32
	last    uint32 // the last timestamp written
	written bool
	// bound counts the peer connections the track is bound to. With
	// none, a frame is not packetized: it would take sequence numbers
	// that no receiver sees, which it would take for loss (a camera
	// turned on writes its first frames before the senders take it).
	bound int
}

// Bind is pion's, counted (see bound).
func (o *outTrack) Bind(c webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	p, err := o.TrackLocalStaticRTP.Bind(c)
	if err == nil {
		o.mu.Lock()
		o.bound++
		o.mu.Unlock()
	}
	return p, err
}

// Unbind is pion's, counted (see bound).
func (o *outTrack) Unbind(c webrtc.TrackLocalContext) error {
	err := o.TrackLocalStaticRTP.Unbind(c)
	if err == nil {
		o.mu.Lock()
		o.bound--
		o.mu.Unlock()
	}
	return err
}

func newOutTrack(c webrtc.RTPCodecCapability, id, streamID string) (*outTrack, error) {
	t, err := webrtc.NewTrackLocalStaticRTP(c, id, streamID)
	if err != nil {
		return nil, err
	}
	var pl rtp.Payloader = &codecs.OpusPayloader{}
	if c.MimeType == webrtc.MimeTypeVP8 {
		pl = &codecs.VP8Payloader{EnablePictureID: true}
	}
	// SSRC and payload type are filled in per peer connection by
	// TrackLocalStaticRTP; the packetizer's timestamp is overwritten.
	pk := rtp.NewPacketizer(outMTU, 0, 0, pl, rtp.NewRandomSequencer(), c.ClockRate)
	return &outTrack{TrackLocalStaticRTP: t, clock: int64(c.ClockRate), pk: pk,
		t0: time.Now(), ts0: rand.Uint32()}, nil
}

// at is the timestamp of wall-clock time t.
func (o *outTrack) at(t time.Time) uint32 { return o.ts0 + uint32(o.ticks(t.Sub(o.t0))) }

// ticks is d on the track's clock.
func (o *outTrack) ticks(d time.Duration) int64 {
	return int64(d/time.Second)*o.clock + int64(d%time.Second)*o.clock/int64(time.Second)
}

// after is ts, or just after the last timestamp written when ts is not
// later than it: the timestamps never go back, whatever a new capture's
// clock says.
func (o *outTrack) after(ts uint32, step uint32) uint32 {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.written && int32(ts-o.last) <= 0 {
		return o.last + step
	}
	return ts
}

// write sends one encoded frame with timestamp ts to every peer
// connection the track is bound to. With none bound the frame goes
// nowhere, which is not an error, and takes no sequence numbers. Packets leave in sequence order: the
// lock is held while they are written (a write to a peer connection
// does not wait for the network).
func (o *outTrack) write(frame []byte, ts uint32) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.last, o.written = ts, true
	if o.bound == 0 {
		return nil
	}
	var first error
	for _, p := range o.pk.Packetize(frame, 0) {
		p.Timestamp = ts
		if err := o.WriteRTP(p); err != nil && first == nil {
			first = err
		}
	}
	return first
}
