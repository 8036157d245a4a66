package media

import (
	"sync/atomic"

	"github.com/pion/mediadevices"
	"github.com/pion/mediadevices/pkg/codec"
	"github.com/pion/mediadevices/pkg/io/audio"
	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/mediadevices/pkg/prop"
)

// encodersBuilt counts every encoder any session builds, process-wide:
// the encode-once test reads it to prove a mesh runs one encoder per
// device, not one per peer.
var encodersBuilt atomic.Int64

// countingVideo wraps a video encoder builder to count constructions.
type countingVideo struct{ codec.VideoEncoderBuilder }

func (c countingVideo) BuildVideoEncoder(r video.Reader, p prop.Media) (codec.ReadCloser, error) {
	rc, err := c.VideoEncoderBuilder.BuildVideoEncoder(r, p)
	if err == nil {
		encodersBuilt.Add(1)
	}
	return rc, err
}

// countingAudio wraps an audio encoder builder to count constructions.
type countingAudio struct{ codec.AudioEncoderBuilder }

func (c countingAudio) BuildAudioEncoder(r audio.Reader, p prop.Media) (codec.ReadCloser, error) {
	rc, err := c.AudioEncoderBuilder.BuildAudioEncoder(r, p)
	if err == nil {
		encodersBuilt.Add(1)
	}
	return rc, err
}

// newCodecSelector returns the VP8 + Opus selector for params.
func newCodecSelector(vp VideoParams) *mediadevices.CodecSelector {
	// A keyframe at least every 5 s as a safety net besides PLI.
	vp8 := &vp8Builder{bitrate: vp.MaxBitrate, keyInterval: 5 * vp.FrameRate, fps: vp.FrameRate, screen: vp.ScreenContent}
	return mediadevices.NewCodecSelector(
		mediadevices.WithVideoEncoders(countingVideo{vp8}),
		mediadevices.WithAudioEncoders(countingAudio{&opusBuilder{bitrate: opusBitrate}}),
	)
}
