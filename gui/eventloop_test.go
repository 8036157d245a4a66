package gui

import (
	"context"
	"testing"

	"github.com/calla-rtc/calla/call"
)

func TestRunEventsAppliesInOrderInBatchesAndStopsWhenClosed(t *testing.T) {
	ui := newUIQueue()
	events := make(chan call.Event, 600)
	for i := range 600 {
		events <- &call.ConnectionChanged{State: call.ConnectionState(rune('a' + i%26))}
	}
	close(events)
	var got []call.Event
	batches := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		runEvents(context.Background(), events, ui.do, func(evs []call.Event) {
			batches++
			got = append(got, evs...)
		})
	}()
	for len(got) < 600 {
		ui.next(t)
	}
	<-done // returned because the channel closed
	if batches < 3 || batches > 600/maxEventBatch+2 {
		t.Errorf("%d batches for 600 waiting events, want about %d", batches, 600/maxEventBatch+1)
	}
	for i, ev := range got {
		if ev.(*call.ConnectionChanged).State != call.ConnectionState(rune('a'+i%26)) {
			t.Fatalf("event %d out of order", i)
		}
	}
}

func TestRunEventsStopsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		runEvents(ctx, make(chan call.Event), func(func()) { t.Error("nothing to apply") }, nil)
	}()
	cancel()
	<-done
}
