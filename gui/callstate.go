package gui

import (
	"strings"
	"time"

	"fyne.io/fyne/v2/lang"

	"github.com/calla-rtc/calla/call"
	"github.com/calla-rtc/calla/media"
	"github.com/calla-rtc/calla/signaling"
)

// speakingVolume is TUICallKit's threshold: a member whose volume is above
// it is speaking.
const speakingVolume = 10

// Member is one person in the call as their tile shows them.
type Member struct {
	ID      signaling.UserID
	State   TileState
	VideoOn bool // camera on: video, else the avatar
	AudioOn bool // microphone on, else the mic-off icon
	Sharing bool // their video is a screen they share
	Volume  int  // 0..100
	Quality media.Quality
	// Path is how media with the member is carried (onNetworkPathChanged);
	// nil until the engine has said.
	Path *call.NetworkPath
}

// Speaking reports whether the tile shows the speaking indicator.
func (m *Member) Speaking() bool { return m.Volume > speakingVolume }

// Reconnecting reports whether the tile says "Reconnecting…": the member
// joined and their quality is Down, which is what the engine reports
// while their media connection is lost and being restored (the media
// session restarts ICE until it is back, or until the engine gives up
// and the member leaves).
func (m *Member) Reconnecting() bool { return m.State == TileJoined && m.Quality == media.QualityDown }

// QualityBars is how many of the five network bars are lit: five for
// Excellent down to one for Vbad; none for Down and for Unknown (the
// view draws Down's empty bars red).
func (m *Member) QualityBars() int {
	if m.Quality >= media.QualityExcellent && m.Quality <= media.QualityVbad {
		return 6 - int(m.Quality)
	}
	return 0
}

// CallState is the call's view model: everything the outgoing, incoming
// and in-call views show.
type CallState struct {
	Phase     CallPhase
	ID        signaling.CallID // empty until an event names it
	Role      signaling.CallRole
	Caller    signaling.UserID
	Group     signaling.GroupID
	IsGroup   bool
	MediaType signaling.MediaType
	UserData  string
	// Members are the other people in the call, in the order they were
	// invited or appeared.
	Members []*Member
	// Local is the user's own tile: AudioOn is the microphone, VideoOn
	// the camera.
	Local   Member
	BeganAt time.Time // onCallBegin, for the timer
	// Focus is the enlarged tile of a group call; empty for the grid.
	Focus signaling.UserID
	// Swapped puts the local video large in a 1v1 video call.
	Swapped bool
	// Banner warns of a bad network; empty when all is well.
	Banner string

	// held are events of some call that came while the call the user
	// placed had no ID yet (Call has not returned): which call they are
	// about is known only once it has.
	held       []call.Event
	attempt    int         // counts calls, so a late result of an old call's action is ignored
	cancelDial func() bool // cancels the queued Call/GroupCall request
	endSaid    bool        // a toast already said why the call ends
	outcome    Outcome     // for the history, when an earlier event said it
	hasOutcome bool
	total      time.Duration // onCallEnd's totalTime, for the history
	hasTotal   bool
}

// Member returns the member with id, or nil.
func (c *CallState) Member(id signaling.UserID) *Member {
	for _, m := range c.Members {
		if m.ID == id {
			return m
		}
	}
	return nil
}

// Peers are the other members' IDs.
func (c *CallState) Peers() []signaling.UserID {
	out := make([]signaling.UserID, len(c.Members))
	for i, m := range c.Members {
		out[i] = m.ID
	}
	return out
}

func (c *CallState) addMember(id signaling.UserID, s TileState, video bool) *Member {
	if m := c.Member(id); m != nil {
		return m
	}
	m := &Member{ID: id, State: s, AudioOn: true, VideoOn: video}
	c.Members = append(c.Members, m)
	return m
}

func (c *CallState) removeMember(id signaling.UserID) bool {
	for i, m := range c.Members {
		if m.ID == id {
			c.Members = append(c.Members[:i], c.Members[i+1:]...)
			if c.Focus == id {
				c.Focus = ""
			}
			return true
		}
	}
	return false
}

// updateBanner applies TUICallKit's rule (and wording): the local
// network first, then any other member's.
func (c *CallState) updateBanner() {
	c.Banner = ""
	if c.Local.Quality.IsBad() {
		c.Banner = lang.L("Your network connection is poor")
		return
	}
	for _, m := range c.Members {
		if m.Quality.IsBad() {
			c.Banner = lang.L("The other party's network connection is poor")
			return
		}
	}
}

// matches reports whether an event of call id belongs to this call: by
// the ID alone, never by guessing (an event of a call placed but not yet
// named is held until its ID is known: see Model.apply).
func (c *CallState) matches(id signaling.CallID) bool {
	return c.ID != "" && c.ID == id
}

// NetworkText is the call's network panel: how media is carried, from
// the candidate pairs the engine reports (pion's stats), and the
// round-trip time. 1v1: "Direct · 23 ms", "Via relay (TCP) · 80 ms". A
// group says how many members are reached each way and the longest round
// trip. Empty until the engine has said anything.
func (c *CallState) NetworkText() string {
	var direct, relay, rtt int64
	var proto string
	for _, m := range c.Members {
		if m.Path == nil || m.State != TileJoined {
			continue
		}
		if m.Path.Via == call.ViaRelay {
			relay++
			if m.Path.Protocol != "" && m.Path.Protocol != "udp" {
				proto = strings.ToUpper(m.Path.Protocol)
			}
		} else {
			direct++
		}
		rtt = max(rtt, m.Path.RTTMs)
	}
	var via string
	switch {
	case direct+relay == 0:
		return ""
	case relay == 0:
		via = lang.L("Direct")
	case direct == 0 && proto != "":
		via = lang.L("Via relay ({{.Protocol}})", map[string]any{"Protocol": proto})
	case direct == 0:
		via = lang.L("Via relay")
	default:
		via = lang.L("{{.Direct}} direct, {{.Relay}} via relay", map[string]any{"Direct": direct, "Relay": relay})
	}
	if rtt > 0 {
		return lang.L("{{.Path}} · {{.RTT}} ms", map[string]any{"Path": via, "RTT": rtt})
	}
	return via
}
