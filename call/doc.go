// Package call is the call engine, Calla's TUICallEngine: one object that
// drives signaling and media and surfaces every call event on one ordered
// channel. It never imports fyne.
package call
