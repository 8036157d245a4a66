package gui

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"github.com/calla-rtc/calla/assets"
	"github.com/calla-rtc/calla/call"
	"github.com/calla-rtc/calla/signaling"
)

// Title is the main window's title.
const Title = "Calla"

// Icon is the app icon as a Fyne resource.
var Icon = fyne.NewStaticResource("calla.png", assets.IconPNG)

// tickEvery is how often the call timer and the toasts are brought up to
// date.
const tickEvery = time.Second

// shutdownGrace is how long queued engine calls (a hang-up as the window
// closes) may still run when the app stops.
const shutdownGrace = 2 * time.Second

// Options configure the desktop app.
type Options struct {
	// Server, User and UserSig fill in the login form; in local mode the
	// app signs in with them by itself.
	Server  string
	User    string
	UserSig string
	// Data is the directory for the call history; empty means
	// $XDG_CONFIG_HOME/calla (os.UserConfigDir).
	Data string
	// Engine is the call engine. Nil opens the window without one: the
	// screens show but nobody can sign in.
	Engine Engine
	// Sounds plays the ringtone and the dial tone; nil is silent.
	Sounds Sounds
	// Local is local mode: the login is skipped (the app signs in with
	// Server, User, UserSig) and EchoUser shows as "Echo Test".
	Local    bool
	EchoUser signaling.UserID
	// AutoLogin signs in with Server, User and UserSig at start outside
	// local mode too; the login form shows if that fails.
	AutoLogin bool
	// Logger receives the GUI's logs; nil means slog.Default().
	Logger *slog.Logger
}

// Run opens Calla's main window on a and runs the app until the window
// closes or ctx ends. It returns after every goroutine it started has
// stopped.
func Run(ctx context.Context, a fyne.App, opts Options) error {
	a.SetIcon(Icon)
	w := a.NewWindow(Title)
	w.SetIcon(Icon)
	w.Resize(fyne.NewSize(960, 640))
	gate := &uiGate{}
	s := startSession(a, w, opts, gate.do)
	defer func() {
		gate.stop()
		s.stop()
	}()

	quit := make(chan struct{})
	var watcher sync.WaitGroup
	watcher.Add(1)
	go func() {
		defer watcher.Done()
		select {
		case <-ctx.Done():
			fyne.Do(a.Quit)
		case <-quit:
		}
	}()
	w.ShowAndRun()
	close(quit)
	watcher.Wait()
	return nil
}

// session is one running app: the model, the views, and the goroutines
// that feed them.
//
// Concurrency: the session owns three goroutines, the event loop
// (runEvents), the ticker and the action queue's worker; stop ends all
// three and waits for them.
type session struct {
	m      *Model
	ui     *ui
	queue  *actionQueue
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// startSession builds the app on window w; do runs a function on the UI
// goroutine (fyne.Do).
func startSession(a fyne.App, w fyne.Window, opts Options, do func(func())) *session {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	eng := opts.Engine
	if eng == nil {
		eng = noEngine{}
	}
	settings := NewSettings(a.Preferences())
	a.Settings().SetTheme(callaTheme{choice: settings.Theme()})
	useLanguage(settings.Language())

	dir := opts.Data
	if dir == "" {
		if cfg, err := os.UserConfigDir(); err == nil {
			dir = filepath.Join(cfg, "calla")
		}
	}
	var history []HistoryEntry
	var save func([]HistoryEntry) error
	var historyErr error
	var ringtone string
	if dir != "" {
		store := newHistoryStore(dir)
		history, historyErr = store.load()
		save = store.save
		ringtone = filepath.Join(dir, ringtoneFileName)
	}

	ctx, cancel := context.WithCancel(context.Background())
	s := &session{cancel: cancel, queue: newActionQueue(do, log)}
	s.m = newModel(modelConfig{
		Engine: eng, Runner: s.queue, Sounds: opts.Sounds, Settings: settings,
		History: history, Save: save,
		Notify: func(title, body string) { a.SendNotification(fyne.NewNotification(title, body)) },
		Log:    log, Local: opts.Local, EchoUser: opts.EchoUser,
		LocalLogin: call.LoginParams{Server: opts.Server, UserID: signaling.UserID(opts.User), UserSig: opts.UserSig},
		AutoLogin:  opts.AutoLogin, RingtoneFile: ringtone,
	})
	s.m.loadRingtone()
	s.ui = newUI(a, w, s.m, eng, do)
	s.ui.rebuilt = func(n *ui) { s.ui = n }
	s.ui.login.prefill(opts.Server, opts.User, opts.UserSig)
	if historyErr != nil {
		log.Warn("call history not loaded", "err", historyErr)
		s.m.toast(lang.L("Your call history could not be read; Calla starts a new one. The old file is kept beside it as history.json.corrupt."))
		s.m.flush()
	}

	lc := a.Lifecycle()
	lc.SetOnEnteredForeground(func() { s.m.SetFocused(true) })
	lc.SetOnExitedForeground(func() { s.m.SetFocused(false) })
	w.SetCloseIntercept(func() {
		if s.m.Call.Phase != PhaseIdle {
			s.m.Hangup() // queued; stop gives it shutdownGrace to reach the server
		}
		w.Close()
	})

	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		runEvents(ctx, eng.Events(), do, s.m.ApplyBatch)
	}()
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(tickEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				do(s.m.Tick)
			}
		}
	}()
	s.m.Start()
	return s
}

// stop ends the session's goroutines and waits for them.
func (s *session) stop() {
	s.cancel()
	s.wg.Wait()
	s.queue.Close(shutdownGrace)
}
