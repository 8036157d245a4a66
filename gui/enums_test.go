package gui

import (
	"fmt"
	"testing"
	"time"
)

func TestEnumStrings(t *testing.T) {
	rows := []struct {
		v    fmt.Stringer
		want string
	}{
		{ScreenLogin, "login"}, {ScreenContacts, "contacts"}, {ScreenOutgoing, "outgoing"},
		{ScreenInCall, "in-call"}, {ScreenHistory, "history"}, {ScreenSettings, "settings"}, {Screen(42), "Screen(42)"},
		{PhaseIdle, "idle"}, {PhaseDialing, "dialing"}, {PhaseRinging, "ringing"}, {PhaseConnecting, "connecting"},
		{PhaseConnected, "connected"}, {CallPhase(-1), "CallPhase(-1)"},
		{TileInviting, "inviting"}, {TileConnecting, "connecting"}, {TileJoined, "joined"}, {TileState(9), "TileState(9)"},
		{HistoryOutgoing, "outgoing"}, {HistoryIncoming, "incoming"}, {HistoryMissed, "missed"}, {HistoryKind(7), "HistoryKind(7)"},
		{OutcomeAnswered, "answered"}, {OutcomeDeclined, "declined"}, {OutcomeNoAnswer, "noAnswer"}, {OutcomeBusy, "busy"},
		{OutcomeCancelled, "cancelled"}, {OutcomeFailed, "failed"}, {OutcomeElsewhere, "elsewhere"}, {Outcome(99), "Outcome(99)"},
		{ThemeSystem, "system"}, {ThemeLight, "light"}, {ThemeDark, "dark"},
	}
	for _, r := range rows {
		if got := r.v.String(); got != r.want {
			t.Errorf("%T(%v).String() = %q, want %q", r.v, r.v, got, r.want)
		}
	}
}

func TestEnumText(t *testing.T) {
	for k := HistoryOutgoing; k <= HistoryMissed; k++ {
		b, err := k.MarshalText()
		var back HistoryKind
		if err != nil || back.UnmarshalText(b) != nil || back != k {
			t.Errorf("%v does not survive a text round trip (%s, %v)", k, b, err)
		}
	}
	for o := OutcomeAnswered; o <= OutcomeElsewhere; o++ {
		b, err := o.MarshalText()
		var back Outcome
		if err != nil || back.UnmarshalText(b) != nil || back != o {
			t.Errorf("%v does not survive a text round trip (%s, %v)", o, b, err)
		}
	}
	if _, err := HistoryKind(5).MarshalText(); err == nil {
		t.Error("an invalid kind marshals")
	}
	if _, err := Outcome(-1).MarshalText(); err == nil {
		t.Error("an invalid outcome marshals")
	}
	var k HistoryKind
	if k.UnmarshalText([]byte("sideways")) == nil {
		t.Error("an unknown kind unmarshals")
	}
	var o Outcome
	if o.UnmarshalText([]byte("maybe")) == nil {
		t.Error("an unknown outcome unmarshals")
	}
}

func TestFormatCallDuration(t *testing.T) {
	rows := []struct {
		d    time.Duration
		want string
	}{
		{0, "00:00"}, {-time.Second, "00:00"}, {999 * time.Millisecond, "00:00"}, {59 * time.Second, "00:59"},
		{time.Minute, "01:00"}, {59*time.Minute + 59*time.Second, "59:59"}, {time.Hour, "01:00:00"},
		{25*time.Hour + 61*time.Second, "25:01:01"},
	}
	for _, r := range rows {
		if got := formatCallDuration(r.d); got != r.want {
			t.Errorf("formatCallDuration(%v) = %q, want %q", r.d, got, r.want)
		}
	}
}

func TestGridColumns(t *testing.T) {
	// TUICallKit: 2 per row up to 4 tiles, 3 per row above.
	wantCols := map[int]int{1: 1, 2: 2, 3: 2, 4: 2, 5: 3, 6: 3, 9: 3}
	for n, c := range wantCols {
		if got := gridColumns(n); got != c {
			t.Errorf("gridColumns(%d) = %d, want %d", n, got, c)
		}
	}
}

func TestInitials(t *testing.T) {
	for in, out := range map[string]string{"Alice Smith": "AS", "bob": "B", "erin_walsh": "EW", "": "?", "  ": "?", "élodie": "É", "a b c": "AB"} {
		if got := initials(in); got != out {
			t.Errorf("initials(%q) = %q, want %q", in, got, out)
		}
	}
}
