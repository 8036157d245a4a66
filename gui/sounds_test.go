package gui

import "testing"

type recordingLooper struct{ calls []string }

func (r *recordingLooper) Loop(pcm []int16, rate int) {
	r.calls = append(r.calls, map[int]string{16000: "ringtone", 8000: "dial tone", 44100: "own ringtone"}[rate])
	if len(pcm) < rate { // both sounds last more than a second
		r.calls = append(r.calls, "short sound")
	}
}
func (r *recordingLooper) Stop() { r.calls = append(r.calls, "stop") }

func TestSoundsPlayTheAssetsThroughTheLooper(t *testing.T) {
	l := &recordingLooper{}
	s, err := NewSounds(l)
	if err != nil {
		t.Fatal(err)
	}
	s.StartRinging()
	s.Stop()
	s.StartDialing()
	s.SetRingtone(make([]int16, 3*44100), 44100)
	s.StartRinging()
	s.SetRingtone(nil, 0)
	s.StartRinging()
	want := []string{"ringtone", "stop", "dial tone", "own ringtone", "ringtone"}
	if len(l.calls) != len(want) {
		t.Fatalf("looper saw %q, want %q", l.calls, want)
	}
	for i := range want {
		if l.calls[i] != want[i] {
			t.Fatalf("looper saw %q, want %q", l.calls, want)
		}
	}
}
