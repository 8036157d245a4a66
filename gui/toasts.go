package gui

import "time"

// How long a toast stays. Errors stay longer: they have more to read.
const (
	toastLife      = 4 * time.Second
	errorToastLife = 8 * time.Second
	maxToasts      = 3 // shown at once; older ones give way
)

// Toast is a short message at the bottom of the window that goes away by
// itself: "bob declined", or an error in plain words.
type Toast struct {
	Text   string
	Detail string // an error's specifics; empty for plain toasts
	Error  bool
	until  time.Time
}

// toasts is the queue of toasts showing now, oldest first.
type toasts struct {
	items []Toast
}

func (t *toasts) add(now time.Time, tt Toast) {
	life := toastLife
	if tt.Error {
		life = errorToastLife
	}
	tt.until = now.Add(life)
	t.items = append(t.items, tt)
	if len(t.items) > maxToasts {
		t.items = append(t.items[:0], t.items[len(t.items)-maxToasts:]...)
	}
}

// expire drops the toasts whose time is up and reports whether any went.
func (t *toasts) expire(now time.Time) bool {
	kept := t.items[:0]
	for _, it := range t.items {
		if now.Before(it.until) {
			kept = append(kept, it)
		}
	}
	changed := len(kept) != len(t.items)
	t.items = kept
	return changed
}
