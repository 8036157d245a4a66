package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/calla-rtc/calla/signaling"
	"github.com/calla-rtc/calla/signaling/server"
)

// `calla group` manages the server-side groups of a running server. It
// logs in as the server's administrator account (server.AdminUser), whose
// UserSig it makes from the server's secret, and sends the same group
// requests an app sends. It works through the server rather than on the
// data directory because the server holds that file locked while it runs
// (bbolt), and because then one place, the server's state machine,
// applies the group rules and changes take effect at once, for running
// calls too, with no restart that would drop every session.

func init() {
	register(command{name: "group", summary: "manage the server's groups (create, add, remove, delete, list)", run: runGroup})
}

const groupSynopsis = `calla group ACTION --server URL (--secret-file FILE | --usersig SIG) [flags] ARGS

Actions:
  list   [--member USER]                 print every group, one JSON object a line
  create [--id GROUP] [--name NAME] USER...  create a group of USERs (the server picks
                                         the id unless --id is given); prints it
  add    GROUP USER...                   add USERs to GROUP; prints the group
  remove GROUP USER...                   remove USERs from GROUP; prints the group
  delete GROUP                           delete GROUP (a call running on it goes on)

The group's members may join its running call without an invitation.
Run one group command at a time: each logs in as the administrator, and a
second login of the same account ends the first.`

func runGroup(ctx context.Context, env *Env, args []string) int {
	action := ""
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		action, args = args[0], args[1:]
	}
	var serverURL, userSig, secretFile, appID, logLevelFlag, id, name, member string
	fs := newFlags(env, "group", groupSynopsis)
	envString(env, fs, &serverURL, "server", "CALLA_SERVER", "", "signaling server `URL`, e.g. ws://127.0.0.1:8443/ws, or a cluster's nodes separated by commas")
	envString(env, fs, &secretFile, "secret-file", "CALLA_SECRET_FILE", "", "the server's secret `FILE`: make the administrator's UserSig from it")
	envString(env, fs, &userSig, "usersig", "CALLA_USERSIG", "", "the administrator's UserSig (instead of --secret-file)")
	envString(env, fs, &appID, "app-id", "CALLA_APP_ID", strconv.FormatUint(uint64(server.DefaultAppID), 10), "the server's app `ID` (with --secret-file)")
	envString(env, fs, &logLevelFlag, "log-level", "CALLA_LOG_LEVEL", "warn", "stderr log level: debug, info, warn or error")
	fs.StringVar(&id, "id", "", "create: the new group's `ID` (1-32 of a-z A-Z 0-9 _ -); default: the server picks one")
	fs.StringVar(&name, "name", "", "create: the group's display `NAME`")
	fs.StringVar(&member, "member", "", "list: only the groups of `USER`")
	if code := parse(env, fs, args); code >= 0 {
		return code
	}
	usage := func(msg string) int {
		fmt.Fprintf(env.Stderr, "calla group: %s\n\n", msg)
		fs.Usage()
		return ExitUsage
	}
	rest := fs.Args()
	need := map[string]int{"list": 0, "create": 1, "add": 2, "remove": 2, "delete": 1}
	n, known := need[action]
	switch {
	case action == "":
		return usage("name an action: list, create, add, remove or delete")
	case !known:
		return usage(fmt.Sprintf("unknown action %q", action))
	case len(rest) < n || action == "delete" && len(rest) != 1 || action == "list" && len(rest) != 0:
		return usage(fmt.Sprintf("wrong arguments for %s: %q", action, rest))
	case (id != "" || name != "") && action != "create", member != "" && action != "list":
		return usage("--id and --name are for create, --member for list")
	}
	a := account{server: serverURL, user: string(server.AdminUser), userSig: userSig, secretFile: secretFile, appID: appID}
	if msg := a.check(); msg != "" {
		return usage(msg)
	}
	lvl, err := logLevel(logLevelFlag)
	if err != nil {
		return usage(fmt.Sprintf("--log-level %q: want debug, info, warn or error", logLevelFlag))
	}
	sig, err := a.sig()
	if err != nil {
		fmt.Fprintf(env.Stderr, "calla group: UserSig: %v\n", err)
		return ExitFailure
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	cl, err := signaling.Dial(ctx, signaling.ClientConfig{URL: a.server, UserID: server.AdminUser, UserSig: sig,
		Logger: slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: lvl}))})
	if err != nil {
		fmt.Fprintf(env.Stderr, "calla group: log in as %s: %v\n", server.AdminUser, err)
		return ExitFailure
	}
	defer cl.Close()
	ids := func(s []string) []signaling.UserID {
		out := make([]signaling.UserID, len(s))
		for i, u := range s {
			out[i] = signaling.UserID(u)
		}
		return out
	}
	var g signaling.GroupInfo
	switch action {
	case "list":
		var list []signaling.GroupInfo
		if list, err = cl.Groups(ctx); err == nil {
			for _, g := range list {
				if member == "" || slices.Contains(g.Members, signaling.UserID(member)) {
					printJSON(env.Stdout, g)
				}
			}
		}
	case "create":
		g, err = cl.CreateGroup(ctx, signaling.CreateGroupRequest{GroupID: signaling.GroupID(id), Name: name, MemberIDList: ids(rest)})
	case "add":
		g, err = cl.AddGroupMembers(ctx, signaling.GroupID(rest[0]), ids(rest[1:]))
	case "remove":
		g, err = cl.RemoveGroupMembers(ctx, signaling.GroupID(rest[0]), ids(rest[1:]))
	case "delete":
		err = cl.DeleteGroup(ctx, signaling.GroupID(rest[0]))
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "calla group %s: %v\n", action, err)
		return ExitFailure
	}
	if g.GroupID != "" {
		printJSON(env.Stdout, g)
	}
	// Log out, so that the administrator's session does not linger for
	// the grace period.
	_ = cl.Logout(ctx)
	return ExitOK
}

func printJSON(w io.Writer, v any) {
	b, _ := json.Marshal(v)
	fmt.Fprintf(w, "%s\n", b)
}
