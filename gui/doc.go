// Package gui is Calla's desktop app: the Fyne views and the view models
// behind them, over the call engine.
//
// It owns the screens (login, contacts, outgoing call, the incoming-call
// dialog, the call, history, settings), the toasts, banners and dialogs,
// the video tiles that show the engine's frames, the keyboard shortcuts,
// the call history file and the settings kept with Fyne's preferences,
// and the texts in English, Simplified Chinese and Japanese (Fyne's lang
// package, over the files embedded from translations/; every text a user
// reads is lang.L of its English).
// It talks to the engine only through Engine, an interface declared here
// (the consumer's side), so that everything can be tested against
// guitest.FakeEngine; it never talks to pion or the websocket.
//
// Model is the view model: plain Go whose fields are what the screens
// show and whose methods are what their buttons do. Apply turns an engine
// event into Model changes; the views (ui and the *View types) read the
// Model when it reports which Part changed.
//
// Concurrency: the Model and every Fyne object belong to Fyne's UI
// goroutine. A session owns three goroutines and stops them before Run
// returns: the event loop (runEvents) ranges over Engine.Events and
// applies each batch of waiting events on the UI goroutine through
// fyne.Do; the action queue's worker runs engine calls that may block
// (Login, Call, Accept, ...) one at a time, in the order the user made
// them, and hands each result back through fyne.Do; a ticker brings the
// call timer and the toasts up to date once a second. Video frames arrive
// on the engine's media goroutines: a videoView keeps only the newest
// frame and schedules at most one redraw at a time, so a slow UI drops
// frames and never blocks the engine. Reading a picture or ringtone file
// runs as an action too. Decoded avatars are cached behind a mutex
// (avatarImages). Nothing else runs off the UI goroutine.
package gui
