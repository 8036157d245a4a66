package bench

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/calla-rtc/calla/signaling/server"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestRunSmall runs the bench at a tiny scale against an in-process
// server: it checks that the measurement works, not the figures.
func TestRunSmall(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := server.New(server.Config{AppID: 9, Secret: secret, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		hs.Close()
	}()
	res, err := Run(context.Background(), Options{
		URL: "ws" + strings.TrimPrefix(hs.URL, "http") + "/ws", Secret: secret, AppID: 9,
		Clients: 20, Rate: 40, Duration: time.Second, Logger: quiet,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Clients != 20 || res.Completed == 0 || res.Failed != 0 || res.Setup.N != res.Completed {
		t.Fatalf("result %+v", res)
	}
	if res.Setup.P50 <= 0 || res.Setup.P99 < res.Setup.P50 || res.InviteReceived.P50 > res.Setup.P50 {
		t.Errorf("latencies out of order: %+v", res)
	}
	if res.ServerP50 <= 0 || res.ServerP99 < res.ServerP50 {
		t.Errorf("server-side quantiles %v %v", res.ServerP50, res.ServerP99)
	}
	if res.RSSIdle == 0 {
		t.Error("no RSS from /metrics")
	}
}
