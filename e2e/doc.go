// Package e2e holds Calla's end-to-end tests: they run the real calla
// binary as separate processes (the desktop app under an X server, the
// headless clients, the server) and check what a user or a script would
// see. The interop tests also run the browser client (web/) in Debian's
// Chromium, headless with fake devices, driven through chromedp, so that
// libwebrtc judges Calla's WebRTC.
//
// The binary comes from $CALLA_BIN when set (make test builds it once and
// shares it), otherwise the tests build it once per test run.
//
// Concurrency: each test owns the processes it starts and kills them in
// t.Cleanup. The tests share one Chromium process (started by the first
// that needs it, stopped by TestMain), each in a tab of its own.
package e2e
