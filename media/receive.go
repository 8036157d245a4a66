package media

import (
	"errors"
	"image"
	"io"
	"time"

	"github.com/pion/mediadevices/pkg/codec/vpx"
	"github.com/pion/mediadevices/pkg/prop"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

// pliRepeat is how often a receiver waiting for a keyframe asks again;
// longer than keyFrameGap, so a repeat is never swallowed by the
// sender's throttle.
const pliRepeat = 400 * time.Millisecond

// videoFrameReader is the io.Reader the VP8 decoder pulls from: each
// Read returns exactly one whole frame, assembled from RTP on the
// caller's goroutine. A peer with an encoded sink gets its frames there
// instead, and the decoder never sees them.
type videoFrameReader struct {
	s       *Session
	p       *peer
	track   *webrtc.TrackRemote
	asm     *frameAssembler
	queue   []vp8Frame
	lastPLI time.Time
	eof     bool
}

func (r *videoFrameReader) Read(b []byte) (int, error) {
	for {
		for len(r.queue) > 0 {
			f := r.queue[0]
			r.queue = r.queue[1:]
			if b := r.p.encoded.Load(); b != nil {
				b.ReceiveEncoded(EncodedFrame{Video: true, Data: append([]byte(nil), f.data...), Timestamp: f.ts})
				continue
			}
			return copy(b, f.data), nil
		}
		pkt, _, err := r.track.ReadRTP()
		if err != nil {
			r.eof = true
			return 0, io.EOF
		}
		frames, gap := r.asm.push(pkt, time.Now())
		if gap || (r.asm.needKey && time.Since(r.lastPLI) >= pliRepeat) {
			r.sendPLI()
		}
		r.queue = append(r.queue, frames...)
	}
}

func (r *videoFrameReader) sendPLI() {
	r.lastPLI = time.Now()
	_ = r.p.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(r.track.SSRC())}})
}

// receiveVideo decodes one remote video track until it ends. A decode
// error asks for a keyframe and goes on.
func (s *Session) receiveVideo(p *peer, t *webrtc.TrackRemote) {
	r := &videoFrameReader{s: s, p: p, track: t, asm: newFrameAssembler()}
	r.sendPLI()
	dec, err := vpx.NewDecoder(r, prop.Media{})
	if err != nil {
		s.emit(PeerError{Peer: p.id, Err: err})
		drain(t)
		return
	}
	defer func() { _ = dec.Close() }()
	var pool rgbaPool
	first := true
	for {
		img, release, err := dec.Read()
		if err != nil {
			if r.eof || errors.Is(err, io.EOF) {
				return
			}
			s.log.Debug("VP8 decode error", "peer", p.id, "err", err)
			r.sendPLI()
			continue
		}
		y, ok := img.(*image.YCbCr)
		if ok {
			if first {
				first = false
				s.emit(FirstFrame{Peer: p.id})
			}
			if b := p.sink.Load(); b != nil {
				pool.offer(b.FrameSink, y)
			}
		}
		if release != nil {
			release()
		}
	}
}

// drain reads a track to its end, for the interceptors' sake.
func drain(t *webrtc.TrackRemote) {
	for {
		if _, _, err := t.ReadRTP(); err != nil {
			return
		}
	}
}

// opusFrame is the Opus frame length mediadevices sends: 20 ms at 48 kHz.
const opusFrame = 960

// maxConceal is the longest gap filled by loss concealment; a longer one
// (a mute, a stall) is left as silence.
const maxConceal = 5

// receiveAudio decodes one remote audio track until it ends, conceals
// short losses, measures the level and feeds the speaker.
func (s *Session) receiveAudio(p *peer, t *webrtc.TrackRemote) {
	dec, err := newOpusDecoder()
	if err != nil {
		s.emit(PeerError{Peer: p.id, Err: err})
		drain(t)
		return
	}
	defer dec.close()
	var last uint16
	have := false
	for {
		pkt, _, err := t.ReadRTP()
		if err != nil {
			return
		}
		if b := p.encoded.Load(); b != nil {
			b.ReceiveEncoded(EncodedFrame{Data: append([]byte(nil), pkt.Payload...), Timestamp: pkt.Timestamp})
			continue
		}
		if have {
			if !seqBefore(last, pkt.SequenceNumber) {
				continue // duplicate or too late
			}
			if lost := int(pkt.SequenceNumber - last - 1); lost > 0 && lost <= maxConceal {
				for i := 0; i < lost-1; i++ {
					if pcm, err := dec.decode(nil, opusFrame, false); err == nil {
						s.deliverPCM(p, pcm)
					}
				}
				// The last lost frame may ride in this packet's FEC.
				if pcm, err := dec.decode(pkt.Payload, opusFrame, true); err == nil {
					s.deliverPCM(p, pcm)
				}
			}
		}
		last, have = pkt.SequenceNumber, true
		pcm, err := dec.decode(pkt.Payload, opusFrame, false)
		if err != nil {
			s.log.Debug("opus decode error", "peer", p.id, "err", err)
			continue
		}
		s.deliverPCM(p, pcm)
	}
}

func (s *Session) deliverPCM(p *peer, pcm []int16) {
	p.meter.addInt16(pcm)
	if s.hooks.pcm != nil {
		s.hooks.pcm(p.id, pcm)
	}
	if s.play != nil {
		s.play.write(p.id, pcm)
	}
}
