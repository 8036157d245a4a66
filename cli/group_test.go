package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/calla-rtc/calla/signaling/server"
)

// TestGroupCommand manages a running server's groups with `calla group`
// as its operator would.
func TestGroupCommand(t *testing.T) {
	url, secret, stop, err := inProcessServer(server.DefaultAppID, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, append(secret, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	group := func(args ...string) (int, string, string) {
		t.Helper()
		action, rest := args[0], args[1:]
		return run(t, nil, nil, append([]string{"group", action, "--server", url, "--secret-file", secretFile}, rest...)...)
	}
	steps := []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"create", "--id", "team", "--name", "Team", "alice", "bob"}, ExitOK, `{"groupId":"team","name":"Team","owner":"administrator","members":["alice","bob"]}` + "\n"},
		{[]string{"add", "team", "carol"}, ExitOK, `{"groupId":"team","name":"Team","owner":"administrator","members":["alice","bob","carol"]}` + "\n"},
		{[]string{"remove", "team", "bob"}, ExitOK, `{"groupId":"team","name":"Team","owner":"administrator","members":["alice","carol"]}` + "\n"},
		{[]string{"create", "--name", "Other", "dave"}, ExitOK, `"members":["dave"]`},
		{[]string{"list", "--member", "carol"}, ExitOK, `{"groupId":"team","name":"Team","owner":"administrator","members":["alice","carol"]}` + "\n"},
		{[]string{"create", "--id", "team", "erin"}, ExitFailure, ""},
		{[]string{"remove", "team", "zed"}, ExitFailure, ""},
		{[]string{"delete", "team"}, ExitOK, ""},
		{[]string{"delete", "team"}, ExitFailure, ""},
	}
	for _, s := range steps {
		code, out, errOut := group(s.args...)
		if code != s.code || (s.code == ExitOK && s.out != "" && !strings.Contains(out, s.out)) {
			t.Fatalf("group %v: exit %d, stdout %q, stderr %q; want exit %d and %q", s.args, code, out, errOut, s.code, s.out)
		}
	}
	if code, out, _ := group("list"); code != ExitOK || strings.Count(out, "\n") != 1 || !strings.Contains(out, "Other") {
		t.Fatalf("list after delete: %d %q", code, out)
	}
	for _, bad := range [][]string{{"group"}, {"group", "frob"}, {"group", "delete", "--server", url, "--secret-file", secretFile}, {"group", "list", "--server", url}, {"group", "add", "--server", url, "--secret-file", secretFile, "--name", "x", "g", "u"}} {
		if code, _, _ := run(t, nil, nil, bad...); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d", bad, code, ExitUsage)
		}
	}
}
