package cluster

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
)

// placed waits out JetStream's "no suitable peers for placement" (a NATS
// server away, or its heartbeats late on a loaded machine: TestConformanceAcrossNodes
// failed on it once in a CI-like run) and returns any other error, or
// success, at once.
func TestPlacedWaitsOutMissingPeersOnly(t *testing.T) {
	n := &Node{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	noPeers := &jetstream.APIError{Code: 400, ErrorCode: jsNoPeersForPlacement, Description: "no suitable peers for placement, peer offline"}
	tries := 0
	err := n.placed(context.Background(), "a bucket", func() error {
		tries++
		if tries < 3 {
			return noPeers
		}
		return nil
	})
	if err != nil || tries != 3 {
		t.Fatalf("placed = %v after %d tries, want success on the third", err, tries)
	}
	other := errors.New("stream name already in use")
	tries = 0
	if err := n.placed(context.Background(), "a bucket", func() error { tries++; return other }); !errors.Is(err, other) || tries != 1 {
		t.Fatalf("placed with another error = %v after %d tries, want it at once", err, tries)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tries = 0
	if err := n.placed(ctx, "a bucket", func() error { tries++; return noPeers }); !errors.As(err, new(*jetstream.APIError)) || tries != 1 {
		t.Fatalf("placed with a cancelled context = %v after %d tries, want the placement error after one", err, tries)
	}
}
