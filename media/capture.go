package media

import (
	"fmt"
	"image"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/mediadevices"
	"github.com/pion/mediadevices/pkg/codec"
	"github.com/pion/mediadevices/pkg/io/audio"
	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/mediadevices/pkg/prop"
	"github.com/pion/mediadevices/pkg/wave"
	"github.com/pion/webrtc/v4"
)

// capture is one open local device: a mediadevices track, ONE encoded
// reader on it (so one encoder, whatever the number of peers) and the pump
// goroutine that moves encoded frames into the session's shared sample
// track, which every peer connection sends.
type capture struct {
	kind    DeviceKind
	dev     Device
	track   mediadevices.Track
	reader  mediadevices.EncodedReadCloser
	ctrl    codec.EncoderController
	muted   *atomic.Bool // audio: drop samples instead of sending (mic off)
	aec     *echoTap     // audio: the echo canceller, nil when off
	preview *previewer   // video: local preview, nil for audio
	done    chan struct{}
	closing atomic.Bool
}

// openCapture opens dev through GetUserMedia and starts its pump. A
// microphone with an echo reference gets an echo canceller ahead of its
// level tap and encoder. onEnd runs (on the pump goroutine) if the device
// stops by itself.
func openCapture(kind DeviceKind, dev Device, vp VideoParams, sel *mediadevices.CodecSelector,
	out *outTrack, meter *levelMeter, muted *atomic.Bool, ref *echoReference,
	sink *atomic.Pointer[sinkBox], onEnd func(error)) (*capture, error) {
	c := &capture{kind: kind, dev: dev, muted: muted, done: make(chan struct{})}
	cons := mediadevices.MediaStreamConstraints{Codec: sel}
	getMedia := mediadevices.GetUserMedia
	switch kind {
	case Camera:
		cons.Video = func(m *mediadevices.MediaTrackConstraints) {
			m.DeviceID = prop.StringExact(dev.driverID)
			m.Width = prop.Int(vp.Width)
			m.Height = prop.Int(vp.Height)
			m.FrameRate = prop.Float(vp.FrameRate)
		}
	case Screen:
		// A screen comes at its own size (fitScreenFrames scales it).
		cons.Video = func(m *mediadevices.MediaTrackConstraints) {
			m.DeviceID = prop.StringExact(dev.driverID)
			m.FrameRate = prop.Float(vp.FrameRate)
		}
		getMedia = mediadevices.GetDisplayMedia
	default:
		cons.Audio = func(m *mediadevices.MediaTrackConstraints) {
			m.DeviceID = prop.StringExact(dev.driverID)
			m.ChannelCount = prop.Int(1)
			m.SampleRate = prop.Int(48000)
		}
	}
	stream, err := getMedia(cons)
	if err != nil {
		return nil, deviceError(kind, dev, err)
	}
	tracks := stream.GetTracks()
	if len(tracks) != 1 {
		for _, t := range tracks {
			_ = t.Close()
		}
		return nil, deviceError(kind, dev, fmt.Errorf("got %d tracks", len(tracks)))
	}
	c.track = tracks[0]
	mime := webrtc.MimeTypeOpus
	switch t := c.track.(type) {
	case *mediadevices.VideoTrack:
		mime = webrtc.MimeTypeVP8
		if kind == Screen {
			// RGBA from X, as I420 for the preview and the encoder.
			t.Transform(fitScreenFrames, video.ToI420)
		}
		c.preview = newPreviewer(sink)
		t.Transform(c.preview.tap)
	case *mediadevices.AudioTrack:
		if ref != nil {
			if c.aec, err = newEchoTap(ref); err != nil {
				_ = c.track.Close()
				return nil, deviceError(kind, dev, err)
			}
			t.Transform(c.aec.transform)
		}
		t.Transform(levelTap(meter, muted))
	}
	c.reader, err = c.track.NewEncodedReader(mime)
	if err != nil {
		_ = c.track.Close()
		if c.preview != nil {
			c.preview.close()
		}
		if c.aec != nil {
			c.aec.close()
		}
		return nil, deviceError(kind, dev, fmt.Errorf("encoder: %w", err))
	}
	c.ctrl = c.reader.Controller()
	go c.pump(out, onEnd)
	return c, nil
}

// frameTimer is an encoder that knows when the frame it last encoded was
// captured (Calla's VP8 encoder).
type frameTimer interface{ frameTime() time.Time }

// pump moves encoded frames into the shared track with their RTP
// timestamps (see outTrack): a video frame at its capture time; audio
// from the capture's first frame on at exactly one frame (opusFrame
// ticks) per frame the encoder gives, sent or muted, so a mute leaves
// the clock running.
func (c *capture) pump(out *outTrack, onEnd func(error)) {
	defer close(c.done)
	timer, _ := c.ctrl.(frameTimer)
	var next uint32 // audio: the next frame's timestamp
	first := true
	for {
		buf, release, err := c.reader.Read()
		if err != nil {
			if !c.closing.Load() && onEnd != nil {
				onEnd(deviceError(c.kind, c.dev, err))
			}
			return
		}
		if c.closing.Load() {
			release()
			return
		}
		var ts uint32
		if c.kind == Camera {
			at := time.Now()
			if timer != nil {
				at = timer.frameTime()
			}
			ts = out.after(out.at(at), 1)
		} else {
			if first {
				next = out.after(out.at(time.Now()), opusFrame)
			}
			ts = next
			next += opusFrame
		}
		first = false
		if len(buf.Data) > 0 && (c.muted == nil || !c.muted.Load()) {
			// No peer bound yet is not an error: the frame just goes nowhere.
			_ = out.write(buf.Data, ts)
		}
		release()
	}
}

// forceKeyFrame asks the encoder for a keyframe.
func (c *capture) forceKeyFrame() {
	if k, ok := c.ctrl.(codec.KeyFrameController); ok {
		_ = k.ForceKeyFrame()
	}
}

// setBitrate sets the encoder's target; it reports false when the
// encoder cannot change its rate.
func (c *capture) setBitrate(bps int) bool {
	b, ok := c.ctrl.(codec.BitRateController)
	if !ok {
		return false
	}
	return b.SetBitRate(bps) == nil
}

// closeGrace is how long close waits for the pump to finish its current
// read before closing the device under it.
const closeGrace = 500 * time.Millisecond

// close stops the pump, then the device, then frees the encoder. The pump
// stops first, after the read in progress (a live device delivers within
// a frame or a chunk): a driver closed while being read may race (the
// mediadevices microphone driver Calla once used could then block a later
// read forever). Only a device that stalled is closed under its reader,
// after closeGrace.
func (c *capture) close() {
	c.closing.Store(true)
	select {
	case <-c.done:
	case <-time.After(closeGrace):
	}
	// mediadevices keeps each driver's state in a package-level registry
	// that GetUserMedia reads while another session picks a device.
	openMu.Lock()
	_ = c.track.Close()
	openMu.Unlock()
	<-c.done
	_ = c.reader.Close()
	if c.preview != nil {
		c.preview.close()
	}
	if c.aec != nil {
		// No read is left in progress: the pump has ended.
		c.aec.close()
	}
}

// levelTap measures the captured PCM for the self level.
func levelTap(meter *levelMeter, muted *atomic.Bool) audio.TransformFunc {
	return func(r audio.Reader) audio.Reader {
		return audio.ReaderFunc(func() (wave.Audio, func(), error) {
			a, rel, err := r.Read()
			if err == nil && !muted.Load() {
				switch b := a.(type) {
				case *wave.Float32Interleaved:
					meter.addFloat32(b.Data)
				case *wave.Int16Interleaved:
					meter.addInt16(b.Data)
				}
			}
			return a, rel, err
		})
	}
}

// sinkBox lets a FrameSink sit in an atomic.Pointer.
type sinkBox struct{ FrameSink }

// previewer hands local camera frames, before encoding, to the local
// sink. The capture path only copies the frame into a spare buffer
// (latest wins); a goroutine converts and offers it, so a slow preview
// never delays encoding.
type previewer struct {
	sink    *atomic.Pointer[sinkBox]
	mu      sync.Mutex
	pending *image.YCbCr
	spare   []*image.YCbCr
	wake    chan struct{}
	quit    chan struct{}
	done    chan struct{}
	pool    rgbaPool
}

func newPreviewer(sink *atomic.Pointer[sinkBox]) *previewer {
	p := &previewer{sink: sink, wake: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	go p.run()
	return p
}

func (p *previewer) tap(r video.Reader) video.Reader {
	return video.ReaderFunc(func() (image.Image, func(), error) {
		img, rel, err := r.Read()
		if err == nil && p.sink.Load() != nil {
			if y, ok := img.(*image.YCbCr); ok {
				p.put(y)
			}
		}
		return img, rel, err
	})
}

func (p *previewer) put(src *image.YCbCr) {
	p.mu.Lock()
	var dst *image.YCbCr
	if n := len(p.spare); n > 0 {
		dst, p.spare = p.spare[n-1], p.spare[:n-1]
	}
	if dst == nil || dst.Rect != src.Rect || dst.SubsampleRatio != src.SubsampleRatio {
		dst = image.NewYCbCr(src.Rect, src.SubsampleRatio)
	}
	copyYCbCr(dst, src)
	if p.pending != nil {
		p.spare = append(p.spare, p.pending)
	}
	p.pending = dst
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func copyYCbCr(dst, src *image.YCbCr) {
	h := src.Rect.Dy()
	w := src.Rect.Dx()
	for y := 0; y < h; y++ {
		copy(dst.Y[y*dst.YStride:y*dst.YStride+w], src.Y[src.YOffset(src.Rect.Min.X, src.Rect.Min.Y+y):])
	}
	// NewYCbCr's chroma stride is the chroma width.
	cw := dst.CStride
	rows := len(dst.Cb) / max(cw, 1)
	so := src.COffset(src.Rect.Min.X, src.Rect.Min.Y)
	for y := 0; y < rows; y++ {
		copy(dst.Cb[y*cw:(y+1)*cw], src.Cb[so+y*src.CStride:])
		copy(dst.Cr[y*cw:(y+1)*cw], src.Cr[so+y*src.CStride:])
	}
}

func (p *previewer) run() {
	defer close(p.done)
	for {
		select {
		case <-p.quit:
			return
		case <-p.wake:
		}
		p.mu.Lock()
		img := p.pending
		p.pending = nil
		p.mu.Unlock()
		if img == nil {
			continue
		}
		if b := p.sink.Load(); b != nil {
			p.pool.offer(b.FrameSink, img)
		}
		p.mu.Lock()
		p.spare = append(p.spare, img)
		p.mu.Unlock()
	}
}

func (p *previewer) close() {
	close(p.quit)
	<-p.done
}
