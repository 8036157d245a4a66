package media

import (
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// Frame assembly limits. A gap (a lost packet NACK did not recover) is
// waited for maxGapWait, or until maxPending packets are queued behind it;
// then the assembler skips to the next frame start and drops frames until
// a keyframe, so the decoder never sees a frame whose reference is gone.
const (
	maxGapWait = 200 * time.Millisecond
	maxPending = 512
)

// vp8Frame is one whole encoded VP8 frame.
type vp8Frame struct {
	data     []byte
	ts       uint32 // RTP timestamp
	keyframe bool
}

// frameAssembler rebuilds VP8 frames from RTP packets. Unlike pion's
// samplebuilder, which releases a frame only when the first packet of the
// next one arrives (one frame interval of delay: 33 ms at 30 fps), it
// releases a frame as soon as its last packet (the marker bit) is in and
// the frame is contiguous. Owned by one receive goroutine.
type frameAssembler struct {
	pkts     map[uint16]*rtp.Packet
	next     uint16 // sequence number of the next frame's first packet
	synced   bool
	needKey  bool
	gapSince time.Time
}

func newFrameAssembler() *frameAssembler {
	return &frameAssembler{pkts: make(map[uint16]*rtp.Packet), needKey: true}
}

// seqBefore reports whether a comes before b in 16-bit sequence space.
func seqBefore(a, b uint16) bool { return a != b && b-a < 0x8000 }

// vp8Head parses a packet's VP8 payload descriptor: whether it starts a
// frame, whether that frame is a keyframe, and the VP8 payload.
func vp8Head(p *rtp.Packet) (start, key bool, payload []byte, ok bool) {
	var d codecs.VP8Packet
	payload, err := d.Unmarshal(p.Payload)
	if err != nil {
		return false, false, nil, false
	}
	start = d.S == 1 && d.PID == 0
	key = start && len(payload) > 0 && payload[0]&0x01 == 0
	return start, key, payload, true
}

// push adds a packet and returns the frames it completed, in order. gap
// reports that frames were lost and skipped: the caller asks the sender
// for a keyframe.
func (a *frameAssembler) push(p *rtp.Packet, now time.Time) (frames []vp8Frame, gap bool) {
	if !a.synced {
		start, key, _, ok := vp8Head(p)
		if !ok || !start || !key {
			// Until the first keyframe starts there is nothing to decode.
			return nil, false
		}
		a.next, a.synced = p.SequenceNumber, true
	}
	if seqBefore(p.SequenceNumber, a.next) {
		return nil, false // late duplicate or a retransmission we gave up on
	}
	a.pkts[p.SequenceNumber] = p
	for {
		f, complete, bad := a.build()
		if bad {
			gap = true
			if !a.skip() {
				break
			}
			continue
		}
		if complete {
			a.gapSince = time.Time{}
			if a.needKey && !f.keyframe {
				continue // consumed, but undecodable without its reference
			}
			a.needKey = false
			frames = append(frames, f)
			continue
		}
		// Incomplete: wait for the missing packet, within limits.
		if len(a.pkts) == 0 {
			break
		}
		if a.gapSince.IsZero() {
			a.gapSince = now
		}
		if now.Sub(a.gapSince) < maxGapWait && len(a.pkts) < maxPending {
			break
		}
		gap = true
		if !a.skip() {
			break
		}
	}
	return frames, gap
}

// build tries to take the frame starting at a.next. bad reports packets
// that cannot start a frame there (the start was lost).
func (a *frameAssembler) build() (f vp8Frame, complete, bad bool) {
	first, ok := a.pkts[a.next]
	if !ok {
		return vp8Frame{}, false, false
	}
	start, key, _, ok := vp8Head(first)
	if !ok || !start {
		return vp8Frame{}, false, true
	}
	s := a.next
	for n := 0; n < maxPending; n++ {
		p, ok := a.pkts[s]
		if !ok {
			return vp8Frame{}, false, false
		}
		if p.Timestamp != first.Timestamp {
			return vp8Frame{}, false, true // the previous frame's marker was lost
		}
		if p.Marker {
			break
		}
		s++
	}
	if !a.pkts[s].Marker {
		return vp8Frame{}, false, true
	}
	f = vp8Frame{ts: first.Timestamp, keyframe: key}
	for q := a.next; ; q++ {
		_, _, payload, ok := vp8Head(a.pkts[q])
		if ok {
			f.data = append(f.data, payload...)
		}
		delete(a.pkts, q)
		if q == s {
			break
		}
	}
	a.next = s + 1
	return f, true, false
}

// skip moves a.next to the earliest queued frame start after it and
// drops what lies before; it reports false when no frame start is queued.
func (a *frameAssembler) skip() bool {
	a.needKey = true
	a.gapSince = time.Time{}
	var best uint16
	found := false
	for seq, p := range a.pkts {
		if seq == a.next {
			continue
		}
		if start, _, _, ok := vp8Head(p); ok && start && seqBefore(a.next, seq) {
			if !found || seqBefore(seq, best) {
				best, found = seq, true
			}
		}
	}
	if !found {
		clear(a.pkts)
		a.synced = false
		return false
	}
	for seq := range a.pkts {
		if seqBefore(seq, best) {
			delete(a.pkts, seq)
		}
	}
	a.next = best
	return true
}
