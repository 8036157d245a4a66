package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/calla-rtc/calla/signaling"
)

// get fetches url and returns the status and body.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// waitHealth waits until /healthz answers status, and returns its body.
func waitHealth(t *testing.T, e *env, status int) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, body := get(t, e.hs.URL+"/healthz")
		if code == status {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz still says %d %q, want %d", code, body, status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// metric returns the value of a metric line of /metrics ("" if absent).
func metric(t *testing.T, e *env, name string) string {
	t.Helper()
	_, body := get(t, e.hs.URL+"/metrics")
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return v
		}
	}
	return ""
}

// TestDirectoryWritesSurviveAFullDisk: users log in while the data dir's
// file system is full. Their directory entries cannot be written; the
// server keeps them, says so on /healthz (503) and /metrics, and writes
// them once there is space again, so that after a restart every user is
// known, and so is a group made meanwhile. The old code logged the failed write, dropped the entries, and
// answered /healthz with 200 throughout.
func TestDirectoryWritesSurviveAFullDisk(t *testing.T) {
	dir := smallFS(t, 1<<20)
	first := newEnv(t, func(c *Config) { c.DataDir = dir })
	free := fill(t, dir)
	const users = 40
	nick := strings.Repeat("n", 400) // 40 of them need pages the file does not have
	for i := range users {
		u := signaling.UserID(fmt.Sprintf("user%02d", i))
		first.loginWith(signaling.ClientConfig{UserID: u, UserSig: sig(t, u, time.Hour), Nickname: nick})
	}
	body := waitHealth(t, first, http.StatusServiceUnavailable)
	// A group made while writes fail is kept and written later too.
	ctx, cancel := bg()
	defer cancel()
	grp, err := first.login("owner").CreateGroup(ctx, signaling.CreateGroupRequest{Name: "Made on a full disk"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(body, "no space left on device") || !strings.Contains(body, "records wait to be written") {
		t.Errorf("/healthz while the disk is full: %q", body)
	}
	if v := metric(t, first, "calla_directory_write_failures_total"); v == "" || v == "0" {
		t.Errorf("calla_directory_write_failures_total = %q while writes fail", v)
	}
	if v := metric(t, first, "calla_directory_unsaved_entries"); v == "" || v == "0" {
		t.Errorf("calla_directory_unsaved_entries = %q while writes fail", v)
	}
	free()
	waitHealth(t, first, http.StatusOK)
	if v := metric(t, first, "calla_directory_unsaved_entries"); v != "0" {
		t.Errorf("calla_directory_unsaved_entries = %q once written", v)
	}
	if err := first.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	second := newEnv(t, func(c *Config) { c.DataDir = dir })
	groups, err := second.login("owner").Groups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 1 || groups[0].GroupID != grp.GroupID {
		t.Errorf("after the restart the owner's groups are %+v, want the one made on a full disk", groups)
	}
	got, err := second.login("checker").Directory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	known := map[signaling.UserID]bool{}
	for _, d := range got {
		if d.Nickname == nick {
			known[d.UserID] = true
		}
	}
	if len(known) != users {
		t.Errorf("after the restart %d of the %d users are known with their nickname", len(known), users)
	}
}

// TestShutdownOnAFullDiskSaysWhatWasLost: entries that still cannot be
// written when the server stops make Shutdown fail loudly, naming how
// many; the rest are on disk. Nothing vanishes without being counted.
func TestShutdownOnAFullDiskSaysWhatWasLost(t *testing.T) {
	dir := smallFS(t, 1<<20)
	s, _, err := openStore(dir, quietLogger(), nil)
	if err != nil {
		t.Fatal(err)
	}
	free := fill(t, dir)
	const saved = 40
	for i := range saved {
		saveUser(s, signaling.UserID(fmt.Sprintf("user%02d", i)), dirEntry{Nickname: strings.Repeat("n", 400)})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err = s.close(ctx)
	var lost int
	if !errors.Is(err, ErrStoreWrite) {
		t.Fatalf("close on a full disk: %v, want ErrStoreWrite", err)
	}
	m := regexp.MustCompile(`: (\d+) records wait to be written`).FindStringSubmatch(err.Error())
	if m != nil {
		lost, _ = strconv.Atoi(m[1])
	}
	if lost < 1 {
		t.Fatalf("close on a full disk: %v: want how many entries were not written", err)
	}
	free()
	s, ls, err := openStore(dir, quietLogger(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close(t.Context())
	if len(ls.dir)+lost != saved {
		t.Errorf("%d users on disk and %d reported lost, want %d in all", len(ls.dir), lost, saved)
	}
}
