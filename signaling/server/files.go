package server

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// writeFileAtomic makes path hold data, all of it or nothing new (see
// createAtomic).
func writeFileAtomic(path string, data []byte, perm fs.FileMode, noClobber bool) error {
	return createAtomic(path, perm, noClobber, func(tmp string) error {
		f, err := os.OpenFile(tmp, os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		if _, err := f.Write(data); err != nil {
			_ = f.Close()
			return err
		}
		if err := f.Sync(); err != nil {
			_ = f.Close()
			return err
		}
		return f.Close()
	})
}

// createAtomic makes a new file at path whose content fill writes, so
// that path never holds a partly written file: fill writes (and syncs) a
// temporary file in the same directory, which is then renamed over path
// (or, with noClobber, hard-linked to it, which fails with fs.ErrExist
// and leaves path alone when it exists), and the directory is synced so
// that the new name survives a crash too. A full or failing disk leaves
// path as it was; the temporary file is removed.
func createAtomic(path string, perm fs.FileMode, noClobber bool, fill func(tmp string) error) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a rename this finds nothing; after a link, the extra name
	if err := f.Chmod(perm); err != nil && runtime.GOOS != "windows" {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := fill(tmp); err != nil {
		return err
	}
	if noClobber {
		err = os.Link(tmp, path)
		var le *os.LinkError
		if err != nil && !errors.Is(err, fs.ErrExist) && errors.As(err, &le) {
			// A file system without hard links: a rename is the next
			// best, and only races a second first start.
			if _, serr := os.Lstat(path); errors.Is(serr, fs.ErrNotExist) {
				err = os.Rename(tmp, path)
			}
		}
	} else {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir flushes a directory's entries (a new or renamed file's name) to
// disk. Windows cannot sync a directory handle and needs no such step.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
