package server

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/calla-rtc/calla/signaling"
)

// TestProtocolDocLimits reads the limits table of docs/protocol.md and
// compares every number in it with the code's default, so that the doc
// cannot drift from the code again (issue 11: it said 64 messages where
// the code allowed 1024). Every other "N s", "N ms", "N bytes", "N KiB"
// or "N messages" in the doc's prose must be a number of the table.
func TestProtocolDocLimits(t *testing.T) {
	b, err := os.ReadFile("../../docs/protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	// What each row says, as the code has it: the number and its unit.
	secs := func(d time.Duration) string { return strconv.Itoa(int(d/time.Second)) + " s" }
	want := map[string]string{
		"login deadline":      secs(DefaultLoginTimeout),
		"message size":        strconv.Itoa(DefaultMaxMessageBytes) + " bytes",
		"message rate":        strconv.Itoa(DefaultMessageRate) + " messages/s",
		"burst":               strconv.Itoa(DefaultMessageBurst) + " messages",
		"slow-client queue":   strconv.Itoa(DefaultSendQueue) + " messages",
		"open websockets":     strconv.Itoa(DefaultMaxConnections),
		"resume grace period": secs(DefaultGrace),
		"resume grace period of a member of a connected call": secs(DefaultCallGrace),
		"invite timeout": secs(DefaultInviteTimeout),
		"longest invite timeout a call may ask for":    secs(MaxInviteTimeout),
		"members of a group call, the caller included": strconv.Itoa(signaling.MaxCallMembers),
		"members of a group":                           strconv.Itoa(MaxGroupSize),
		"nickname, avatarUrl":                          strconv.Itoa(maxProfileField) + " bytes",
		"userData":                                     strconv.Itoa(maxUserData) + " bytes",
		"fail reason":                                  strconv.Itoa(maxFailReason) + " bytes",
		"presence batch interval":                      strconv.Itoa(int(DefaultPresenceInterval/time.Millisecond)) + " ms",
		"server ping period":                           secs(pingPeriod),
		"server pong wait":                             secs(pongWait),
		"events kept for a resume":                     strconv.Itoa(DefaultReplayLimit) + " events",
		"messages before login":                        strconv.Itoa(maxBeforeLogin) + " messages",
		"groups one user may own":                      strconv.Itoa(MaxGroupsOwned),
		"HTTP request read, headers and body (before the upgrade)": secs(httpReadTimeout),
		"HTTP response write":             secs(httpWriteTimeout),
		"idle HTTP keep-alive connection": secs(httpIdleTimeout),
		"HTTP request headers":            strconv.Itoa(httpMaxHeaderBytes) + " bytes",
	}
	// The flag column names the `calla serve` flag of each configurable
	// limit (cli's TestServeHelpQuotesDefaults checks the flags' defaults).
	flags := map[string]string{
		"login deadline": "--login-timeout", "message size": "--max-message-bytes", "message rate": "--message-rate",
		"burst": "--message-burst", "slow-client queue": "--send-queue", "open websockets": "--max-conns",
		"resume grace period": "--grace", "invite timeout": "--invite-timeout",
		"resume grace period of a member of a connected call": "--call-grace",
	}
	row := regexp.MustCompile("(?m)^\\| ([^|]+?) \\| ([0-9]+ ?[a-z/]*)[^|]* \\| (`[^`]+`|fixed) \\|$")
	rows := row.FindAllStringSubmatch(doc, -1)
	seen := map[string]bool{}
	values := map[string]bool{}
	for _, r := range rows {
		name, value, flag := r[1], strings.TrimSpace(r[2]), strings.Trim(r[3], "`")
		w, ok := want[name]
		if !ok {
			t.Errorf("the limits table has a row %q the test does not know: add it to want", name)
			continue
		}
		seen[name] = true
		values[value] = true
		if value != w {
			t.Errorf("docs/protocol.md: %s is %q; the code says %q", name, value, w)
		}
		if f := flags[name]; f != "" && flag != f || f == "" && flag != "fixed" {
			t.Errorf("docs/protocol.md: %s has flag %q, want %q", name, flag, f)
		}
	}
	for name := range want {
		if !seen[name] {
			t.Errorf("docs/protocol.md's limits table has no row %q", name)
		}
	}
	// Prose outside code blocks and the table. The media section's
	// figures (20 ms Opus packets, a restart after 2 s) are the peers'
	// WebRTC timing, not the server's limits.
	var prose []string
	fenced, media := false, false
	for _, line := range strings.Split(doc, "\n") {
		if strings.HasPrefix(line, "```") {
			fenced = !fenced
			continue
		}
		if strings.HasPrefix(line, "## ") {
			media = strings.HasPrefix(line, "## Media")
		}
		if !fenced && !media && !strings.HasPrefix(line, "|") {
			prose = append(prose, line)
		}
	}
	num := regexp.MustCompile(`\b([0-9]+) (s|ms|bytes|KiB|messages)\b`)
	for _, m := range num.FindAllStringSubmatch(strings.Join(prose, " "), -1) {
		v := m[1] + " " + m[2]
		if m[2] == "KiB" {
			n, _ := strconv.Atoi(m[1])
			v = strconv.Itoa(n<<10) + " bytes"
		}
		if !values[v] {
			t.Errorf("docs/protocol.md says %q, which is none of the limits in its table", m[0])
		}
	}
}

// TestProtocolDocExamples: every request example in docs/protocol.md
// decodes as the server decodes it (keys in their exact case included),
// and every request type has one.
func TestProtocolDocExamples(t *testing.T) {
	b, err := os.ReadFile("../../docs/protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[signaling.RequestType]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, `{"v":1,"id":`) {
			continue
		}
		req, _, derr := signaling.DecodeRequest([]byte(line))
		if derr != nil {
			t.Errorf("docs/protocol.md: %s: %s", line, derr.Message)
			continue
		}
		seen[req.Type] = true
	}
	for _, rt := range []signaling.RequestType{signaling.ReqLogin, signaling.ReqResume, signaling.ReqLogout, signaling.ReqCall,
		signaling.ReqAccept, signaling.ReqReject, signaling.ReqIgnore, signaling.ReqFail, signaling.ReqHangup, signaling.ReqInvite,
		signaling.ReqJoin, signaling.ReqSwitchMediaType, signaling.ReqRelay, signaling.ReqDirectory,
		signaling.ReqSetProfile, signaling.ReqCreateGroup, signaling.ReqGroups, signaling.ReqAddGroupMembers,
		signaling.ReqRemoveGroupMembers, signaling.ReqDeleteGroup} {
		if !seen[rt] {
			t.Errorf("docs/protocol.md has no example of %s", rt)
		}
	}
}
