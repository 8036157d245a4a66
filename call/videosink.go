package call

import "image"

// VideoSink receives the decoded frames of one video view (a remote user's
// camera, or the local preview), TUICallEngine's startRemoteView target.
//
// WriteFrame is called on a media goroutine, at the rate frames arrive. It
// must not block: a sink that is still busy with an earlier frame keeps the
// newest one and drops the rest. img is handed over: the engine never
// touches it again, so the sink may keep it.
type VideoSink interface {
	WriteFrame(img *image.RGBA)
}
