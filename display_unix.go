//go:build linux || freebsd || netbsd || openbsd || dragonfly

package main

/*
#cgo LDFLAGS: -lX11
#include <stdlib.h>
#include <X11/Xlib.h>

// calla_display_opens reports whether Xlib can connect to the display
// named by DISPLAY, as GLFW will: 1 yes, 0 no. The connection stays open
// for the life of the process: an X server with no other client (a bare
// Xvfb) resets when its last client leaves, and GLFW connecting during
// that reset fails as if there were no display.
static int calla_display_opens(void) {
	static Display *held;
	if (held == NULL) {
		held = XOpenDisplay(NULL);
	}
	return held != NULL;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
)

// checkDisplay reports a session without a usable display before Fyne
// starts: GLFW would log a platform error and panic instead. The window
// is an X11 one (GLFW's default build; Wayland sessions run it through
// XWayland, which sets DISPLAY), so DISPLAY must name a display that
// answers.
func checkDisplay() error {
	name := os.Getenv("DISPLAY")
	if name == "" {
		return errors.New("no display: DISPLAY is not set; the window needs an X11 session, or XWayland under Wayland (the other commands, see calla --help, need none)")
	}
	if C.calla_display_opens() == 0 {
		return fmt.Errorf("no display: cannot open the X display %q (is it running, and may this user connect to it?)", name)
	}
	return nil
}
