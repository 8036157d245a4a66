package call

import (
	"context"

	"github.com/calla-rtc/calla/media"
	"github.com/calla-rtc/calla/signaling"
)

// StartScreenShare shows the screen screenID (a Device of kind "screen")
// to the others instead of the local camera, in a connected video call;
// a share of another screen switches to it. onUserScreenShareChanged
// follows for everyone, the local user included; the video stays
// available. A voice call is refused with -1205 (switch to video first).
func (e *Engine) StartScreenShare(ctx context.Context, screenID string) error {
	return e.do(ctx, "share the screen", func(done func(error)) {
		c := e.call
		switch {
		case e.client == nil:
			done(errNotLoggedIn())
		case c == nil || c.status != statusConnected:
			done(errNoCall("share a screen in"))
		case c.mediaType != signaling.Video:
			done(errorf(signaling.CodeSceneNotSupported, "a screen is shared in a video call: switch to video first"))
		case c.media != nil && c.media.custom.Load() != nil:
			done(errorf(signaling.CodeSceneNotSupported, "a custom source sends its own video: it shares no screen"))
		default:
			e.withSession(done, func(s *media.Session) error { return s.ShareScreen(screenID) })
		}
	})
}

// StopScreenShare ends the local screen share: the camera (if it is on)
// shows again.
func (e *Engine) StopScreenShare(ctx context.Context) error {
	return e.do(ctx, "stop sharing the screen", func(done func(error)) {
		e.withSession(done, func(s *media.Session) error { return s.StopScreenShare() })
	})
}
