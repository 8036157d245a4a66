package media

import (
	"fmt"
	"image"

	"github.com/pion/mediadevices/pkg/io/video"
	xdraw "golang.org/x/image/draw"

	// X11 screens register themselves with the driver manager (at start,
	// from $DISPLAY; none without an X display).
	_ "github.com/pion/mediadevices/pkg/driver/screen"
)

// Screen sharing: a capture of a screen takes the camera's place in the
// shared video track, so every peer gets it without renegotiation and
// the call's video stays on. It is encoded with libvpx's screen-content
// mode at a frame rate and bitrate for text and still pictures, and the
// peers learn of it from the mediaState signal's Screen flag.
const (
	// screenFrameRate suits text, slides and pointers; motion is not the
	// point, and every frame of a whole screen costs a colour conversion.
	screenFrameRate = 5
	// A screen larger than maxScreenWidth x maxScreenHeight is scaled
	// down to fit (keeping its shape): 1080p keeps text readable and a
	// 4K screen would cost four times the encoding for detail few
	// windows show at the other end.
	maxScreenWidth  = 1920
	maxScreenHeight = 1080
	// Screen content needs more bits per frame than a face (sharp edges,
	// text), and far fewer frames.
	screenMinBitrate = 150_000
	screenMaxBitrate = 2_500_000
)

// fitScreen scales w x h down, keeping its shape, to fit in the largest
// screen Calla sends; sizes stay even (I420).
func fitScreen(w, h int) (int, int) {
	if w <= maxScreenWidth && h <= maxScreenHeight {
		return w &^ 1, h &^ 1
	}
	if w*maxScreenHeight > h*maxScreenWidth {
		return maxScreenWidth, (h * maxScreenWidth / w) &^ 1
	}
	return (w * maxScreenHeight / h) &^ 1, maxScreenHeight
}

// ShareScreen sends the screen screenID (see ListDevices) instead of the
// camera, until StopScreenShare. The call must be a video call. The
// peers' video stays on and their mediaState says Screen; the local sink
// shows what is shared. Sharing another screen switches to it.
func (s *Session) ShareScreen(screenID string) error {
	return s.callOpen(func() error {
		switch {
		case !s.started:
			return ErrNotStarted
		case s.custom:
			return ErrCustomSource
		case !s.videoOn:
			return fmt.Errorf("%w: screen sharing needs a video call", ErrNoVideo)
		case s.screenOn && s.screenID == screenID:
			return nil
		}
		if err := knownDevice(Screen, screenID); err != nil {
			return err
		}
		s.closeCamera()
		if err := s.openScreen(screenID); err != nil {
			if s.screenOn {
				s.stoppedSharing()
			}
			s.reopenCamera()
			return err
		}
		wasOn := s.screenOn
		s.screenOn = true
		if !s.camOn {
			s.setSenders(true) // the camera was off: SetCamera took the senders' track
		}
		if !wasOn {
			s.emit(ScreenShare{On: true, ScreenID: s.screenID})
		}
		s.sendMediaState()
		return nil
	})
}

// StopScreenShare goes back to the camera (or to no picture, if the
// camera is off).
func (s *Session) StopScreenShare() error {
	return s.callOpen(func() error {
		if !s.screenOn {
			return nil
		}
		s.closeCamera()
		s.stoppedSharing()
		if !s.camOn {
			s.setSenders(false)
		}
		s.reopenCamera()
		s.sendMediaState()
		return nil
	})
}

// stoppedSharing forgets the share and says so; the loop's.
func (s *Session) stoppedSharing() {
	s.screenOn, s.screenID = false, ""
	s.emit(ScreenShare{On: false})
}

// reopenCamera opens the camera again after a share when it is on; a
// camera that fails here is reported as a device failure.
func (s *Session) reopenCamera() {
	if !s.camOn || !s.videoOn || s.videoCap != nil {
		return
	}
	if err := s.openCamera(); err != nil {
		s.emit(DeviceFailed{Err: err})
	}
}

// setSenders gives every peer's video sender the shared track (on) or
// none (off: the peers' decoders wait, nothing is sent).
func (s *Session) setSenders(on bool) {
	for _, p := range s.peers {
		if p.videoSender == nil {
			continue
		}
		var err error
		if on {
			err = p.videoSender.ReplaceTrack(s.videoOut)
		} else {
			err = p.videoSender.ReplaceTrack(nil)
		}
		if err != nil {
			s.emit(PeerError{Peer: p.id, Err: fmt.Errorf("media: video sender %v: %w", on, err)})
		}
	}
}

// openScreen starts capturing screenID into the shared video track.
func (s *Session) openScreen(screenID string) error {
	openMu.Lock()
	defer openMu.Unlock()
	dev, err := pickDevice(Screen, screenID)
	if err != nil {
		return &DeviceError{Kind: ErrScreenFailed, Device: Screen, DeviceID: screenID, Err: err}
	}
	var c *capture
	sel := newCodecSelector(VideoParams{FrameRate: screenFrameRate, MinBitrate: screenMinBitrate, MaxBitrate: screenMaxBitrate, ScreenContent: true})
	c, err = openCapture(Screen, dev, VideoParams{FrameRate: screenFrameRate}, sel, s.videoOut, nil, nil, nil, &s.localSink, func(err error) {
		s.post(func() { s.captureEnded(c, err) })
	})
	if err != nil {
		return err
	}
	s.videoCap = c
	s.screenID = dev.ID
	s.keys.set(c.forceKeyFrame)
	s.bitrate = 0
	return nil
}

// fitScreenFrames scales frames larger than maxScreenWidth x
// maxScreenHeight down to fit, into a buffer it reuses (the reader reads
// one frame at a time); smaller frames pass as they are.
func fitScreenFrames(r video.Reader) video.Reader {
	var dst *image.RGBA
	return video.ReaderFunc(func() (image.Image, func(), error) {
		img, release, err := r.Read()
		if err != nil {
			return img, release, err
		}
		b := img.Bounds()
		w, h := fitScreen(b.Dx(), b.Dy())
		if w == b.Dx() && h == b.Dy() {
			return img, release, nil
		}
		if dst == nil || dst.Rect.Dx() != w || dst.Rect.Dy() != h {
			dst = image.NewRGBA(image.Rect(0, 0, w, h))
		}
		xdraw.ApproxBiLinear.Scale(dst, dst.Rect, img, b, xdraw.Src, nil)
		release()
		return dst, func() {}, nil
	})
}
