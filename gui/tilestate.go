package gui

import "strconv"

// TileState is where a call member's tile stands.
type TileState int

// Tile states. A tile shows a spinner until its member joins.
const (
	TileInviting   TileState = iota // invited, not answered yet
	TileConnecting                  // answered (or the caller), media not flowing yet
	TileJoined                      // onUserJoin arrived: video or avatar
)

var tileStateNames = [...]string{"inviting", "connecting", "joined"}

func (s TileState) String() string {
	if s >= 0 && int(s) < len(tileStateNames) {
		return tileStateNames[s]
	}
	return "TileState(" + strconv.Itoa(int(s)) + ")"
}
