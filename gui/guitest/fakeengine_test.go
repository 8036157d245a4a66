package guitest

import (
	"context"
	"errors"
	"image"
	"slices"
	"testing"

	"github.com/calla-rtc/calla/call"
	"github.com/calla-rtc/calla/signaling"
)

type sinkFunc func(*image.RGBA)

func (f sinkFunc) OfferFrame(img *image.RGBA, release func()) { f(img); release() }

func TestFakeEngine(t *testing.T) {
	f := NewFakeEngine()
	ctx := context.Background()
	if id, err := f.Call(ctx, "bob", signaling.Video, call.Params{}); err != nil || id != "c1" {
		t.Fatalf("Call = %q, %v; want c1", id, err)
	}
	boom := errors.New("boom")
	f.Fail("Hangup", boom)
	if err := f.Hangup(ctx); !errors.Is(err, boom) {
		t.Fatalf("Hangup = %v, want the failure set", err)
	}
	f.Fail("Hangup", nil)
	if err := f.Hangup(ctx); err != nil {
		t.Fatalf("Hangup after clearing the failure = %v", err)
	}
	var got *image.RGBA
	f.StartRemoteView("bob", sinkFunc(func(img *image.RGBA) { got = img }))
	if !f.SendRemoteFrame("bob", 2, 2, [4]uint8{1, 2, 3, 4}) || got == nil || got.Pix[2] != 3 {
		t.Fatal("the frame did not reach the sink")
	}
	f.StopRemoteView("bob")
	if f.SendRemoteFrame("bob", 2, 2, [4]uint8{}) {
		t.Fatal("a frame reached a stopped view")
	}
	if m := f.Methods(); !slices.Equal(m, []string{"Call", "Hangup", "Hangup"}) {
		t.Fatalf("Methods = %v", m)
	}
	if c, _ := f.Last("Call"); c.String() != "Call(bob, video)" {
		t.Fatalf("Last(Call) = %v", c)
	}
	f.Emit(&call.UserJoin{UserID: "bob"})
	f.Close()
	f.Close() // twice is fine
	var n int
	for range f.Events() {
		n++
	}
	if n != 1 {
		t.Fatalf("%d events, want 1", n)
	}
}

func TestRecordingSounds(t *testing.T) {
	var s RecordingSounds
	s.StartDialing()
	s.StartRinging()
	s.Stop()
	if s.Playing() != "" || !slices.Equal(s.Log(), []string{"dial", "ring", "stop"}) {
		t.Fatalf("playing %q, log %v", s.Playing(), s.Log())
	}
}
