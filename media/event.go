package media

import (
	"strconv"
)

// Event is something the session reports on its Events channel. The
// concrete types are below; consumers switch on them.
type Event interface{ isMediaEvent() }

// SignalOut is a signal for the engine to relay to Peer.
type SignalOut struct {
	Peer   PeerID
	Signal Signal
}

// PeerState is the media connection's state with one peer.
type PeerState int

// Peer connection states.
const (
	PeerNew        PeerState = iota
	PeerConnecting           // setting up, or restarting ICE after a loss
	PeerConnected
	// PeerDisconnected: lost (3 s without a packet). The session restarts
	// ICE until the link is back (icerestart.go), going through
	// PeerConnecting; the engine decides how long to wait.
	PeerDisconnected
	PeerFailed // the connection failed (DTLS); restarted like a lost link
	PeerClosed // closed, here or by the other side (which left)
)

var peerStateNames = [...]string{"new", "connecting", "connected", "disconnected", "failed", "closed"}

func (s PeerState) String() string {
	if s >= 0 && int(s) < len(peerStateNames) {
		return peerStateNames[s]
	}
	return "PeerState(" + strconv.Itoa(int(s)) + ")"
}

// PeerStateChanged reports a change of the media connection with Peer.
type PeerStateChanged struct {
	Peer  PeerID
	State PeerState
}

// FirstFrame reports the first decoded video frame of a new remote video
// track from Peer.
type FirstFrame struct {
	Peer PeerID
}

// RemoteMedia reports what Peer sends: Video is true while its video
// track is negotiated and its camera on; Audio likewise for the
// microphone. It becomes onUserVideoAvailable / onUserAudioAvailable.
type RemoteMedia struct {
	Peer         PeerID
	Video, Audio bool
	// Screen is true while the video is a screen the peer shares.
	Screen bool
}

// ScreenShare reports that the local screen share started (On, with the
// screen shared) or stopped (by StopScreenShare, a switch to audio, or
// the capture failing).
type ScreenShare struct {
	On       bool
	ScreenID string
}

// Volumes is every level, 0..100: the local microphone and each peer.
type Volumes struct {
	Self  int
	Peers map[PeerID]int
}

// Qualities is every network-quality level: Self is the local uplink (the
// worst of what the peers see of our stream), Peers each link as we see it,
// leaving out a link the other side closed (that peer left).
type Qualities struct {
	Self  Quality
	Peers map[PeerID]Quality
}

// Paths reports how each link is carried (direct or through a relay, and
// its round-trip time): every quality interval, and at once when a link's
// candidate pair is selected (connected, or restored by an ICE restart).
// Peers without a selected pair are left out.
type Paths struct {
	Peers map[PeerID]Path
}

// LocalSource names a device the session opened: the camera or the
// microphone that captures (and whether it is the test source), or the
// speaker that plays (IsTestSource false; the null output where there is
// no sound card).
type LocalSource struct {
	Kind         DeviceKind
	DeviceID     string
	Label        string
	IsTestSource bool
}

// DeviceFailed reports a capture device that stopped while running (an
// unplugged camera). Err is a *DeviceError.
type DeviceFailed struct {
	Err error
}

// PeerError reports a negotiation or media failure with Peer that the
// session could not recover from by itself.
type PeerError struct {
	Peer PeerID
	Err  error
}

func (SignalOut) isMediaEvent()        {}
func (PeerStateChanged) isMediaEvent() {}
func (FirstFrame) isMediaEvent()       {}
func (RemoteMedia) isMediaEvent()      {}
func (Volumes) isMediaEvent()          {}
func (Qualities) isMediaEvent()        {}
func (Paths) isMediaEvent()            {}
func (LocalSource) isMediaEvent()      {}
func (DeviceFailed) isMediaEvent()     {}
func (PeerError) isMediaEvent()        {}
func (ScreenShare) isMediaEvent()      {}
