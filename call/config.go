package call

import (
	"log/slog"
	"time"
)

// Config sets up an Engine. The zero value is a desktop engine with the
// default devices and encoder settings.
type Config struct {
	// Video is the initial encoder setting; zero fields take the media
	// package's defaults (640x480 at 30 fps).
	Video VideoEncoderParams
	// CameraID, MicrophoneID and SpeakerID pick devices (Devices lists
	// them); empty picks the default, or the test source where there is no
	// device.
	CameraID, MicrophoneID, SpeakerID string
	// NoPlayback leaves the speaker closed: bots, benches and tests.
	NoPlayback bool
	// NoEchoCancellation starts the engine with the acoustic echo
	// canceller off (headsets, or an OS that cancels echo itself);
	// SetEchoCancellation changes it later. Without playback there is no
	// canceller either way.
	NoEchoCancellation bool
	// RelayOnly sends media through the server's TURN relay only, so
	// peers never learn this machine's addresses (media.Config.RelayOnly).
	RelayOnly bool
	// LoopbackOnly keeps media on 127.0.0.1: tests, benches and the
	// in-process echo bot.
	LoopbackOnly bool
	// VolumeInterval and QualityInterval pace onUserVoiceVolumeChanged
	// (default 300 ms) and onUserNetworkQualityChanged (default 2 s).
	VolumeInterval, QualityInterval time.Duration
	// Presence asks the server for the user directory and presence
	// changes (onPresenceChanged): the desktop app wants them, bots don't.
	Presence bool
	// ConnectTimeout is how long a member who entered the room has to get
	// media flowing before the engine gives up on it (default 20 s).
	ConnectTimeout time.Duration
	// RestoreTimeout is how long a member whose media connection was lost
	// mid-call (3 s without a packet) has to come back before the engine
	// gives up on it (default 40 s). Meanwhile the media session restarts
	// ICE every 1 to 3 s, so media returns within about 2 s of the
	// network; the default lets a 30 s outage pass with room to spare.
	RestoreTimeout time.Duration
	// RequestTimeout bounds each request to the server (default 10 s).
	RequestTimeout time.Duration
	// Logger gets the engine's logs; nil means slog.Default().
	Logger *slog.Logger
}

const (
	defaultConnectTimeout = 20 * time.Second
	defaultRestoreTimeout = 40 * time.Second
	defaultRequestTimeout = 10 * time.Second
)

func (c Config) withDefaults() Config {
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = defaultConnectTimeout
	}
	if c.RestoreTimeout <= 0 {
		c.RestoreTimeout = defaultRestoreTimeout
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = defaultRequestTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}
