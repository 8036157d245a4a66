package gui

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"image"
	"io"
	"log/slog"
	"strings"
	"time"

	"fyne.io/fyne/v2/lang"

	"github.com/calla-rtc/calla/call"
	"github.com/calla-rtc/calla/signaling"
)

// Part says which part of the UI a change touched, so that the views
// refresh only that part.
type Part uint

// Parts of the UI.
const (
	PartScreen   Part = 1 << iota // which screen fills the window
	PartLogin                     // the login form's state
	PartContacts                  // the directory, search, selection
	PartCall                      // the call: phase, members, tiles, controls
	PartTimer                     // the call timer's text
	PartToasts                    // the toasts
	PartBanner                    // the connection banner and the test-source note
	PartAlert                     // the session-ended dialog
	PartHistory                   // the call history
	PartDevices                   // the device lists
	PartProfile                   // the user's own nickname and avatar
	PartRingtone                  // the ringtone's name and its preview
)

// Alert is a dialog that ends the session and leads back to login.
type Alert struct {
	Title   string
	Message string
	Button  string
}

// modelConfig is what a Model is built from (Run makes one).
type modelConfig struct {
	Engine   Engine
	Runner   runner
	Sounds   Sounds
	Settings *Settings
	// History is the saved history, newest first; Save writes it (nil
	// keeps the history in memory only). Save runs off the UI goroutine.
	History []HistoryEntry
	Save    func([]HistoryEntry) error
	// Notify sends a desktop notification; the Model calls it only while
	// the window is not focused.
	Notify func(title, body string)
	Now    func() time.Time
	Log    *slog.Logger
	// Local is local mode: the app signs in by itself with LocalLogin,
	// and EchoUser is the Echo Test contact.
	Local      bool
	LocalLogin call.LoginParams
	// AutoLogin signs in with LocalLogin at start outside local mode too
	// (the command line gave the server, user and UserSig); the login
	// form stays for a failure.
	AutoLogin bool
	EchoUser  signaling.UserID
	// NewGroupID names a new group call; nil draws a random ID.
	NewGroupID func() signaling.GroupID
	// RingtoneFile is where the user's ringtone is kept; empty keeps a
	// chosen one for this session only.
	RingtoneFile string
}

// Model is the app's view model: plain Go over the Engine. Its exported
// fields and methods are what the views show; its action methods (Login,
// CallUser, Accept, ToggleMic, ...) are what the views' buttons call.
//
// Concurrency: a Model belongs to Fyne's UI goroutine. Apply, Tick and the
// action methods are called there; engine calls that may block run on the
// runner, whose results come back on the UI goroutine.
type Model struct {
	eng      Engine
	run      runner
	sounds   Sounds
	settings *Settings
	save     func([]HistoryEntry) error
	notify   func(title, body string)
	now      func() time.Time
	log      *slog.Logger
	newGroup func() signaling.GroupID
	// ringtoneFile is where the user's ringtone is kept, or empty.
	ringtoneFile string

	// Local is local mode (login skipped, Echo Test contact).
	Local      bool
	localLogin call.LoginParams
	autoLogin  bool

	Screen Screen
	// Self is the signed-in user; empty before login.
	Self signaling.UserID
	// LoggedIn is true between a successful Login and Logout or the end
	// of the session (kicked offline, UserSig expired).
	LoggedIn    bool
	LoginBusy   bool
	LoginStatus string // the login form's message: why the form is not accepted
	Connection  call.ConnectionState
	CameraTest  bool // a test pattern stands in for a missing camera
	MicTest     bool // a test tone stands in for a missing microphone
	Contacts    *Contacts
	Call        CallState
	History     History
	Devices     []call.Device
	Alert       *Alert
	// Focused is whether the window has the focus; an incoming call
	// sends a desktop notification when it has not.
	Focused bool
	// Previewing is true while Settings plays the ringtone.
	Previewing bool
	// ScreenChoices are the screens to pick from for a share, while the
	// picker shows.
	ScreenChoices []call.Device
	// Groups are the user's server-side groups (LoadGroups).
	Groups []signaling.GroupInfo

	// leaving is the call the user left while the engine still ends it
	// (see closing); nil otherwise.
	leaving *leaving
	// scene is the server and user of the last sign-in, for the words
	// of a problem.
	scene    problemScene
	toasts   toasts
	dirty    Part
	onChange func(Part)
}

// newModel returns a Model on the login screen.
func newModel(cfg modelConfig) *Model {
	m := &Model{
		eng: cfg.Engine, run: cfg.Runner, sounds: cfg.Sounds, settings: cfg.Settings,
		save: cfg.Save, notify: cfg.Notify, now: cfg.Now, log: cfg.Log, newGroup: cfg.NewGroupID,
		Local: cfg.Local, localLogin: cfg.LocalLogin, autoLogin: cfg.AutoLogin, ringtoneFile: cfg.RingtoneFile,
		Screen:     ScreenLogin,
		Connection: call.Disconnected,
		Contacts:   newContacts(cfg.EchoUser),
		Focused:    true,
	}
	if m.sounds == nil {
		m.sounds = silentSounds{}
	}
	if m.now == nil {
		m.now = time.Now
	}
	if m.log == nil {
		m.log = slog.Default()
	}
	if m.notify == nil {
		m.notify = func(string, string) {}
	}
	if m.newGroup == nil {
		m.newGroup = randomGroupID
	}
	m.History.entries = cfg.History
	return m
}

func randomGroupID() signaling.GroupID {
	var b [6]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return signaling.GroupID("g-" + hex.EncodeToString(b[:]))
}

// SetOnChange sets the function told, after each batch of changes, which
// parts of the UI changed.
func (m *Model) SetOnChange(f func(Part)) { m.onChange = f }

func (m *Model) changed(p Part) { m.dirty |= p }

func (m *Model) flush() {
	if m.dirty == 0 {
		return
	}
	p := m.dirty
	m.dirty = 0
	if m.onChange != nil {
		m.onChange(p)
	}
}

// Toasts are the toasts showing now, oldest first.
func (m *Model) Toasts() []Toast { return m.toasts.items }

func (m *Model) toast(text string) {
	m.toasts.add(m.now(), Toast{Text: text})
	m.changed(PartToasts)
}

// Tick advances the clock: the call timer and the toasts' lives.
func (m *Model) Tick() {
	defer m.flush()
	if m.toasts.expire(m.now()) {
		m.changed(PartToasts)
	}
	if m.Call.Phase == PhaseConnected {
		m.changed(PartTimer)
	}
}

// SetFocused records whether the window has the focus.
func (m *Model) SetFocused(f bool) { m.Focused = f }

// ConnectionBanner is the banner over every screen while the link to the
// server is down; empty when it is up or nobody is signed in.
func (m *Model) ConnectionBanner() string {
	if !m.LoggedIn {
		return ""
	}
	switch m.Connection {
	case call.Reconnecting, call.Connecting:
		return lang.L("Reconnecting…")
	case call.Disconnected:
		return lang.L("Disconnected from the server")
	}
	return ""
}

// SourceNote says when a test pattern or tone stands in for a device of
// the call; empty when no call is under way, since the devices close with
// the call (and an event of a call the UI has already ended must not
// bring the note back).
func (m *Model) SourceNote() string {
	if m.Call.Phase == PhaseIdle {
		return ""
	}
	switch {
	case m.CameraTest && m.MicTest:
		return lang.L("Test pattern and tone — no camera or microphone found")
	case m.CameraTest:
		return lang.L("Test pattern — no camera found")
	case m.MicTest:
		return lang.L("Test tone — no microphone found")
	}
	return ""
}

// Name is what the UI calls a user: the nickname from the directory, else
// the user ID; "You" for the signed-in user.
func (m *Model) Name(id signaling.UserID) string {
	if id == m.Self && id != "" {
		return lang.L("You")
	}
	return m.Contacts.Name(id)
}

// Avatar is the URL of id's avatar: one's own from the settings, the
// others' from the directory; empty when they have none.
func (m *Model) Avatar(id signaling.UserID) string {
	if id == m.Self && id != "" {
		return m.settings.Avatar()
	}
	ct, _ := m.Contacts.Get(id)
	return ct.AvatarURL
}

func (m *Model) names(ids []signaling.UserID) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = m.Name(id)
	}
	return strings.Join(parts, ", ")
}

// ---- screens ---------------------------------------------------------------

// ShowScreen switches to one of the screens a user can open from the
// contact list (history, settings) or back to the contacts. Call screens
// follow the call and cannot be opened this way.
func (m *Model) ShowScreen(s Screen) {
	defer m.flush()
	if !m.LoggedIn && s != ScreenLogin && s != ScreenSettings {
		return
	}
	switch s {
	case ScreenContacts, ScreenHistory, ScreenSettings:
	default:
		return
	}
	if m.Call.Phase == PhaseDialing || m.Call.Phase == PhaseConnecting || m.Call.Phase == PhaseConnected {
		return // the call's screen stays until the call ends
	}
	if s != ScreenSettings {
		m.stopPreview()
	}
	switch s {
	case ScreenSettings:
		m.LoadDevices()
	case ScreenContacts:
		m.LoadGroups() // they change on the server; nothing says so
	}
	m.setScreen(s)
}

// Back leaves history or settings.
func (m *Model) Back() {
	if m.LoggedIn {
		m.ShowScreen(ScreenContacts)
		return
	}
	defer m.flush()
	m.stopPreview()
	m.setScreen(ScreenLogin)
}

func (m *Model) setScreen(s Screen) {
	if m.Screen != s {
		m.Screen = s
		m.changed(PartScreen)
	}
}

// ---- login -----------------------------------------------------------------

// Start begins the session: in local mode it signs in by itself;
// otherwise the login form waits for the user.
func (m *Model) Start() {
	if m.Local || m.autoLogin {
		m.Login(m.localLogin)
	}
}

// Login signs in. A form that is not filled in correctly gets a message
// on the form; a failure of the engine gets an onError toast.
func (m *Model) Login(p call.LoginParams) {
	defer m.flush()
	if m.LoginBusy || m.LoggedIn {
		return
	}
	p.Server = strings.TrimSpace(p.Server)
	p.UserID = signaling.UserID(strings.TrimSpace(string(p.UserID)))
	switch {
	case !m.Local && signaling.CheckServerURL(p.Server) != nil: // one ws:// or wss:// URL, or a cluster's, separated by commas
		m.LoginStatus = lang.L("Enter the server's address, e.g. ws://192.168.1.10:8443/ws")
		m.changed(PartLogin)
		return
	case !p.UserID.Valid():
		m.LoginStatus = lang.L("A user ID is 1 to 32 letters, digits, '_' or '-'.")
		m.changed(PartLogin)
		return
	}
	if !m.Local {
		m.settings.SetServer(p.Server)
		m.settings.SetUser(string(p.UserID))
	}
	if p.Nickname == "" && p.AvatarURL == "" {
		p.Nickname, p.AvatarURL = m.settings.Nickname(), m.settings.Avatar()
	}
	m.LoginBusy = true
	m.LoginStatus = lang.L("Signing in…")
	m.scene = problemScene{Server: p.Server, User: p.UserID}
	m.Contacts.self = p.UserID
	m.changed(PartLogin)
	m.run.Go("login", func(ctx context.Context) error { return m.eng.Login(ctx, p) }, func(err error) {
		defer m.flush()
		m.LoginBusy = false
		m.changed(PartLogin)
		if err != nil {
			// The engine reports the same failure as onError, which
			// may come before or after this: both write it here.
			p := problemOf(err, m.scene)
			m.LoginStatus = p.What + " " + p.Do
			m.setScreen(ScreenLogin)
			return
		}
		m.LoginStatus = ""
		m.Self = p.UserID
		m.LoggedIn = true
		if m.Connection == call.Disconnected {
			m.Connection = call.Connected
		}
		m.setScreen(ScreenContacts)
		m.changed(PartBanner | PartContacts)
		m.applyDevicePrefs()
		m.LoadGroups()
	})
}

// applyDevicePrefs hands the devices chosen in the settings to the engine
// after login, and echo cancellation when the user turned it off (the
// engine starts with it on).
func (m *Model) applyDevicePrefs() {
	if id := m.settings.Camera(); id != "" {
		m.engineAction("switch camera", func(ctx context.Context) error { return m.eng.SwitchCamera(ctx, id) })
	}
	if id := m.settings.Microphone(); id != "" {
		m.engineAction("select microphone", func(ctx context.Context) error { return m.eng.SelectMicrophone(ctx, id) })
	}
	if id := m.settings.Speaker(); id != "" {
		m.engineAction("select speaker", func(ctx context.Context) error { return m.eng.SelectAudioPlaybackDevice(ctx, id) })
	}
	if !m.settings.EchoCancellation() {
		m.engineAction("set echo cancellation", func(ctx context.Context) error { return m.eng.SetEchoCancellation(ctx, false) })
	}
}

// Logout hangs up any call, signs out and returns to the login form.
func (m *Model) Logout() {
	defer m.flush()
	if !m.LoggedIn {
		return
	}
	if m.Call.Phase != PhaseIdle {
		m.Hangup()
	}
	m.engineAction("logout", m.eng.Logout)
	m.endSession()
}

// endSession forgets the session's state and shows the login form.
func (m *Model) endSession() {
	m.LoggedIn = false
	m.Self = ""
	m.Contacts.self = ""
	m.Contacts.reset()
	m.Groups = nil
	m.Connection = call.Disconnected
	m.setScreen(ScreenLogin)
	m.changed(PartContacts | PartBanner | PartLogin)
}

// DismissAlert closes the session-ended dialog; the login form shows.
func (m *Model) DismissAlert() {
	defer m.flush()
	if m.Alert == nil {
		return
	}
	m.Alert = nil
	m.changed(PartAlert)
	m.setScreen(ScreenLogin)
	if m.Local {
		m.Start()
	}
}

// engineAction queues an engine call whose failure the engine reports as
// onError; the GUI needs nothing more from it.
func (m *Model) engineAction(name string, fn func(context.Context) error) {
	m.run.Go(name, fn, nil)
}

// ---- contacts ----------------------------------------------------------------

// SetFilter sets the contact search.
func (m *Model) SetFilter(q string) {
	defer m.flush()
	if m.Contacts.filter != q {
		m.Contacts.filter = q
		m.Contacts.visible = nil
		m.changed(PartContacts)
	}
}

// TogglePick adds a contact to the group-call selection or takes it out.
// The selection holds at most 8 people: with the user, a call's limit.
func (m *Model) TogglePick(id signaling.UserID) {
	defer m.flush()
	c := m.Contacts
	for i, p := range c.picked {
		if p == id {
			c.picked = append(c.picked[:i], c.picked[i+1:]...)
			m.changed(PartContacts)
			return
		}
	}
	if len(c.picked) >= maxGroupMembers-1 {
		m.toast(tooMany())
		m.changed(PartContacts) // the check box snaps back
		return
	}
	c.picked = append(c.picked, id)
	m.changed(PartContacts)
}

// ClearPicks empties the group-call selection.
func (m *Model) ClearPicks() {
	defer m.flush()
	m.Contacts.picked = nil
	m.changed(PartContacts)
}

// ---- profile ---------------------------------------------------------------

// maxNickname is the protocol's limit for a nickname (docs/protocol.md,
// setProfile: 500 bytes).
const maxNickname = 500

// maxPictureSide bounds a picture file picked for the avatar: a file that
// claims more pixels is refused before it is decoded.
const maxPictureSide = 12000

// SetProfile keeps the user's nickname and avatar (a data URL, see
// avatarDataURL) and, when signed in, sends them: the others see them in
// their contact lists, tiles and ringing dialogs. Signing in sends them
// too.
func (m *Model) SetProfile(nickname, avatarURL string) {
	defer m.flush()
	nickname = strings.TrimSpace(nickname)
	if len(nickname) > maxNickname || len(avatarURL) > maxAvatarURL {
		m.showProblemText(problem{
			lang.L("That nickname is too long."),
			lang.L("A nickname can have at most {{.Count}} bytes; shorten it.", map[string]any{"Count": maxNickname}),
		})
		return
	}
	m.settings.SetNickname(nickname)
	m.settings.SetAvatar(avatarURL)
	m.changed(PartProfile | PartCall)
	if m.LoggedIn {
		m.engineAction("set profile", func(ctx context.Context) error { return m.eng.SetSelfInfo(ctx, nickname, avatarURL) })
	}
}

// SetAvatarPicture makes the picture in r (a PNG, JPEG or GIF file) the
// avatar: read and scaled off the UI goroutine, then SetProfile.
func (m *Model) SetAvatarPicture(r io.ReadCloser) {
	var url string
	m.run.Go("read avatar picture", func(context.Context) error {
		defer r.Close()
		b, err := io.ReadAll(io.LimitReader(r, maxPictureFile))
		if err != nil {
			return err
		}
		cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
		if err != nil {
			return err
		}
		if cfg.Width > maxPictureSide || cfg.Height > maxPictureSide {
			return fmt.Errorf("gui: a picture of %dx%d pixels", cfg.Width, cfg.Height)
		}
		img, _, err := image.Decode(bytes.NewReader(b))
		if err != nil {
			return err
		}
		url, err = avatarDataURL(img)
		return err
	}, func(err error) {
		defer m.flush()
		if err != nil {
			m.log.Warn("avatar picture not used", "err", err)
			m.showProblemText(problem{
				lang.L("Calla cannot use that file as your picture."),
				lang.L("Pick a PNG, JPEG or GIF picture."),
			})
			return
		}
		m.SetProfile(m.settings.Nickname(), url)
	})
}

// maxPictureFile bounds the picture file read for the avatar.
const maxPictureFile = 64 << 20
