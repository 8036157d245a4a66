package call_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/calla-rtc/calla/call"
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

	local, err := call.StartLocal(ctx, dir, quiet)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer local.Close()
	sig, _ := local.UserSig("alice")

	e := call.New(call.Config{LoopbackOnly: true, NoPlayback: true, Logger: quiet})
	defer e.Close()
	if err := e.Login(ctx, call.LoginParams{Server: local.URL, UserID: "alice", UserSig: sig}); err != nil {
		fmt.Println(err)
		return
	}
	if err := e.Call(ctx, call.EchoUserID, signaling.Video, call.Params{}); err != nil {
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

// Wrong-state requests fail with TUICallKit's codes, and are reported as
// onError too.
func ExampleEngine_Accept_notLoggedIn() {
	e := call.New(call.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	defer e.Close()
	err := e.Accept(context.Background())
	fmt.Println(err)
	ev := <-e.Events()
	fmt.Println(ev.EventName(), ev.(*call.Error).Code)
	// Output:
	// call: not logged in: log in first (code -1201)
	// onError -1201
}
