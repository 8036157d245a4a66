package gui

import "fyne.io/fyne/v2"

// Preference keys. They are stored by Fyne (app.Preferences()), in the
// user's config directory on a desktop.
const (
	prefServer     = "server"
	prefUser       = "user"
	prefCamera     = "camera"
	prefMicrophone = "microphone"
	prefSpeaker    = "speaker"
	prefEchoCancel = "echoCancellation"
	prefRingtone   = "ringtone"
	prefRingCamera = "ringPreview"
	prefTheme      = "theme"
	prefLanguage   = "language"
	prefNickname   = "nickname"
	prefAvatar     = "avatar"
	prefRingFile   = "ringtoneFile"
)

// ThemeChoice is the theme the user picked.
type ThemeChoice string

// Theme choices.
const (
	ThemeSystem ThemeChoice = "system" // follow the desktop
	ThemeLight  ThemeChoice = "light"
	ThemeDark   ThemeChoice = "dark"
)

func (t ThemeChoice) String() string { return string(t) }

// Settings are the user's settings kept with Fyne preferences: the server
// and user to sign in with, the devices, whether echo is cancelled,
// whether the ringtone plays, the theme and the language.
type Settings struct {
	p fyne.Preferences
}

// NewSettings reads and writes settings in p.
func NewSettings(p fyne.Preferences) *Settings { return &Settings{p: p} }

func (s *Settings) Server() string         { return s.p.String(prefServer) }
func (s *Settings) SetServer(v string)     { s.p.SetString(prefServer, v) }
func (s *Settings) User() string           { return s.p.String(prefUser) }
func (s *Settings) SetUser(v string)       { s.p.SetString(prefUser, v) }
func (s *Settings) Camera() string         { return s.p.String(prefCamera) }
func (s *Settings) SetCamera(id string)    { s.p.SetString(prefCamera, id) }
func (s *Settings) Microphone() string     { return s.p.String(prefMicrophone) }
func (s *Settings) SetMicrophone(v string) { s.p.SetString(prefMicrophone, v) }
func (s *Settings) Speaker() string        { return s.p.String(prefSpeaker) }
func (s *Settings) SetSpeaker(id string)   { s.p.SetString(prefSpeaker, id) }

// EchoCancellation reports whether calls cancel acoustic echo; on by
// default.
func (s *Settings) EchoCancellation() bool      { return s.p.BoolWithFallback(prefEchoCancel, true) }
func (s *Settings) SetEchoCancellation(on bool) { s.p.SetBool(prefEchoCancel, on) }

// Ringtone reports whether an incoming call rings; on by default.
func (s *Settings) Ringtone() bool      { return s.p.BoolWithFallback(prefRingtone, true) }
func (s *Settings) SetRingtone(on bool) { s.p.SetBool(prefRingtone, on) }

// RingPreview reports whether the incoming dialog of a video call shows
// the user's own camera while it rings (the camera then opens before the
// user answers); on by default.
func (s *Settings) RingPreview() bool      { return s.p.BoolWithFallback(prefRingCamera, true) }
func (s *Settings) SetRingPreview(on bool) { s.p.SetBool(prefRingCamera, on) }

// Theme is the chosen theme; ThemeSystem by default or when the stored
// value is not one Calla knows.
func (s *Settings) Theme() ThemeChoice {
	switch t := ThemeChoice(s.p.String(prefTheme)); t {
	case ThemeLight, ThemeDark:
		return t
	}
	return ThemeSystem
}

func (s *Settings) SetTheme(t ThemeChoice) { s.p.SetString(prefTheme, string(t)) }

// RingtoneName is the name of the WAV file the user chose as the
// ringtone (kept in the data directory), empty for the built-in one.
func (s *Settings) RingtoneName() string     { return s.p.String(prefRingFile) }
func (s *Settings) SetRingtoneName(n string) { s.p.SetString(prefRingFile, n) }

// Nickname and Avatar are the user's profile: the name others see, and
// a picture as a data URL (avatarDataURL), each sent with SetSelfInfo.
func (s *Settings) Nickname() string     { return s.p.String(prefNickname) }
func (s *Settings) SetNickname(v string) { s.p.SetString(prefNickname, v) }
func (s *Settings) Avatar() string       { return s.p.String(prefAvatar) }
func (s *Settings) SetAvatar(url string) { s.p.SetString(prefAvatar, url) }

// Language is the language chosen in Settings; LanguageSystem (follow the
// desktop) by default or when the stored value is not one Calla speaks.
func (s *Settings) Language() Language {
	l := Language(s.p.String(prefLanguage))
	for _, known := range languages {
		if l == known {
			return l
		}
	}
	return LanguageSystem
}

func (s *Settings) SetLanguage(l Language) { s.p.SetString(prefLanguage, string(l)) }
