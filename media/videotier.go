package media

import "time"

// Group calls within a home uplink. Every peer of a mesh gets its own copy
// of the one encoded stream, so a member's uplink is the stream's bitrate
// times the number of peers, and every member decodes every other's
// stream. The stream therefore steps down as the mesh grows, and when the
// measured bandwidth (the lowest of the peers' congestion estimates) cannot
// carry the current step:
//
//	peers   capture              video per stream (uplinkBudget / peers, less audio)
//	1-3     640x480 at 30 fps    up to 1.2 Mbps (1v1), 1.08 (2 peers), 0.70 (3)
//	4-5     480x360 at 24 fps    0.51 (4), 0.39 Mbps (5)
//	6-8     320x240 at 15 fps    0.31 (6), 0.26 (7), 0.22 Mbps (8)
//
// so a 9-member call (8 peers) sends at most about 8 x (0.22 + 0.06 audio
// with packet overhead) = 2.2 Mbps, within uplinkBudget's 2.5 Mbps with room
// for keyframes and the encoder's overshoot. The steps never go above the
// configured VideoParams (the user's ceiling). A step that changes the
// capture size or rate reopens the camera at it (the same shared track, no
// renegotiation; a real camera then also captures and converts less).
const (
	// uplinkBudget is what a member's streams may use in all, video and
	// audio: a common home uplink. Each stream's video gets its share
	// of uplinkTarget, which leaves the rest for overshoot and RTCP.
	uplinkBudget = 2_500_000
	uplinkTarget = 2_300_000
	// audioPerPeer is one Opus stream on the wire: 32 kbps plus 50
	// packets a second of IP, UDP, RTP and SRTP headers.
	audioPerPeer = 56_000
	// videoOverheadPerPeer is a video stream's headers at these rates.
	videoOverheadPerPeer = 14_000
)

// videoStep is one step of the ladder.
type videoStep struct {
	maxPeers      int // the step serves meshes of up to this many peers
	width, height int
	frameRate     int
	// minBitrate is the least a stream of this step needs: below it the
	// measured bandwidth moves the stream a step down.
	minBitrate int
}

var videoSteps = []videoStep{
	{maxPeers: 3, width: 640, height: 480, frameRate: 30, minBitrate: 400_000},
	{maxPeers: 5, width: 480, height: 360, frameRate: 24, minBitrate: 200_000},
	{maxPeers: 1 << 30, width: 320, height: 240, frameRate: 15, minBitrate: 0},
}

// meshStep is the step for a mesh of n peers.
func meshStep(peers int) int {
	for i, st := range videoSteps {
		if peers <= st.maxPeers {
			return i
		}
	}
	return len(videoSteps) - 1
}

// streamBitrate is the most one stream may use with n peers.
func streamBitrate(peers int) int {
	if peers < 1 {
		peers = 1
	}
	return uplinkTarget/peers - audioPerPeer - videoOverheadPerPeer
}

// stepParams is the encoder setting of step i for n peers under the
// ceiling: never larger, faster or richer than the ceiling.
func stepParams(ceiling VideoParams, i, peers int) VideoParams {
	st := videoSteps[i]
	p := ceiling
	if st.width*st.height < p.Width*p.Height {
		p.Width, p.Height = st.width, st.height
	}
	p.FrameRate = min(p.FrameRate, st.frameRate)
	p.MaxBitrate = max(min(p.MaxBitrate, streamBitrate(peers)), p.MinBitrate)
	return p
}

// Hysteresis of the bandwidth steps: the estimate must stay below a
// step's floor for bwDownAfter to go down, and above 1.5 times the floor
// of the step above for bwUpAfter to go back up (a camera reopen is not
// free, and estimates swing).
const (
	bwDownAfter = 3 * time.Second
	bwUpAfter   = 10 * time.Second
)

// videoLadder is the session's place on the ladder. Owned by the loop.
type videoLadder struct {
	bwStep    int       // the step the measured bandwidth allows
	lowSince  time.Time // the estimate has been below bwStep's floor since
	highSince time.Time // ... above 1.5x the floor of the step above since
}

// observe feeds one bandwidth estimate (bits per second; 0: none yet) at
// now, for a mesh whose step is meshStep, and returns the step to use:
// the lower of the mesh's and the bandwidth's.
func (l *videoLadder) observe(estimate, mesh int, now time.Time) int {
	if estimate > 0 {
		cur := max(l.bwStep, mesh)
		switch {
		case cur < len(videoSteps)-1 && estimate < videoSteps[cur].minBitrate:
			l.highSince = time.Time{}
			if l.lowSince.IsZero() {
				l.lowSince = now
			}
			if now.Sub(l.lowSince) >= bwDownAfter {
				l.bwStep, l.lowSince = cur+1, time.Time{}
			}
		case l.bwStep > 0 && estimate >= videoSteps[l.bwStep-1].minBitrate*3/2:
			l.lowSince = time.Time{}
			if l.highSince.IsZero() {
				l.highSince = now
			}
			if now.Sub(l.highSince) >= bwUpAfter {
				l.bwStep, l.highSince = l.bwStep-1, time.Time{}
			}
		default:
			l.lowSince, l.highSince = time.Time{}, time.Time{}
		}
	}
	return max(l.bwStep, mesh)
}

// MeshVideoParams is the setting the encode-once stream takes in a mesh
// of peers peers under ceiling, before any step the measured bandwidth
// adds (see the ladder above).
func MeshVideoParams(ceiling VideoParams, peers int) VideoParams {
	return stepParams(ceiling, meshStep(peers), peers)
}
