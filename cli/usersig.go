package cli

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/calla-rtc/calla/signaling"
	"github.com/calla-rtc/calla/signaling/server"
)

func init() {
	register(command{name: "usersig", summary: "print a UserSig made from the server's secret", run: runUserSig})
}

func runUserSig(_ context.Context, env *Env, args []string) int {
	var secretFile, user, expire, appID string
	fs := newFlags(env, "usersig", "calla usersig --secret-file FILE --user ID [--expire 168h] [--app-id ID]")
	envString(env, fs, &secretFile, "secret-file", "CALLA_SECRET_FILE", "", "`FILE` holding the server's secret")
	envString(env, fs, &user, "user", "CALLA_USER", "", "user `ID` the UserSig is for")
	envString(env, fs, &expire, "expire", "CALLA_USERSIG_EXPIRE", "168h", "how long the UserSig is valid")
	envString(env, fs, &appID, "app-id", "CALLA_APP_ID", strconv.FormatUint(uint64(server.DefaultAppID), 10), "the server's app `ID`")
	if code := parse(env, fs, args); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "calla usersig: unexpected argument %q\n", fs.Arg(0))
		return ExitUsage
	}
	if secretFile == "" || user == "" {
		fmt.Fprintln(env.Stderr, "calla usersig: --secret-file and --user are required")
		return ExitUsage
	}
	d, err := time.ParseDuration(expire)
	if err != nil || d < time.Second {
		fmt.Fprintf(env.Stderr, "calla usersig: --expire %q: want a duration of at least 1s, e.g. 168h\n", expire)
		return ExitUsage
	}
	app, err := strconv.ParseUint(appID, 10, 32)
	if err != nil {
		fmt.Fprintf(env.Stderr, "calla usersig: --app-id %q: %v\n", appID, err)
		return ExitUsage
	}
	if msg := checkAccount("", user); msg != "" {
		fmt.Fprintf(env.Stderr, "calla usersig: %s\n", msg)
		return ExitUsage
	}
	secret, err := server.LoadSecret(secretFile)
	if err != nil {
		fmt.Fprintf(env.Stderr, "calla usersig: %v\n", err)
		return ExitFailure
	}
	sig, err := signaling.GenUserSig(secret, uint32(app), signaling.UserID(user), d, time.Now())
	if err != nil { // the arguments are checked: this is the secret's fault
		fmt.Fprintf(env.Stderr, "calla usersig: %v\n", err)
		return ExitFailure
	}
	fmt.Fprintln(env.Stdout, sig)
	return ExitOK
}
