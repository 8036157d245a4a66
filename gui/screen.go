package gui

import "strconv"

// Screen is what fills the main window. The incoming-call dialog is not a
// screen: it rings over whatever screen is showing.
type Screen int

// Screens.
const (
	ScreenLogin    Screen = iota // server and user ID; skipped in local mode
	ScreenContacts               // the contact list, the home screen
	ScreenOutgoing               // waiting for the callee to answer
	ScreenInCall                 // a connected call
	ScreenHistory                // recent calls
	ScreenSettings               // server, user, devices, ringtone, theme
)

var screenNames = [...]string{"login", "contacts", "outgoing", "in-call", "history", "settings"}

func (s Screen) String() string {
	if s >= 0 && int(s) < len(screenNames) {
		return screenNames[s]
	}
	return "Screen(" + strconv.Itoa(int(s)) + ")"
}
