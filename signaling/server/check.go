package server

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
)

// Finding is one line of CheckDataDir's report.
type Finding struct {
	What string // "secret", "directory" or "data dir"
	Path string
	Note string // what was found, when it is fine
	Err  error  // what is wrong, nil when it is fine
}

// CheckDataDir verifies what `calla serve` would start with - the secret
// (secretFile, or the data dir's own), the directory database and the
// data dir itself - without changing them: the database is opened
// read-only (waiting briefly for a running server's lock), every page is
// read and bbolt's consistency check run, and the data dir gets one small
// test write that is removed again. dir may be empty (no directory), and
// so may secretFile (the data dir's secret).
func CheckDataDir(dir, secretFile string, log *slog.Logger) []Finding {
	var out []Finding
	if secretFile != "" {
		f := Finding{What: "secret", Path: secretFile}
		if key, err := LoadSecret(secretFile); err != nil {
			f.Err = err
		} else {
			f.Note = fmt.Sprintf("ok, %d characters", len(key))
		}
		out = append(out, f)
	}
	if dir == "" {
		return out
	}
	if secretFile == "" {
		f := Finding{What: "secret", Path: filepath.Join(dir, LocalSecretFile)}
		key, state, err := readDataSecret(f.Path)
		switch {
		case err != nil:
			f.Err = err
		case state == secretMissing:
			f.Note = "not made yet: calla serve makes it"
		case state == secretEmpty:
			f.Note = "empty (an earlier start ran out of space): calla serve writes a new one"
		default:
			f.Note = fmt.Sprintf("ok, %d characters", len(key))
		}
		out = append(out, f)
	}
	out = append(out, checkStore(dir, log))
	f := Finding{What: "data dir", Path: dir}
	if err := probeWrite(dir); errors.Is(err, fs.ErrNotExist) {
		f.Note = "does not exist yet: calla serve makes it"
	} else if err != nil {
		f.Err = fmt.Errorf("cannot write in it: %w", err)
	} else {
		f.Note = "writable"
	}
	return append(out, f)
}

// checkStore checks dir/directory.db, changing nothing.
func checkStore(dir string, log *slog.Logger) Finding {
	path := filepath.Join(dir, StoreFile)
	f := Finding{What: "directory", Path: path}
	state, err := inspectStore(path)
	if err != nil {
		f.Err = err
		return f
	}
	switch state {
	case storeMissing:
		f.Note = "not made yet: calla serve makes it"
		return f
	case storeEmpty, storeUnfinished:
		f.Note = "its making was cut short (out of space?) and it holds nothing: calla serve makes it anew"
		return f
	}
	db, err := openBolt(path, true)
	if err != nil {
		f.Err = err
		return f
	}
	defer db.Close()
	users, bad, err := loadDirectory(db, path, log)
	if err != nil {
		f.Err = err
		return f
	}
	f.Note = fmt.Sprintf("ok, %d users", len(users))
	if bad > 0 {
		f.Note += fmt.Sprintf(" (%d entries unreadable: skipped, and rewritten when those users log in)", bad)
	}
	return f
}

// probeWrite writes, syncs and removes a small file in dir.
func probeWrite(dir string) error {
	if _, err := os.Stat(dir); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".calla-check-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	_, err = f.Write(make([]byte, 4096))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
