package unbounded

import (
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// wait is the generous deadline of every wait here: the queue itself
// answers in microseconds, a loaded CI machine in far less than this.
const wait = 10 * time.Second

func TestOutKeepsOrderAndPushNeverWaitsForTheReader(t *testing.T) {
	q := New[int]()
	defer q.Discard()
	const n = 10000
	for i := range n { // nobody reads yet: every push must still return
		if !q.Push(i) {
			t.Fatalf("push %d refused on an open queue", i)
		}
	}
	out := q.Out()
	for i := range n {
		select {
		case v := <-out:
			if v != i {
				t.Fatalf("got %d, want %d", v, i)
			}
		case <-time.After(wait):
			t.Fatalf("item %d never delivered", i)
		}
	}
}

func TestCloseDeliversWhatIsQueuedThenEnds(t *testing.T) {
	q := New[string]()
	defer q.Discard()
	q.Push("a")
	q.Push("b")
	q.Close()
	if q.Push("c") {
		t.Fatal("a push after Close was accepted")
	}
	select {
	case <-q.Delivered():
		t.Fatal("Delivered before anything was read")
	default:
	}
	var got []string
	for v := range q.Out() {
		got = append(got, v)
	}
	if len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Fatalf("got %q, want [a b]", got)
	}
	select {
	case <-q.Delivered():
	case <-time.After(wait):
		t.Fatal("Delivered not closed after the reader got everything")
	}
}

// A reader that stops reading must not keep the queue's goroutine alive
// after its owner ends the queue (goleak in TestMain checks the
// goroutine is gone).
func TestDiscardReturnsWithAnUnreadBacklog(t *testing.T) {
	q := New[int]()
	out := q.Out()
	for i := range 100 {
		q.Push(i)
	}
	<-out // the reader takes one, then walks away
	q.Close()
	done := make(chan struct{})
	go func() { q.Discard(); close(done) }()
	select {
	case <-done:
	case <-time.After(wait):
		t.Fatal("Discard blocked on a reader that stopped reading")
	}
	for range out { // at most the one item the goroutine held, then the end
	}
	if q.Push(1) {
		t.Fatal("a push after Discard was accepted")
	}
}

func TestDrainReportsTheEndAfterTheLastItem(t *testing.T) {
	q := New[int]()
	q.Push(1)
	q.Push(2)
	<-q.Ready()
	items, more := q.Drain()
	if len(items) != 2 || !more {
		t.Fatalf("Drain = %v, %v; want [1 2], true", items, more)
	}
	q.Push(3)
	q.Close()
	<-q.Ready()
	items, more = q.Drain()
	if len(items) != 1 || items[0] != 3 || more {
		t.Fatalf("Drain after Close = %v, %v; want [3], false: the last batch", items, more)
	}
	items, more = q.Drain()
	if len(items) != 0 || more {
		t.Fatalf("Drain at the end = %v, %v; want [], false", items, more)
	}
	select {
	case <-q.Delivered():
	default:
		t.Fatal("Delivered not closed once Drain reported the end")
	}
}

func TestDiscardBeforeOutClosesOut(t *testing.T) {
	q := New[int]()
	q.Push(1)
	q.Discard()
	select {
	case _, ok := <-q.Out():
		if ok {
			t.Fatal("a discarded item was delivered")
		}
	case <-time.After(wait):
		t.Fatal("Out of a discarded queue never closed")
	}
}

func TestPushesFromManyGoroutinesAllArrive(t *testing.T) {
	q := New[int]()
	defer q.Discard()
	const producers, each = 8, 500
	for p := range producers {
		go func() {
			for i := range each {
				q.Push(p*each + i)
			}
		}()
	}
	seen := map[int]bool{}
	out := q.Out()
	for len(seen) < producers*each {
		select {
		case v := <-out:
			if seen[v] {
				t.Fatalf("%d delivered twice", v)
			}
			seen[v] = true
		case <-time.After(wait):
			t.Fatalf("%d of %d items arrived", len(seen), producers*each)
		}
	}
}
