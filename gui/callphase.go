package gui

import "strconv"

// CallPhase is where the local user's call stands, as the UI sees it.
type CallPhase int

// Call phases.
const (
	PhaseIdle       CallPhase = iota // no call
	PhaseDialing                     // we invited someone; nobody has answered yet
	PhaseRinging                     // someone invites us; the incoming dialog shows
	PhaseConnecting                  // we accepted; waiting for onCallBegin
	PhaseConnected                   // onCallBegin arrived
)

var callPhaseNames = [...]string{"idle", "dialing", "ringing", "connecting", "connected"}

func (p CallPhase) String() string {
	if p >= 0 && int(p) < len(callPhaseNames) {
		return callPhaseNames[p]
	}
	return "CallPhase(" + strconv.Itoa(int(p)) + ")"
}
