//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package server

import (
	"os"
	"syscall"
)

// unlockFile drops bbolt's flock on f. Closing f alone would not: the
// memory mapping bbolt made keeps the open file, and with it the lock.
func unlockFile(f *os.File) {
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}

// lockedByOther reports whether another open file holds a flock on path
// (a running server's bbolt): what such a file holds may be changing
// while it is read, so it is not judged.
func lockedByOther(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
	if err == nil {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	}
	return err == syscall.EWOULDBLOCK
}
