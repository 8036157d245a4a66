package call

import (
	"errors"

	"github.com/calla-rtc/calla/media"
	"github.com/calla-rtc/calla/signaling"
)

// An app can send media of its own instead of the camera and microphone,
// and take a member's media encoded, as it arrives, instead of decoded:
// TRTC's custom capture and custom rendering, at the level of encoded
// frames. A program that forwards media (the echo bot, call/echobot) is
// built on these alone.

// EncodedFrame is one encoded frame of a call's media as it travels: a
// whole VP8 frame (Video) or an Opus packet, with its RTP timestamp.
type EncodedFrame = media.EncodedFrame

// EncodedSink takes a member's media encoded (StartRemoteEncodedView).
// ReceiveEncoded is called on a media goroutine at the media rate and must
// return at once; the frame's Data is the sink's to keep.
type EncodedSink = media.EncodedSink

// CustomSource stands in for the camera and microphone (UseCustomSource).
type CustomSource interface {
	// KeyFrameRequested is called when a member needs a keyframe of the
	// video the app sends (throttled as a camera's are). It is called on
	// a media goroutine and must return at once.
	KeyFrameRequested()
}

// errNoCustomCall is SendEncodedFrame's error outside a call that sends
// from a custom source.
var errNoCustomCall = errors.New("call: no call sends from a custom source")

// UseCustomSource makes the calls to come send what the app writes with
// SendEncodedFrame instead of opening the camera and microphone; nil goes
// back to the devices. It applies from the next call.
func (e *Engine) UseCustomSource(src CustomSource) {
	e.post(func() { e.dev.custom = src })
}

// SendEncodedFrame sends one frame of the custom source to every member
// of the current call, in the order the frames play. The frames'
// timestamps are kept as they advance, on the call's own clock (see
// media.Session.WriteEncoded). It does not go
// through the engine's loop: any goroutine may call it at the media rate.
func (e *Engine) SendEncodedFrame(f EncodedFrame) error {
	cm := e.media.Load()
	if cm == nil {
		return errNoCustomCall
	}
	s := cm.custom.Load()
	if s == nil {
		return errNoCustomCall
	}
	return s.WriteEncoded(f)
}

// SetCustomSourceMedia says what the custom source sends in the current
// call (at first: nothing). The members are told so, and expect that and
// no more: one told of video that never comes would rate the link Down.
func (e *Engine) SetCustomSourceMedia(video, audio bool) {
	e.post(func() {
		if c := e.call; c != nil && c.media != nil {
			c.media.do(func(s *media.Session) error { return s.SetCustomMedia(video, audio) }, nil)
		}
	})
}

// StartRemoteEncodedView hands user's media to sink, encoded, as it
// arrives, instead of decoding it (so no picture or sound of user's is
// made, and user's volume reads 0).
func (e *Engine) StartRemoteEncodedView(user signaling.UserID, sink EncodedSink) {
	e.post(func() {
		e.remoteEncoded[user] = sink
		e.setRemoteEncodedSink(user, sink)
	})
}

// StopRemoteEncodedView decodes user's media again.
func (e *Engine) StopRemoteEncodedView(user signaling.UserID) {
	e.post(func() {
		delete(e.remoteEncoded, user)
		e.setRemoteEncodedSink(user, nil)
	})
}

func (e *Engine) setRemoteEncodedSink(user signaling.UserID, sink EncodedSink) {
	c := e.call
	if c == nil {
		return
	}
	if m := c.members[user]; m != nil && m.peer {
		c.media.do(func(s *media.Session) error { return s.SetRemoteEncodedSink(media.PeerID(user), sink) }, nil)
	}
}

// RequestKeyFrame asks user's encoder for a keyframe of the video it
// sends.
func (e *Engine) RequestKeyFrame(user signaling.UserID) {
	e.post(func() {
		c := e.call
		if c == nil || c.media == nil {
			return
		}
		if m := c.members[user]; m != nil && m.peer {
			c.media.do(func(s *media.Session) error { s.RequestKeyFrame(media.PeerID(user)); return nil }, nil)
		}
	})
}
