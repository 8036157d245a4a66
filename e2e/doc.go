// Package e2e holds Calla's end-to-end tests: they run the real calla
// binary as separate processes (the desktop app under an X server, the
// headless clients, the server) and check what a user or a script would
// see.
//
// The binary comes from $CALLA_BIN when set (make test builds it once and
// shares it), otherwise the tests build it once per test run.
//
// Concurrency: each test owns the processes it starts and kills them in
// t.Cleanup.
package e2e
