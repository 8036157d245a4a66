package media

import (
	"fmt"
	"sync"
	"time"

	"github.com/pion/rtcp"
)

// A session can send media an app supplies instead of its own camera and
// microphone (a custom source: TRTC's custom capture), and hand a peer's
// media to the app encoded, as it arrives, instead of decoding it. A bot
// that forwards media (the echo bot, the media bench's echo peers) is
// built from these two without the session knowing what it is for.

// EncodedFrame is one encoded frame as it travels: a whole VP8 frame
// (Video) or an Opus packet, and its RTP timestamp on its kind's clock
// (90 kHz video, 48 kHz Opus). A frame received from a peer carries the
// timestamp it arrived with.
type EncodedFrame struct {
	Video     bool
	Data      []byte
	Timestamp uint32
}

// EncodedSink receives a peer's media as it arrives (SetRemoteEncodedSink).
// ReceiveEncoded runs on the peer's receive goroutine, at the media rate:
// it must return at once. The frame's Data is the sink's to keep.
type EncodedSink interface {
	ReceiveEncoded(EncodedFrame)
}

// EncodedSinkFunc is a function as an EncodedSink.
type EncodedSinkFunc func(EncodedFrame)

// ReceiveEncoded calls f(fr).
func (f EncodedSinkFunc) ReceiveEncoded(fr EncodedFrame) { f(fr) }

// encodedBox holds a sink for atomic.Pointer.
type encodedBox struct{ EncodedSink }

// StartCustom starts the session with a custom source instead of Start:
// no device opens, and what WriteEncoded gives is what every peer
// receives (video too when video). The peers are told the session sends
// only what SetCustomMedia says (nothing until it is called). A peer's request for a keyframe of it
// calls keyFrame (throttled as the camera's are), from an RTCP goroutine:
// it must not block.
func (s *Session) StartCustom(video bool, keyFrame func()) error {
	return s.call(func() error {
		if s.started {
			return ErrAlreadyStarted
		}
		s.custom, s.started = true, true
		s.closeCamera() // a preview's
		if keyFrame != nil {
			s.keys.set(keyFrame)
		}
		defer s.sendMediaState()
		if video {
			return s.setVideo(true)
		}
		return nil
	})
}

// WriteEncoded sends one frame of the custom source to every peer. It may
// be called from any goroutine, in the order the frames play. The
// frames' timestamps are kept as they advance (a forwarded stream keeps
// its sender's timing), shifted onto the session's own clock, and set
// again when they stray from real time by more than customResync (the
// source restarted, or its clock jumped).
func (s *Session) WriteEncoded(f EncodedFrame) error {
	out, step, c := s.audioOut, uint32(opusFrame), &s.customClock[0]
	if f.Video {
		out, step, c = s.videoOut, 1, &s.customClock[1]
	}
	return out.write(f.Data, out.after(c.shift(out, f.Timestamp, time.Now()), step))
}

// customResync is how far a custom source's clock may stray from real
// time before it is set again.
const customResync = time.Second

// customClock maps one kind of a custom source's timestamps onto its
// outgoing track's clock.
type customClock struct {
	mu      sync.Mutex
	offset  uint32
	shifted bool
}

// shift is ts on out's clock, written at now.
func (c *customClock) shift(out *outTrack, ts uint32, now time.Time) uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	at := out.at(now)
	if off := int64(int32(ts + c.offset - at)); !c.shifted || max(off, -off) > out.ticks(customResync) {
		c.offset, c.shifted = at-ts, true
	}
	return ts + c.offset
}

// SetCustomMedia says what a custom source sends, so that the peers are
// told (and expect) that and no more.
func (s *Session) SetCustomMedia(video, audio bool) error {
	return s.call(func() error {
		if s.customVideo == video && s.customAudio == audio {
			return nil
		}
		s.customVideo, s.customAudio = video, audio
		if s.custom {
			s.sendMediaState()
		}
		return nil
	})
}

// SetRemoteEncodedSink hands peer id's media to sink as it arrives,
// instead of decoding it (so no picture, sound or level of id's is
// made); nil decodes again.
func (s *Session) SetRemoteEncodedSink(id PeerID, sink EncodedSink) error {
	return s.call(func() error {
		p := s.peers[id]
		if p == nil {
			return fmt.Errorf("%w: %q", ErrUnknownPeer, id)
		}
		if sink == nil {
			p.encoded.Store(nil)
		} else {
			p.encoded.Store(&encodedBox{sink})
		}
		return nil
	})
}

// RequestKeyFrame asks peer id's encoder for a keyframe (a PLI on its
// video). It does not wait: it may be called from a keyFrame callback.
func (s *Session) RequestKeyFrame(id PeerID) {
	s.post(func() {
		if p := s.peers[id]; p != nil && p.remoteVideoSSRC != 0 {
			_ = p.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: p.remoteVideoSSRC}})
		}
	})
}
