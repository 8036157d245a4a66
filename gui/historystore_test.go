package gui

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/calla-rtc/calla/signaling"
)

func TestHistoryStore(t *testing.T) {
	entries := []HistoryEntry{
		{At: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC), Kind: HistoryMissed, Outcome: OutcomeNoAnswer,
			Peers: []signaling.UserID{"bob"}, MediaType: signaling.Video},
		{At: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC), Kind: HistoryOutgoing, Outcome: OutcomeAnswered,
			Peers: []signaling.UserID{"bob", "carol"}, Group: "g1", IsGroup: true, MediaType: signaling.Audio, Duration: 75},
	}
	t.Run("what is saved is loaded back", func(t *testing.T) {
		s := newHistoryStore(t.TempDir())
		if err := s.save(entries); err != nil {
			t.Fatal(err)
		}
		got, err := s.load()
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Kind != HistoryMissed || !got[1].At.Equal(entries[1].At) || got[1].Duration != 75 || got[1].Peers[1] != "carol" {
			t.Fatalf("loaded %+v", got)
		}
	})
	t.Run("the file names kinds and outcomes in words", func(t *testing.T) {
		dir := t.TempDir()
		if err := newHistoryStore(dir).save(entries); err != nil {
			t.Fatal(err)
		}
		b := readFile(t, filepath.Join(dir, historyFileName))
		for _, w := range []string{`"kind": "missed"`, `"outcome": "noAnswer"`, `"version": 1`} {
			if !strings.Contains(b, w) {
				t.Errorf("history.json lacks %s:\n%s", w, b)
			}
		}
	})
	t.Run("a missing file is an empty history", func(t *testing.T) {
		got, err := newHistoryStore(t.TempDir()).load()
		if err != nil || len(got) != 0 {
			t.Fatalf("got %v, %v", got, err)
		}
	})
	t.Run("a corrupt file is reported and moved aside, not overwritten", func(t *testing.T) {
		dir := t.TempDir()
		p := filepath.Join(dir, historyFileName)
		if err := os.WriteFile(p, []byte("{not json"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := newHistoryStore(dir).load()
		if !errors.Is(err, ErrHistoryFile) {
			t.Fatalf("err = %v, want ErrHistoryFile", err)
		}
		if readFile(t, p+".corrupt") != "{not json" {
			t.Fatal("the corrupt file was not kept aside")
		}
	})
	t.Run("a file from a newer Calla is not taken for this one's", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, historyFileName), []byte(`{"version":99,"entries":[]}`), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := newHistoryStore(dir).load(); !errors.Is(err, ErrHistoryFile) {
			t.Fatalf("err = %v, want ErrHistoryFile", err)
		}
	})
	t.Run("saving leaves no temporary file behind", func(t *testing.T) {
		dir := t.TempDir()
		s := newHistoryStore(dir)
		for range 3 {
			if err := s.save(entries); err != nil {
				t.Fatal(err)
			}
		}
		names, _ := os.ReadDir(dir)
		if len(names) != 1 {
			t.Fatalf("files in the data dir: %v", names)
		}
	})
	t.Run("saving into a directory that cannot be created fails with a wrapped error", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		err := newHistoryStore(filepath.Join(f, "sub")).save(entries)
		if err == nil {
			t.Fatal("saving under a file succeeded")
		}
	})
}

func TestHistoryKeepsAtMost200(t *testing.T) {
	var h History
	for i := range maxHistory + 5 {
		h.start(HistoryEntry{Kind: HistoryOutgoing, Peers: []signaling.UserID{signaling.UserID(rune('a' + i%26))}})
		h.finish("", OutcomeCancelled, false, 0)
	}
	want(t, "entries", len(h.Entries()), maxHistory)
}
