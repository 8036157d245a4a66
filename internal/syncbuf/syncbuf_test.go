package syncbuf

import (
	"fmt"
	"sync"
	"testing"
)

func TestBufferKeepsEveryWriteFromManyGoroutines(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 100 {
				fmt.Fprintf(&b, "%d.%d\n", i, j)
				_ = b.String()
			}
		}()
	}
	wg.Wait()
	if got := len(b.String()); got < 8*100*4 {
		t.Fatalf("%d bytes, want every line", got)
	}
	fmt.Fprint(&b, "last")
	if got := b.Tail(1); got != "last" {
		t.Errorf("Tail(1) = %q, want %q", got, "last")
	}
}
