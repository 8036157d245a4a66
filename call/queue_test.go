package call

import (
	"strconv"
	"testing"
	"time"

	"github.com/calla-rtc/calla/signaling"
)

func TestQueueKeepsOrderAndNeverBlocksTheProducer(t *testing.T) {
	q := newQueue()
	const n = 10000
	// Nobody reads while the producer pushes: push must not block.
	for i := range n {
		q.push(&UserJoin{UserID: "u", CallID: callIDFor(i)})
	}
	q.close()
	i := 0
	for ev := range q.out {
		if got := ev.(*UserJoin).CallID; got != callIDFor(i) {
			t.Fatalf("event %d has callId %s, want %s", i, got, callIDFor(i))
		}
		i++
	}
	if i != n {
		t.Fatalf("got %d events, want %d", i, n)
	}
	<-q.done
}

func TestQueueAbortReturnsWithAnUnreadBacklog(t *testing.T) {
	q := newQueue()
	for range 100 {
		q.push(&KickedOffline{})
	}
	done := make(chan struct{})
	go func() { q.abort(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("abort blocked on a consumer that does not read")
	}
	q.push(&KickedOffline{}) // after close: dropped, must not panic
}

func callIDFor(i int) signaling.CallID { return signaling.CallID(strconv.Itoa(i)) }
