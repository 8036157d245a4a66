package gui

import "errors"

var (
	// ErrNoEngine indicates that the app was started without a call
	// engine (Options.Engine is nil), so it cannot log in or call.
	ErrNoEngine = errors.New("gui: no call engine")

	// ErrHistoryFile indicates that the call history file exists but
	// cannot be read as Calla's history.
	ErrHistoryFile = errors.New("gui: unreadable call history file")

	// ErrStopped indicates that an action was not run because the app was
	// shutting down or the action was cancelled before it started.
	ErrStopped = errors.New("gui: action not run: stopped")
)
