package call

import (
	"time"

	"github.com/calla-rtc/calla/media"
	"github.com/calla-rtc/calla/signaling"
)

// Params are a call's options: TUICallKit's CallParams.
type Params struct {
	// Timeout is how long invitees ring before onUserNoResponse; zero
	// means the server's default (30 s).
	Timeout time.Duration
	// UserData reaches every invitee in onCallReceived.
	UserData string
	// RoomID asks for a specific media room; nil lets the server pick.
	RoomID *signaling.RoomID
}

// VideoEncoderParams are the local camera's encoder settings: TUICallKit's
// setVideoEncoderParams. Zero fields keep their current value.
type VideoEncoderParams struct {
	Width, Height int
	FrameRate     int
	BitrateKbps   int
}

// over is base with the fields p sets (> 0) replaced: the one place where
// an encoder setting is merged, for Config.Video over the media package's
// defaults and for SetVideoEncoderParams over the current setting. The
// bitrate sets the ceiling; the floor follows it down.
func (p VideoEncoderParams) over(base media.VideoParams) media.VideoParams {
	if p.Width > 0 {
		base.Width = p.Width
	}
	if p.Height > 0 {
		base.Height = p.Height
	}
	if p.FrameRate > 0 {
		base.FrameRate = p.FrameRate
	}
	if p.BitrateKbps > 0 {
		base.MaxBitrate = p.BitrateKbps * 1000
		base.MinBitrate = min(base.MinBitrate, base.MaxBitrate)
	}
	return base
}

// Device is a camera, microphone or speaker the engine can use. ID is
// stable across runs (see media.Device); IsDefault marks the system's
// default microphone and speaker, which the engine uses unless one was
// picked.
type Device struct {
	ID           string `json:"id"`
	Label        string `json:"label"`
	Kind         string `json:"kind"` // "camera", "microphone" or "speaker"
	IsTestSource bool   `json:"isTestSource"`
	IsDefault    bool   `json:"isDefault,omitempty"`
}

// LoginParams say where and as whom to log in.
type LoginParams struct {
	Server    string // ws://HOST:PORT/ws
	UserID    signaling.UserID
	UserSig   string
	Nickname  string
	AvatarURL string
}
