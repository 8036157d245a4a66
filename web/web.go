// Package web is Calla's browser client: a page, a script and a style
// sheet in plain JavaScript (no build step), embedded in the binary and
// served by `calla serve` at /. It speaks to the server exactly what
// docs/protocol.md documents (the websocket protocol and the relay
// payload's schema) and to the other members standard WebRTC, so that
// someone without the desktop app can take part in a call, and so that
// Calla's tests can judge Calla's media by a standard WebRTC stack
// (Chromium's libwebrtc; see e2e/browser_test.go).
//
// Concurrency: Handler is safe for concurrent use; the files are
// read-only.
package web

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
)

//go:embed static
var files embed.FS

// static is the client's files at their URL paths.
var static, _ = fs.Sub(files, "static")

// Handler serves the client's files (/ is index.html) to GET and HEAD
// requests for them, and hands every other request to next (the
// signaling server's /ws, /healthz, /metrics).
func Handler(next http.Handler) http.Handler {
	fileServer := http.FileServer(http.FS(static))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if (r.Method == http.MethodGet || r.Method == http.MethodHead) && isFile(r.URL.Path) {
			// The page and its script change together with the binary;
			// a browser must not keep an old script for a new server.
			w.Header().Set("Cache-Control", "no-cache")
			fileServer.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// isFile reports whether p names one of the client's files.
func isFile(p string) bool {
	if p == "/" {
		return true
	}
	name := path.Clean(p)[1:]
	st, err := fs.Stat(static, name)
	return err == nil && !st.IsDir()
}
