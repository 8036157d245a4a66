//go:build linux || freebsd || netbsd || openbsd || dragonfly

package main

import (
	"errors"
	"os"
)

// checkDisplay reports a session without a display before Fyne starts:
// GLFW would log a platform error and panic instead.
func checkDisplay() error {
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		return errors.New("no display: neither DISPLAY nor WAYLAND_DISPLAY is set; the window needs an X11 or Wayland session (the other commands, see calla --help, need none)")
	}
	return nil
}
