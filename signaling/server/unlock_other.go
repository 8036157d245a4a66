//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package server

import "os"

// unlockFile: elsewhere the lock goes with the file handle.
func unlockFile(*os.File) {}

// lockedByOther: elsewhere bbolt's lock is found by bbolt.Open.
func lockedByOther(string) bool { return false }
