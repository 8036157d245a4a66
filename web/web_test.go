package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHandlerServesTheClientAndPassesTheRestOn(t *testing.T) {
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "server:"+r.URL.Path)
	})
	hs := httptest.NewServer(Handler(next))
	defer hs.Close()
	get := func(path string) (int, string, string) {
		t.Helper()
		resp, err := http.Get(hs.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
	}
	for _, c := range []struct{ path, typ, has string }{
		{"/", "text/html", `<script src="app.js"`},
		{"/app.js", "javascript", "signals"},
		{"/style.css", "text/css", ".tile"},
	} {
		code, typ, body := get(c.path)
		if code != 200 || !strings.Contains(typ, c.typ) || !strings.Contains(body, c.has) {
			t.Errorf("GET %s: %d %q, body has %q: %v", c.path, code, typ, c.has, strings.Contains(body, c.has))
		}
	}
	for _, p := range []string{"/ws", "/healthz", "/metrics", "/nope.js", "/static/app.js"} {
		if _, _, body := get(p); body != "server:"+p {
			t.Errorf("GET %s did not reach the server: %q", p, body)
		}
	}
}
