package media

import (
	"fmt"
	"time"

	"github.com/pion/rtcp"
	pmedia "github.com/pion/webrtc/v4/pkg/media"
)

// A session can send media an app supplies instead of its own camera and
// microphone (a custom source: TRTC's custom capture), and hand a peer's
// media to the app encoded, as it arrives, instead of decoding it. A bot
// that forwards media (the echo bot, the media bench's echo peers) is
// built from these two without the session knowing what it is for.

// EncodedFrame is one encoded frame as it travels: a whole VP8 frame
// (Video) or an Opus packet, and how long it lasts (from the RTP
// timestamps for video; 20 ms for audio).
type EncodedFrame struct {
	Video    bool
	Data     []byte
	Duration time.Duration
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
// receives (video too when video). A peer's request for a keyframe of it
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
// be called from any goroutine, in the order the frames play.
func (s *Session) WriteEncoded(f EncodedFrame) error {
	out := s.audioOut
	if f.Video {
		out = s.videoOut
	}
	return out.WriteSample(pmedia.Sample{Data: f.Data, Duration: f.Duration})
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
