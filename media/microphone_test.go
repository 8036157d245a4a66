package media

import (
	"errors"
	"io"
	"testing"
	"time"

	"github.com/pion/mediadevices/pkg/driver"
	"github.com/pion/mediadevices/pkg/wave"
	"go.uber.org/goleak"
)

// TestMicrophoneRecordsMono48k records from a real miniaudio capture
// device (here ALSA's null device): periods of mono float32 at 48 kHz
// arrive, and Close ends a read in progress with io.EOF.
func TestMicrophoneRecordsMono48k(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var mic driver.Driver
	for _, d := range allDrivers() {
		if dev, ok := deviceOf(d, ""); ok && dev.Kind == Microphone && !dev.IsTestSource {
			mic = d
			break
		}
	}
	if mic == nil {
		t.Skip("miniaudio lists no capture device on this machine (not even ALSA's null): nothing real to record from")
	}
	if err := mic.Open(); err != nil {
		t.Fatal(err)
	}
	rec := mic.(driver.AudioRecorder)
	r, err := rec.AudioRecord(mic.Properties()[0])
	if err != nil {
		t.Fatalf("AudioRecord: %v", err)
	}
	for i := 0; i < 3; i++ {
		a, release, err := r.Read()
		if err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
		f, ok := a.(*wave.Float32Interleaved)
		if !ok || f.Size.Channels != 1 || f.Size.SamplingRate != micRate || f.Size.Len == 0 || len(f.Data) != f.Size.Len {
			t.Fatalf("read %d: %T %+v, want mono float32 at %d Hz", i, a, a.ChunkInfo(), micRate)
		}
		release()
	}
	if _, err := rec.AudioRecord(mic.Properties()[0]); err == nil {
		t.Error("a second AudioRecord while recording succeeded")
	}
	got := make(chan error, 1)
	go func() {
		for {
			if _, _, err := r.Read(); err != nil {
				got <- err
				return
			}
		}
	}()
	if err := mic.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-got:
		if !errors.Is(err, io.EOF) {
			t.Errorf("read after Close: %v, want io.EOF", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a read did not end within 10 s of Close")
	}
}
