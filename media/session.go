package media

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/mediadevices"
	"github.com/pion/webrtc/v4"

	"github.com/calla-rtc/calla/internal/unbounded"
)

// Session is the local side of one call's media: the microphone and
// camera, encoded once, sent to every peer, and what every peer sends,
// decoded, played and measured. See the package doc for who owns what.
type Session struct {
	cfg      Config
	hooks    testHooks // zero outside the package's tests
	log      *slog.Logger
	selector *mediadevices.CodecSelector
	// The shared outgoing tracks: every peer connection sends these, so
	// each device is encoded once whatever the number of peers.
	audioOut *outTrack
	videoOut *outTrack
	// WriteEncoded's timestamps (audio, video), for a custom source.
	customClock [2]customClock
	keys        keyFrameThrottle

	events   *unbounded.Queue[Event]
	inbox    *unbounded.Queue[func()] // work for the loop: API calls and pion callbacks
	quit     chan struct{}
	quitOnce sync.Once
	loopDone chan struct{}
	// wg counts receive, RTCP-reader and echo goroutines. Only the loop
	// calls Add, and Close waits for the loop before it waits on wg.
	wg sync.WaitGroup

	selfMeter levelMeter
	micMuted  atomic.Bool
	localSink atomic.Pointer[sinkBox]
	play      *playback // nil with NoPlayback; safe for concurrent writes
	// echoRef reads the played mix for the microphone's echo canceller;
	// nil without playback or with NoEchoCancellation.
	echoRef *echoReference

	// Owned by the loop goroutine.
	peers   map[PeerID]*peer
	started bool
	// opening: StartAsync's devices are opening off the loop; the calls
	// that change devices wait in afterOpen until they are.
	opening   bool
	afterOpen []func()
	custom    bool // StartCustom: the app writes what is sent, no device opens
	// What the custom source says it sends (SetCustomMedia).
	customVideo, customAudio bool
	videoOn                  bool
	camOn                    bool
	micOn                    bool
	vp                       VideoParams // the configured setting: the ladder's ceiling
	cur                      VideoParams // the ladder's step under vp (videotier.go): what the camera runs at
	ladder                   videoLadder
	audioCap                 *capture
	// uplinkLoss is the smoothed fraction our peers report losing;
	// audioFECPct what the microphone's FEC is sized for (0: not set yet).
	uplinkLoss  float64
	audioFECPct int
	videoCap    *capture // the camera's, or while screenOn the screen's
	bitrate     int
	screenOn    bool   // a screen is shared instead of the camera
	screenID    string // the screen shared
	selfQ       qualityScorer
}

// NewSession validates cfg, opens the speaker (unless cfg.NoPlayback) and
// starts the session's loop. Nothing is captured until Start.
func NewSession(cfg Config) (*Session, error) { return newSession(cfg, testHooks{}) }

func newSession(cfg Config, hooks testHooks) (*Session, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	sel := newCodecSelector(cfg.Video)
	s := &Session{
		cfg:      cfg,
		hooks:    hooks,
		log:      cfg.Logger.With("component", "media"),
		selector: sel,
		events:   unbounded.New[Event](),
		inbox:    unbounded.New[func()](),
		quit:     make(chan struct{}),
		loopDone: make(chan struct{}),
		peers:    make(map[PeerID]*peer),
		vp:       cfg.Video,
		cur:      cfg.Video,
		camOn:    true,
		micOn:    true,
	}
	// One stream ID for both tracks, so a receiver can tell they belong together.
	var err error
	s.audioOut, err = newOutTrack(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio", "calla")
	if err != nil {
		return nil, err
	}
	s.videoOut, err = newOutTrack(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "video", "calla")
	if err != nil {
		return nil, err
	}
	if !cfg.NoPlayback {
		s.play, err = newPlayback(cfg.SpeakerID, cfg.PlaybackLatency, s.log)
		if err != nil {
			return nil, err
		}
		if !cfg.NoEchoCancellation {
			s.echoRef = newEchoReference(s.play.played)
		}
		s.speakerChosen()
	}
	go s.run()
	return s, nil
}

// Events is the session's one ordered event stream. It never drops an
// event while the session runs: the session queues without bound until
// they are read. Close ends it: events not read by then are dropped (the
// session is over) and the channel closes, so a consumer ranges over it
// until it ends, and one that stopped reading holds nothing up.
func (s *Session) Events() <-chan Event { return s.events.Out() }

func (s *Session) emit(ev Event) { s.events.Push(ev) }

// post queues f to run on the loop; it never blocks, so pion's callbacks
// can use it.
func (s *Session) post(f func()) { s.inbox.Push(f) }

// call runs f on the loop and returns its result.
func (s *Session) call(f func() error) error { return s.callWhen(false, f) }

// callOpen is call for what changes the devices: f waits for the
// devices StartAsync is opening, so it acts on them.
func (s *Session) callOpen(f func() error) error { return s.callWhen(true, f) }

func (s *Session) callWhen(afterOpen bool, f func() error) error {
	reply := make(chan error, 1)
	run := func() { reply <- f() }
	if !s.inbox.Push(func() {
		if afterOpen && s.opening {
			s.afterOpen = append(s.afterOpen, run)
			return
		}
		run()
	}) {
		return ErrClosed
	}
	select {
	case err := <-reply:
		return err
	case <-s.loopDone:
		select {
		case err := <-reply:
			return err
		default:
			return ErrClosed
		}
	}
}

// bitrateEvery is how often the encoder's rate follows the estimates.
const bitrateEvery = time.Second

func (s *Session) run() {
	defer close(s.loopDone)
	vol := time.NewTicker(s.cfg.VolumeInterval)
	defer vol.Stop()
	q := time.NewTicker(s.cfg.QualityInterval)
	defer q.Stop()
	br := time.NewTicker(bitrateEvery)
	defer br.Stop()
	for {
		select {
		case <-s.quit:
			s.shutdown()
			return
		case <-s.inbox.Ready():
			fs, _ := s.inbox.Drain()
			for _, f := range fs {
				f()
			}
		case <-vol.C:
			s.emitVolumes()
		case <-q.C:
			s.emitQualities()
			s.emitPaths()
		case <-br.C:
			s.adaptBitrate()
		}
	}
}

// shutdown runs on the loop: close every peer and device.
func (s *Session) shutdown() {
	s.inbox.Close()
	// Run what was queued so API callers get their replies (ErrClosed
	// checks below make the calls no-ops where it matters).
	fs, _ := s.inbox.Drain()
	for _, f := range fs {
		f()
	}
	for id, p := range s.peers {
		p.close()
		delete(s.peers, id)
	}
	s.closeCamera()
	if s.audioCap != nil {
		s.audioCap.close()
		s.audioCap = nil
	}
}

// Close stops every goroutine, closes devices and peer connections, and
// then ends the Events channel, dropping the events nobody read.
func (s *Session) Close() error {
	s.quitOnce.Do(func() {
		close(s.quit)
		<-s.loopDone
		s.wg.Wait()
		if s.play != nil {
			s.play.close()
		}
		s.events.Discard()
	})
	return nil
}

// Start opens the microphone, and the camera when video is true, and
// returns once they are open. Device failures are *DeviceError
// (errors.Is ErrCameraFailed, ErrMicrophoneFailed or
// ErrPermissionDenied); after one the session is not started.
func (s *Session) Start(ctx context.Context, video bool) error {
	return <-s.StartAsync(ctx, video)
}

// StartAsync is Start without the wait: it returns as soon as the session
// has taken the request, and the channel then gives Start's result once.
// The devices open off the session's loop, so a peer added after
// StartAsync (AddPeer) carries the tracks they will feed, and offer,
// answer and ICE run while a camera takes its time to open: the first
// frame goes out on a link that is already up. Calls that change the
// devices (SetVideo, SetCamera, SetMicrophone, SwitchCamera,
// SwitchMicrophone, SetVideoParams, ShareScreen, StopScreenShare) made
// meanwhile wait for them.
func (s *Session) StartAsync(ctx context.Context, video bool) <-chan error {
	res := make(chan error, 1)
	if err := ctx.Err(); err != nil {
		res <- err
		return res
	}
	err := s.call(func() error {
		if s.started {
			return ErrAlreadyStarted
		}
		s.started, s.opening = true, true
		if !video {
			s.closeCamera() // a preview's, for a call taken as audio
		}
		plan := openPlan{video: video, micID: s.cfg.MicrophoneID, camID: s.cfg.CameraID, vp: s.cur,
			camera: video && s.camOn && s.videoCap == nil}
		if video {
			s.enableVideo()
		}
		s.wg.Add(1)
		go s.openDevices(plan, res)
		return nil
	})
	if err != nil {
		res <- err
	}
	return res
}

// openPlan is what StartAsync opens, as the session stood when it was
// asked.
type openPlan struct {
	video        bool
	camera       bool // open the camera (video, and no preview has it open)
	micID, camID string
	vp           VideoParams
}

// openedDevices is what openDevices opened.
type openedDevices struct {
	mic, cam       *capture
	micDev, camDev Device
	err            error
}

func (o *openedDevices) close() {
	for _, c := range []*capture{o.mic, o.cam} {
		if c != nil {
			c.close()
		}
	}
}

// openDevices is StartAsync's goroutine: it opens plan's devices and
// hands them to the loop, or closes them if the session has ended.
func (s *Session) openDevices(plan openPlan, res chan<- error) {
	defer s.wg.Done()
	if s.hooks.openGate != nil {
		<-s.hooks.openGate
	}
	var o openedDevices
	o.mic, o.micDev, o.err = s.openMicCapture(plan.micID)
	if o.err == nil && plan.camera {
		o.cam, o.camDev, o.err = s.openCameraCapture(plan.camID, plan.vp)
	}
	if !s.inbox.Push(func() { res <- s.devicesOpened(plan, &o) }) {
		o.close()
		res <- ErrClosed
	}
}

// devicesOpened runs on the loop when StartAsync's devices are open (or
// one failed, and the start is undone), then the calls that waited.
func (s *Session) devicesOpened(plan openPlan, o *openedDevices) error {
	s.opening = false
	waiting := s.afterOpen
	s.afterOpen = nil
	defer func() {
		for _, f := range waiting {
			f()
		}
	}()
	defer s.sendMediaState()
	if o.err != nil {
		o.close()
		s.started = false
		if plan.video {
			s.disableVideo()
		}
		return o.err
	}
	s.audioCap = o.mic
	s.audioFECPct = 0 // a new encoder: the next report sizes its FEC
	s.chosen(o.micDev)
	if o.cam != nil {
		s.useCamera(o.cam, o.camDev)
		if plan.vp != s.cur {
			// The ladder stepped while the camera opened (peers came).
			s.closeCamera()
			if err := s.openCamera(); err != nil {
				s.emit(DeviceFailed{Err: err})
			}
		}
	}
	return nil
}

// Preview opens the camera before Start, for the local preview alone
// (an app shows the user's camera while a call rings, when it asks to):
// its frames go to the local sink and to no peer. Start keeps the camera
// for a video call and closes it for an audio one; StopPreview closes
// it before. After Start, Preview does nothing.
func (s *Session) Preview(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.call(func() error {
		if s.started || s.videoCap != nil {
			return nil
		}
		return s.openCamera()
	})
}

// StopPreview closes the camera Preview opened. After Start it does
// nothing: the call's camera is SetCamera's and SetVideo's.
func (s *Session) StopPreview() error {
	return s.call(func() error {
		if !s.started {
			s.closeCamera()
		}
		return nil
	})
}

func (s *Session) openMicrophone() error {
	c, dev, err := s.openMicCapture(s.cfg.MicrophoneID)
	if err != nil {
		return err
	}
	s.audioCap = c
	s.audioFECPct = 0 // a new encoder: the next report sizes its FEC
	s.chosen(dev)
	return nil
}

// openMicCapture opens microphone id (empty: the system's default). It
// touches no loop state, so StartAsync runs it off the loop.
func (s *Session) openMicCapture(id string) (*capture, Device, error) {
	openMu.Lock()
	defer openMu.Unlock()
	dev, err := pickDevice(Microphone, id)
	if err != nil {
		return nil, dev, &DeviceError{Kind: ErrMicrophoneFailed, Device: Microphone, DeviceID: id, Err: err}
	}
	// The test tone reaches no loudspeaker's sound: nothing to cancel, and
	// the canceller's noise suppression would fade a steady tone.
	ref := s.echoRef
	if dev.IsTestSource {
		ref = nil
	}
	var c *capture
	c, err = openCapture(Microphone, dev, VideoParams{}, s.selector, s.audioOut, &s.selfMeter, &s.micMuted, ref, nil, func(err error) {
		s.post(func() { s.captureEnded(c, err) })
	})
	return c, dev, err
}

func (s *Session) openCamera() error {
	c, dev, err := s.openCameraCapture(s.cfg.CameraID, s.cur)
	if err != nil {
		return err
	}
	s.useCamera(c, dev)
	return nil
}

// openCameraCapture opens camera id (empty: the first) at vp. It touches
// no loop state, so StartAsync runs it off the loop.
func (s *Session) openCameraCapture(id string, vp VideoParams) (*capture, Device, error) {
	openMu.Lock()
	defer openMu.Unlock()
	dev, err := pickDevice(Camera, id)
	if err != nil {
		return nil, dev, &DeviceError{Kind: ErrCameraFailed, Device: Camera, DeviceID: id, Err: err}
	}
	var c *capture
	c, err = openCapture(Camera, dev, vp, s.selector, s.videoOut, nil, nil, nil, &s.localSink, func(err error) {
		s.post(func() { s.captureEnded(c, err) })
	})
	return c, dev, err
}

// useCamera makes c the session's camera; the loop's.
func (s *Session) useCamera(c *capture, dev Device) {
	s.videoCap = c
	s.keys.set(c.forceKeyFrame)
	s.bitrate = 0
	s.chosen(dev)
}

// chosen names a device the session opened, in the log and as a
// LocalSource event.
func (s *Session) chosen(dev Device) {
	s.log.Info("device opened", "kind", dev.Kind, "label", dev.Label, "id", dev.ID,
		"systemDefault", dev.IsDefault, "testSource", dev.IsTestSource)
	s.emit(LocalSource{Kind: dev.Kind, DeviceID: dev.ID, Label: dev.Label, IsTestSource: dev.IsTestSource})
}

// speakerChosen names the speaker the playback opened: the one picked by
// ID, else the system's default; the null backend where there is no
// sound card.
func (s *Session) speakerChosen() {
	dev := Device{Kind: Speaker, ID: s.cfg.SpeakerID, Label: "no sound card (silent output)", IsNull: true}
	if !s.play.null {
		for _, d := range soundDevices(Speaker) {
			if (s.cfg.SpeakerID == "" && d.IsDefault) || (s.cfg.SpeakerID != "" && d.ID == s.cfg.SpeakerID) {
				dev = d
				break
			}
		}
		if dev.IsNull { // a backend that names no default
			dev = Device{Kind: Speaker, ID: s.cfg.SpeakerID, Label: "the system's default output"}
		}
	}
	s.chosen(dev)
}

func (s *Session) closeCamera() {
	if s.videoCap != nil {
		if !s.custom {
			s.keys.set(nil)
		}
		s.videoCap.close()
		s.videoCap = nil
	}
}

// captureEnded runs on the loop when a device stopped by itself.
func (s *Session) captureEnded(c *capture, err error) {
	switch c {
	case s.videoCap:
		s.closeCamera()
		if s.screenOn {
			// The shared screen went (its X server did): back to the
			// camera, as after StopScreenShare.
			s.stoppedSharing()
			if !s.camOn {
				s.setSenders(false)
			}
			s.reopenCamera()
		}
	case s.audioCap:
		s.audioCap.close()
		s.audioCap = nil
	default:
		return
	}
	s.emit(DeviceFailed{Err: err})
	s.sendMediaState() // the peers see the camera or microphone go off
}

// AddPeer creates the peer connection to id. The engine decides the
// roles: the member who entered the room later is the offerer, and only
// the offerer ever sends offers, so negotiation never collides.
func (s *Session) AddPeer(id PeerID, offerer bool) error {
	if id == "" {
		return fmt.Errorf("%w: empty peer id", ErrBadConfig)
	}
	return s.call(func() error { return s.addPeer(id, offerer) })
}

// RemovePeer closes the connection to id.
func (s *Session) RemovePeer(id PeerID) error {
	return s.call(func() error {
		p := s.peers[id]
		if p == nil {
			return fmt.Errorf("%w: %q", ErrUnknownPeer, id)
		}
		delete(s.peers, id)
		p.close()
		if s.play != nil {
			s.play.removePeer(id)
		}
		s.emit(PeerStateChanged{Peer: id, State: PeerClosed})
		s.applyVideoStep(0)
		return nil
	})
}

// HandleSignal applies a signal that peer id sent.
func (s *Session) HandleSignal(id PeerID, sig Signal) error {
	if err := sig.validate(); err != nil {
		return err
	}
	return s.call(func() error {
		p := s.peers[id]
		if p == nil {
			return fmt.Errorf("%w: %q", ErrUnknownPeer, id)
		}
		return s.handleSignal(p, sig)
	})
}

// SetVideo switches the call between audio and video: it adds or removes
// the video track on every peer connection, with renegotiation. The peers
// see the track come (OnTrack) or go (end of stream).
func (s *Session) SetVideo(enabled bool) error {
	return s.callOpen(func() error {
		if !s.started {
			return ErrNotStarted
		}
		return s.setVideo(enabled)
	})
}

func (s *Session) setVideo(on bool) error {
	if on == s.videoOn {
		return nil
	}
	if on {
		if s.camOn && s.videoCap == nil && !s.custom {
			if err := s.openCamera(); err != nil {
				return err
			}
		}
		s.enableVideo()
		s.sendMediaState()
		return nil
	}
	s.closeCamera()
	if s.screenOn {
		s.stoppedSharing() // a voice call shares nothing
	}
	s.videoOn = false
	for _, p := range s.peers {
		// The peer removes its video too (the call is an audio call now),
		// but its old track ends only when a renegotiation stops it. If it
		// still counted when the call switches back, the peer's video
		// would show before its new track comes, then flicker off as the
		// old one ends.
		p.staleVideo, p.videoEpoch = p.videoTracks, p.videoEpoch+1
		s.reportRemoteMedia(p)
		s.detachVideo(p)
	}
	s.sendMediaState()
	return nil
}

// enableVideo sends the shared video track to every peer, and to the
// peers added from now on.
func (s *Session) enableVideo() {
	s.videoOn = true
	for _, p := range s.peers {
		if err := s.attachVideo(p); err != nil {
			s.emit(PeerError{Peer: p.id, Err: err})
			continue
		}
		s.negotiate(p, false)
	}
}

// disableVideo undoes enableVideo: a start whose devices failed. The
// peers' own video is not touched.
func (s *Session) disableVideo() {
	s.videoOn = false
	for _, p := range s.peers {
		s.detachVideo(p)
	}
}

// detachVideo stops sending video to p, with renegotiation.
func (s *Session) detachVideo(p *peer) {
	if p.videoSender != nil {
		if err := p.pc.RemoveTrack(p.videoSender); err != nil {
			s.emit(PeerError{Peer: p.id, Err: fmt.Errorf("media: remove video: %w", err)})
		}
		p.videoSender = nil
	}
	s.negotiate(p, false)
}

// SetCamera turns the camera on or off within a video call, without
// renegotiation: the senders stop (ReplaceTrack(nil)) and resume with the
// same shared track, whose RTP sequence continues, and the peers get a
// mediaState signal. Before Start it records the choice, so a user who
// turned the camera off starts a video call without it ever opening (a
// preview's closes).
func (s *Session) SetCamera(on bool) error {
	return s.callOpen(func() error {
		if on == s.camOn {
			return nil
		}
		if !s.started && !on {
			s.closeCamera() // a preview's
		}
		// While a screen is shared the camera's state only waits for the
		// share to end.
		if s.videoOn && !s.custom && !s.screenOn {
			if on {
				if err := s.openCamera(); err != nil {
					return err
				}
			} else {
				s.closeCamera()
			}
			s.setSenders(on)
		}
		s.camOn = on
		s.sendMediaState()
		return nil
	})
}

// SetMicrophone turns the microphone on or off: off, nothing is sent
// (the device stays open, so on is instant) and the peers get a
// mediaState signal. Before Start it records the choice, so the peers of
// a user who muted before the call are never told the microphone is on.
func (s *Session) SetMicrophone(on bool) error {
	return s.callOpen(func() error {
		if on == s.micOn {
			return nil
		}
		s.micOn = on
		s.micMuted.Store(!on)
		s.sendMediaState()
		return nil
	})
}

func (s *Session) sendMediaState() {
	for _, p := range s.peers {
		s.sendMediaStateTo(p)
	}
}

func (s *Session) sendMediaStateTo(p *peer) {
	// While the devices open, the peers are told what is coming: a
	// camera off for a moment would flicker their picture's placeholder.
	cam := s.videoOn && (s.camOn || s.screenOn) && (s.videoCap != nil || s.opening)
	mic := s.micOn && (s.audioCap != nil || s.opening)
	screen := cam && s.screenOn
	if s.custom {
		// A custom source claims only what it says it sends
		// (SetCustomMedia): a receiver that expected video which never
		// comes would rate the link Down. It shares no screen.
		cam = s.videoOn && s.camOn && s.customVideo
		mic = s.micOn && s.customAudio
		screen = false
	}
	s.emit(SignalOut{Peer: p.id, Signal: Signal{Kind: SignalMediaState, Camera: cam, Microphone: mic, Screen: screen}})
}

// SwitchCamera moves capture to another camera. The shared track and the
// peer connections stay; the new encoder starts with a keyframe.
func (s *Session) SwitchCamera(deviceID string) error {
	return s.callOpen(func() error {
		if err := knownDevice(Camera, deviceID); err != nil {
			return err
		}
		old := s.cfg.CameraID
		s.cfg.CameraID = deviceID
		if s.videoCap == nil || s.screenOn {
			return nil // the next camera opens this one
		}
		s.closeCamera()
		if err := s.openCamera(); err != nil {
			s.cfg.CameraID = old
			if err2 := s.openCamera(); err2 != nil {
				s.emit(DeviceFailed{Err: err2})
			}
			return err
		}
		return nil
	})
}

// SwitchMicrophone moves capture to another microphone.
func (s *Session) SwitchMicrophone(deviceID string) error {
	return s.callOpen(func() error {
		if err := knownDevice(Microphone, deviceID); err != nil {
			return err
		}
		old := s.cfg.MicrophoneID
		s.cfg.MicrophoneID = deviceID
		if s.audioCap == nil {
			return nil
		}
		s.audioCap.close()
		s.audioCap = nil
		if err := s.openMicrophone(); err != nil {
			s.cfg.MicrophoneID = old
			if err2 := s.openMicrophone(); err2 != nil {
				s.emit(DeviceFailed{Err: err2})
			}
			return err
		}
		return nil
	})
}

// SetSpeaker moves playback to another output device.
func (s *Session) SetSpeaker(deviceID string) error {
	return s.call(func() error {
		s.cfg.SpeakerID = deviceID
		if s.play == nil {
			return nil
		}
		if err := s.play.setSpeaker(deviceID); err != nil {
			return err
		}
		s.speakerChosen()
		return nil
	})
}

// SetVideoParams changes resolution, frame rate and bitrate range. A
// running camera is reopened with the new setting (same shared track, no
// renegotiation).
func (s *Session) SetVideoParams(p VideoParams) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return s.callOpen(func() error {
		s.vp = p
		s.cur = stepParams(p, s.ladder.observe(0, meshStep(len(s.peers)), time.Now()), len(s.peers))
		if s.videoCap == nil || s.screenOn {
			return nil // the camera opens with it
		}
		s.bitrate = 0
		s.closeCamera()
		return s.openCamera()
	})
}

// SetRemoteSink sets where id's decoded video goes; nil stops delivery.
func (s *Session) SetRemoteSink(id PeerID, sink FrameSink) error {
	return s.call(func() error {
		p := s.peers[id]
		if p == nil {
			return fmt.Errorf("%w: %q", ErrUnknownPeer, id)
		}
		if sink == nil {
			p.sink.Store(nil)
		} else {
			p.sink.Store(&sinkBox{sink})
		}
		return nil
	})
}

// SetLocalSink sets where the local camera's frames go (before encoding,
// for the preview); nil stops delivery.
func (s *Session) SetLocalSink(sink FrameSink) {
	if sink == nil {
		s.localSink.Store(nil)
		return
	}
	s.localSink.Store(&sinkBox{sink})
}

// IsTestSource reports whether the open camera or microphone is the test
// source (false for a kind that is not open).
func (s *Session) IsTestSource(kind DeviceKind) bool {
	var out bool
	_ = s.callOpen(func() error {
		switch {
		case kind == Camera && s.videoCap != nil:
			out = s.videoCap.dev.IsTestSource
		case kind == Microphone && s.audioCap != nil:
			out = s.audioCap.dev.IsTestSource
		}
		return nil
	})
	return out
}

// EchoCancellation reports whether the session cancels echo on its
// microphone: true when it has a speaker and Config.NoEchoCancellation is
// false. It is fixed for the session's life. The test source is never
// cancelled (no loudspeaker reaches it), whatever this says.
func (s *Session) EchoCancellation() bool { return s.echoRef != nil }

func (s *Session) videoParams() VideoParams { return s.cur }

// adaptBitrate moves the stream on the ladder (videotier.go) and sets the
// encoder to the lowest of the peers' congestion estimates, clamped to
// the step's range.
func (s *Session) adaptBitrate() {
	if s.videoCap == nil {
		return
	}
	estimate := 0
	for _, p := range s.peers {
		if p.bwe != nil && p.videoSender != nil && p.state == PeerConnected {
			if b := p.bwe.GetTargetBitrate(); b > 0 && (estimate == 0 || b < estimate) {
				estimate = b
			}
		}
	}
	s.applyVideoStep(estimate)
	lo, hi := s.cur.MinBitrate, s.cur.MaxBitrate
	if s.screenOn {
		// A shared screen has its own range; the ladder's step waits
		// for the camera.
		lo, hi = screenMinBitrate, screenMaxBitrate
	}
	target := hi
	if estimate > 0 {
		target = min(target, estimate)
	}
	target = max(target, lo)
	if s.videoCap != nil && target != s.bitrate && s.videoCap.setBitrate(target) {
		s.bitrate = target
	}
}

// applyVideoStep puts the stream on the ladder's step for the number of
// peers and the bandwidth estimate (0: no new estimate), reopening the
// camera when the step changes its size or frame rate. Runs on the loop.
func (s *Session) applyVideoStep(estimate int) {
	step := s.ladder.observe(estimate, meshStep(len(s.peers)), time.Now())
	p := stepParams(s.vp, step, len(s.peers))
	if p == s.cur {
		return
	}
	reopen := p.Width != s.cur.Width || p.Height != s.cur.Height || p.FrameRate != s.cur.FrameRate
	if p.MaxBitrate != s.cur.MaxBitrate {
		s.bitrate = 0 // set the new cap at once
	}
	s.log.Info("video step", "peers", len(s.peers), "estimate", estimate,
		"size", fmt.Sprintf("%dx%d", p.Width, p.Height), "fps", p.FrameRate, "max_bitrate", p.MaxBitrate)
	s.cur = p
	if !reopen || s.videoCap == nil || s.screenOn {
		return // a shared screen keeps its size; the camera opens at p
	}
	s.closeCamera()
	if err := s.openCamera(); err != nil {
		s.emit(DeviceFailed{Err: err})
		s.sendMediaState()
	}
}

func (s *Session) emitVolumes() {
	v := Volumes{Peers: make(map[PeerID]int, len(s.peers))}
	v.Self = s.selfMeter.take()
	if !s.micOn || s.audioCap == nil {
		v.Self = 0
	}
	for id, p := range s.peers {
		v.Peers[id] = p.meter.take()
	}
	s.emit(v)
}

// BytesSent is what the session has sent on its open links, all peers
// together: ICE-level bytes (SRTP, SRTCP, DTLS and ICE checks), without
// the IP and UDP headers (28 bytes a packet).
func (s *Session) BytesSent() uint64 {
	var n uint64
	_ = s.call(func() error {
		for _, p := range s.peers {
			if !p.closed {
				n += p.pc.SCTP().Transport().ICETransport().Stats().BytesSent
			}
		}
		return nil
	})
	return n
}
