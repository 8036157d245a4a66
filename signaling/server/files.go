package server

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// writeFileAtomic makes path hold data, all of it or nothing new: data
// goes to a temporary file in the same directory, which is synced and
// then renamed (or, with noClobber, hard-linked, which fails with
// fs.ErrExist when path exists and leaves it alone) over path; the
// directory is synced so that the new name survives a crash too. A full
// or failing disk therefore never leaves a short file at path, only a
// temporary one that is removed.
func writeFileAtomic(path string, data []byte, perm fs.FileMode, noClobber bool) error {
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
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
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
