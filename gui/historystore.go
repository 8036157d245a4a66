package gui

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// historyFileName is the history's file in the data directory.
const historyFileName = "history.json"

// historyVersion is the file format's version, written into the file so a
// later Calla can read an older file.
const historyVersion = 1

type historyFile struct {
	Version int            `json:"version"`
	Entries []HistoryEntry `json:"entries"`
}

// historyStore keeps the history in one JSON file, replaced atomically
// (write a temporary file, sync, rename) so that a crash mid-write leaves
// the old history, never half a file.
type historyStore struct {
	path string
}

func newHistoryStore(dir string) *historyStore {
	return &historyStore{path: filepath.Join(dir, historyFileName)}
}

// load reads the history; a missing file is an empty history. A file that
// cannot be parsed is moved aside to history.json.corrupt (so the next
// save does not destroy it) and reported with ErrHistoryFile.
func (s *historyStore) load() ([]HistoryEntry, error) {
	b, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("gui: read history: %w", err)
	}
	var f historyFile
	if err := json.Unmarshal(b, &f); err != nil || f.Version < 1 || f.Version > historyVersion {
		aside := s.path + ".corrupt"
		if rerr := os.Rename(s.path, aside); rerr != nil {
			return nil, fmt.Errorf("%w: %s (%v), and moving it aside failed: %v", ErrHistoryFile, s.path, err, rerr)
		}
		if err == nil {
			err = fmt.Errorf("version %d", f.Version)
		}
		return nil, fmt.Errorf("%w: %s (%v); moved to %s", ErrHistoryFile, s.path, err, aside)
	}
	if len(f.Entries) > maxHistory {
		f.Entries = f.Entries[:maxHistory]
	}
	return f.Entries, nil
}

// save replaces the file with entries.
func (s *historyStore) save(entries []HistoryEntry) error {
	if entries == nil {
		entries = []HistoryEntry{}
	}
	b, err := json.MarshalIndent(historyFile{Version: historyVersion, Entries: entries}, "", "  ")
	if err != nil {
		return fmt.Errorf("gui: encode history: %w", err)
	}
	if err := writeFileAtomic(s.path, append(b, '\n')); err != nil {
		return fmt.Errorf("gui: save history: %w", err)
	}
	return nil
}
