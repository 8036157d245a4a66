package call

import "image"

// VideoSink receives the decoded frames of one video view (a remote user's
// camera, or the local preview): TUICallEngine's startRemoteView target.
// Every VideoSink is also a media.FrameSink: the engine hands it straight to
// the media session.
//
// OfferFrame is called on a media goroutine at the rate frames arrive. It
// must return at once: a sink still busy with an earlier frame replaces it
// (calling that frame's release) or drops the new one (calling its
// release). img belongs to the sink until it calls release, after which the
// decoder reuses the memory; release may be called from any goroutine, at
// most once. A sink that never calls release just costs an allocation per
// frame.
type VideoSink interface {
	OfferFrame(img *image.RGBA, release func())
}
