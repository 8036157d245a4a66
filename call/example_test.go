package call_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/calla-rtc/calla/call"
)

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
