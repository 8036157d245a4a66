package local_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/calla-rtc/calla/call"
	"github.com/calla-rtc/calla/local"
	"github.com/calla-rtc/calla/signaling"
)

// A video call to the echo bot of the embedded local server: the bot
// answers at once and sends the caller's own audio and video back.
func Example_echoTest() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir, _ := os.MkdirTemp("", "calla-example-")
	defer os.RemoveAll(dir)

	srv, err := local.Start(ctx, dir, quiet)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	sig, _ := srv.UserSig("alice")

	e := call.New(call.Config{LoopbackOnly: true, NoPlayback: true, Logger: quiet})
	defer e.Close()
	if err := e.Login(ctx, call.LoginParams{Server: srv.URL, UserID: "alice", UserSig: sig}); err != nil {
		fmt.Println(err)
		return
	}
	if _, err := e.Call(ctx, local.EchoUserID, signaling.Video, call.Params{}); err != nil {
		fmt.Println(err)
		return
	}
	for ev := range e.Events() {
		switch ev := ev.(type) {
		case *call.CallBegin:
			fmt.Println("call begins, role", ev.CallRole)
		case *call.UserJoin:
			fmt.Println(ev.UserID, "joined: media flows")
			e.Hangup(ctx)
		case *call.CallEnd:
			fmt.Println("call ended:", ev.Reason)
			return
		}
	}
	// Output:
	// call begins, role caller
	// echo joined: media flows
	// call ended: hangup
}
