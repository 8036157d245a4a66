package media

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/pion/transport/v5"
	"github.com/pion/webrtc/v4"
)

// VideoParams is the encoder setting: TUICallKit's setVideoEncoderParams.
type VideoParams struct {
	Width, Height int
	FrameRate     int
	MinBitrate    int // bits per second; congestion control never goes below
	MaxBitrate    int // bits per second; the start rate and the ceiling
	// ScreenContent tunes the encoder for a shared screen (libvpx's
	// screen-content mode): text and still pictures, few frames.
	ScreenContent bool
}

// DefaultVideoParams is 640x480 at 30 fps, 150 kbps to 1.2 Mbps.
var DefaultVideoParams = VideoParams{Width: 640, Height: 480, FrameRate: 30, MinBitrate: 150_000, MaxBitrate: 1_200_000}

// Validate reports a value out of range with ErrBadConfig.
func (p VideoParams) Validate() error {
	switch {
	case p.Width < 160 || p.Width > 3840 || p.Width%2 != 0:
		return fmt.Errorf("%w: video width %d (want an even number in 160..3840)", ErrBadConfig, p.Width)
	case p.Height < 120 || p.Height > 2160 || p.Height%2 != 0:
		return fmt.Errorf("%w: video height %d (want an even number in 120..2160)", ErrBadConfig, p.Height)
	case p.FrameRate < 1 || p.FrameRate > 60:
		return fmt.Errorf("%w: frame rate %d (want 1..60)", ErrBadConfig, p.FrameRate)
	case p.MinBitrate < 30_000 || p.MaxBitrate < p.MinBitrate || p.MaxBitrate > 20_000_000:
		return fmt.Errorf("%w: bitrate range %d..%d bps (want 30k <= min <= max <= 20M)", ErrBadConfig, p.MinBitrate, p.MaxBitrate)
	}
	return nil
}

// Config is how a Session is set up. The zero value of every field but
// Video means its default.
type Config struct {
	// ICEServers are STUN/TURN servers, as the signaling server hands them out.
	ICEServers []webrtc.ICEServer
	// RelayOnly sends and receives media through TURN relays only
	// (WebRTC's iceTransportPolicy "relay"): peers never learn this
	// machine's addresses, at the cost of a relay on every path. Without
	// a TURN server in ICEServers nothing connects.
	RelayOnly bool
	// LoopbackOnly gathers only loopback host candidates (127.0.0.1, ::1)
	// with mDNS off: for tests, benches and the in-process echo bot.
	LoopbackOnly bool
	// Video is the encoder setting; zero means DefaultVideoParams.
	Video VideoParams
	// CameraID, MicrophoneID and SpeakerID pick devices by the IDs of
	// ListDevices / ListSpeakers; empty picks the default (see device.go).
	CameraID, MicrophoneID, SpeakerID string
	// VolumeInterval is how often a Volumes event comes: default 300 ms.
	VolumeInterval time.Duration
	// QualityInterval is how often a Qualities event comes: default 2 s.
	QualityInterval time.Duration
	// NoPlayback disables the speaker entirely (bots, benches): remote
	// audio is still decoded for levels.
	NoPlayback bool
	// PlaybackLatency is the jitter buffer's target depth: default 40 ms.
	PlaybackLatency time.Duration
	// NoEchoCancellation turns off the acoustic echo canceller, which
	// otherwise removes what the speaker plays from the microphone's
	// audio before it is encoded (with headsets, or where the OS already
	// cancels echo, it only costs CPU). Without playback there is no
	// echo and no canceller.
	NoEchoCancellation bool
	// Logger receives the session's logs; nil means slog.Default().
	Logger *slog.Logger
	// Net is the network the ICE agents open their sockets on (pion's
	// SettingEngine.SetNet); nil is the operating system's. A userspace
	// network stack goes here, and so does internal/netfault, through
	// which the outage tests and `calla bench outage` cut a link below
	// ICE's own connectivity checks, which interceptors never see.
	Net transport.Net
}

const (
	defaultVolumeInterval  = 300 * time.Millisecond
	defaultQualityInterval = 2 * time.Second
	defaultPlaybackLatency = 40 * time.Millisecond
)

func (c *Config) setDefaults() error {
	if c.Video == (VideoParams{}) {
		c.Video = DefaultVideoParams
	}
	if err := c.Video.Validate(); err != nil {
		return err
	}
	if c.VolumeInterval == 0 {
		c.VolumeInterval = defaultVolumeInterval
	}
	if c.QualityInterval == 0 {
		c.QualityInterval = defaultQualityInterval
	}
	if c.PlaybackLatency == 0 {
		c.PlaybackLatency = defaultPlaybackLatency
	}
	if c.VolumeInterval < 20*time.Millisecond || c.QualityInterval < 100*time.Millisecond {
		return fmt.Errorf("%w: intervals too short (volume %v, quality %v)", ErrBadConfig, c.VolumeInterval, c.QualityInterval)
	}
	if c.PlaybackLatency < 10*time.Millisecond || c.PlaybackLatency > time.Second {
		return fmt.Errorf("%w: playback latency %v (want 10ms..1s)", ErrBadConfig, c.PlaybackLatency)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}
