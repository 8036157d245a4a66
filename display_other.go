//go:build !(linux || freebsd || netbsd || openbsd || dragonfly)

package main

// checkDisplay: macOS and Windows always have a display for a desktop
// session.
func checkDisplay() error { return nil }
