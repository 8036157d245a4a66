package cluster

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

func quietNode() *Node { return &Node{log: slog.New(slog.NewTextHandler(io.Discard, nil))} }

// placed waits out JetStream's "no suitable peers for placement" (a NATS
// server away, or its heartbeats late on a loaded machine: TestConformanceAcrossNodes
// failed on it once in a CI-like run) and "temporarily unavailable", and
// returns any other error, or success, at once.
func TestPlacedWaitsOutMissingPeersOnly(t *testing.T) {
	n := quietNode()
	for _, code := range []jetstream.ErrorCode{jsNoPeersForPlacement, jsClusterNotAvailable} {
		notYet := &jetstream.APIError{Code: 503, ErrorCode: code, Description: "not yet"}
		tries := 0
		err := n.placed(context.Background(), "a bucket", func(context.Context) error {
			tries++
			if tries < 3 {
				return notYet
			}
			return nil
		})
		if err != nil || tries != 3 {
			t.Fatalf("placed after error %d = %v after %d tries, want success on the third", code, err, tries)
		}
	}
	other := errors.New("stream name already in use")
	tries := 0
	if err := n.placed(context.Background(), "a bucket", func(context.Context) error { tries++; return other }); !errors.Is(err, other) || tries != 1 {
		t.Fatalf("placed with another error = %v after %d tries, want it at once", err, tries)
	}
	noPeers := &jetstream.APIError{Code: 400, ErrorCode: jsNoPeersForPlacement, Description: "no suitable peers for placement, peer offline"}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tries = 0
	if err := n.placed(ctx, "a bucket", func(context.Context) error { tries++; return noPeers }); !errors.As(err, new(*jetstream.APIError)) || tries != 1 {
		t.Fatalf("placed with a cancelled context = %v after %d tries, want the placement error after one", err, tries)
	}
}

// A request whose answer never comes is tried again, each try bounded and
// given twice the time of the one before. (TestConformanceAcrossNodes
// failed with "bucket t1_users: context deadline exceeded" in a full run
// beside a CPU hog: start-up's 30 s ran out on the bucket's requests.)
func TestPlacedTriesAgainAfterAnUnansweredRequest(t *testing.T) {
	n := quietNode()
	var bounds []time.Duration
	err := n.placed(context.Background(), "a bucket", func(ctx context.Context) error {
		d, ok := ctx.Deadline()
		if !ok {
			t.Fatal("a try without a deadline waits for ever on a lost answer")
		}
		bounds = append(bounds, time.Until(d))
		if len(bounds) < 3 {
			return context.DeadlineExceeded // as the request would once its deadline passed
		}
		return nil
	})
	if err != nil || len(bounds) != 3 {
		t.Fatalf("placed = %v after %d tries, want success on the third", err, len(bounds))
	}
	for i, b := range bounds {
		if want := firstAttempt << i; b > want || b < want/2 {
			t.Errorf("try %d had %v, want about %v", i+1, b, want)
		}
	}
	// The whole start-up's deadline ends the tries.
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	tries := 0
	err = n.placed(ctx, "a bucket", func(ctx context.Context) error {
		tries++
		<-ctx.Done()
		return ctx.Err()
	})
	if !errors.Is(err, context.DeadlineExceeded) || tries != 1 {
		t.Fatalf("placed past the caller's deadline = %v after %d tries, want its deadline after one", err, tries)
	}
}
