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
