package gui

import (
	"sync"
	"testing"
	"time"
)

// TestFrameBatcher: redraws asked for within one period run together in
// one call on the UI goroutine, and the next batch waits for the period.
func TestFrameBatcher(t *testing.T) {
	var mu sync.Mutex
	var batches [][]int
	var ran []time.Time
	done := make(chan struct{}, 8)
	do := func(f func()) {
		mu.Lock()
		batches = append(batches, nil)
		ran = append(ran, time.Now())
		mu.Unlock()
		f()
		done <- struct{}{}
	}
	record := func(i int) func() {
		return func() { batches[len(batches)-1] = append(batches[len(batches)-1], i) }
	}
	const period = 50 * time.Millisecond
	b := newFrameBatcher(do, period)
	b.run(record(1)) // the first runs at once
	<-done
	b.run(record(2)) // within the period: these two wait and run together
	b.run(record(3))
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("the second batch never ran")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(batches) != 2 || len(batches[0]) != 1 || len(batches[1]) != 2 || batches[1][0] != 2 || batches[1][1] != 3 {
		t.Fatalf("batches %v, want [[1] [2 3]]", batches)
	}
	if gap := ran[1].Sub(ran[0]); gap < period-5*time.Millisecond {
		t.Errorf("the second batch ran %v after the first, before the period of %v", gap, period)
	}
}
