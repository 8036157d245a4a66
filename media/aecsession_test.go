package media

import (
	"fmt"
	"io"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/mediadevices/pkg/driver"
	"github.com/pion/mediadevices/pkg/io/audio"
	"github.com/pion/mediadevices/pkg/prop"
	"github.com/pion/mediadevices/pkg/wave"
	"go.uber.org/goleak"
)

// roomMic is a microphone driver for tests that stands in a room: it
// hears what a session's speaker plays (the mixer's played ring, once
// listen is called), delay later and scaled by gain, plus a voice of its
// own (looped; nil is silence). 48 kHz mono int16 in 20 ms chunks, paced
// in real time, as a miniaudio microphone delivers them.
type roomMic struct {
	openClose
	gain  float64
	delay int // samples
	voice []int16
	air   atomic.Pointer[playedRing]
	// rejoins counts how often the room lost its place (a stall longer
	// than the microphone's queue, or a speaker that fell behind).
	rejoins atomic.Int32
}

// listen puts the microphone in the room of r's speaker.
func (m *roomMic) listen(r *playedRing) { m.air.Store(r) }

// roomMics numbers the drivers, whose labels must differ.
var roomMics atomic.Int32

// addRoomMic registers m with mediadevices for the length of the test
// and returns its device ID (its label: Device IDs are drivers' labels).
// It is removed again at the end, so that later tests do not take it for
// a real microphone.
func addRoomMic(t *testing.T, m *roomMic) string {
	label := fmt.Sprintf("Calla test room %d", roomMics.Add(1))
	_ = driver.GetManager().Register(m, driver.Info{Label: label, DeviceType: driver.Microphone, Priority: driver.PriorityLow})
	ds := driver.GetManager().Query(func(d driver.Driver) bool { return d.Info().Label == label })
	if len(ds) != 1 {
		t.Fatalf("room microphone %q registered %d times", label, len(ds))
	}
	id := ds[0].ID()
	t.Cleanup(func() { driver.GetManager().Delete(id) })
	return label
}

func (m *roomMic) Properties() []prop.Media {
	return []prop.Media{{Audio: prop.Audio{SampleRate: opusRate, Latency: 20 * time.Millisecond, ChannelCount: 1, IsFloat: false, IsInterleaved: true}}}
}

func (m *roomMic) AudioRecord(prop.Media) (audio.Reader, error) {
	pace := newPacer(20*time.Millisecond, m.running())
	vpos := 0
	// pos is the played sample the microphone hears next; the room keeps
	// it delay behind what the speaker has played.
	var pos int64
	listening := false
	heard := make([]int16, aecFrame)
	return audio.ReaderFunc(func() (wave.Audio, func(), error) {
		if !pace.wait() {
			return nil, func() {}, io.EOF
		}
		clear(heard)
		if air := m.air.Load(); air != nil {
			// The room keeps pos delay behind what the speaker has played,
			// as long as a read comes within what a real microphone
			// queues for a late reader (micBacklog periods); one further
			// behind lost samples, and one ahead (the speaker fell
			// behind for good) would hear the future: both rejoin.
			head := air.head()
			lag := head - int64(m.delay) - pos
			if !listening || lag > micBacklog*aecFrame || lag < -aecFrame*5 {
				if listening {
					m.rejoins.Add(1)
				}
				pos, listening = head-int64(m.delay), true
			}
			air.copyAt(pos, heard) // not played yet (or before the start): silence
			pos += aecFrame
		}
		a := wave.NewInt16Interleaved(wave.ChunkInfo{Len: aecFrame, Channels: 1, SamplingRate: opusRate})
		for i := range a.Data {
			v := m.gain * float64(heard[i])
			if m.voice != nil {
				v += float64(m.voice[vpos])
				vpos = (vpos + 1) % len(m.voice)
			}
			a.Data[i] = int16(max(-32768, min(32767, v)))
		}
		return a, func() {}, nil
	}), nil
}

// pcmWindow is the RMS of what m decodes from peer over the next d.
func (m *member) pcmWindow(peer PeerID, d time.Duration) float64 {
	snap := func() (float64, int) {
		m.mu.Lock()
		l := m.pcm[peer]
		m.mu.Unlock()
		if l == nil {
			return 0, 0
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.sumSq, l.samples
	}
	s1, n1 := snap()
	time.Sleep(d)
	s2, n2 := snap()
	if n2 == n1 {
		return 0
	}
	return math.Sqrt((s2 - s1) / float64(n2-n1))
}

// pcmMedianWindow is the median of n consecutive pcmWindows of d. A
// busy machine may stall the speaker or the capture for long enough that
// the canceller must realign and converge afresh (up to a second, see
// TestEchoTapRealignsAfterASpeakerStall): the median says what the
// listener hears most of the time, which one such moment does not sway.
func (m *member) pcmMedianWindow(peer PeerID, n int, d time.Duration) float64 {
	rms := make([]float64, n)
	for i := range rms {
		rms[i] = m.pcmWindow(peer, d)
	}
	slices.Sort(rms)
	return (rms[(n-1)/2] + rms[n/2]) / 2
}

// echoStats reads the session's canceller counters on its loop.
func (s *Session) echoStats() (tap *echoTap, ref refStats) {
	_ = s.call(func() error {
		if s.audioCap != nil {
			tap = s.audioCap.aec
		}
		return nil
	})
	if s.echoRef != nil {
		ref = s.echoRef.stats()
	}
	return tap, ref
}

// TestEchoIsCancelledInACall is the whole path in a two-peer call. Bob
// talks (speech-like noise bursts) and has no speaker. Alice's speaker
// plays bob, and her microphone hears that 60 ms later at half
// amplitude, as a laptop in a room does. With alice silent, bob hears
// himself back from alice at about -6 dB of his own level without echo
// cancellation; with it, the echo must be at least minCallERLE weaker
// (what bob hears from alice is the median of six half-second windows).
// And when alice talks while bob talks (double talk), bob must hear her.
func TestEchoIsCancelledInACall(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	const minCallERLE = 20.0 // dB; measured: 50..70 dB
	// Alice's voice may lose a little to speex's noise suppression (about
	// 2 dB on this noise-like voice, TestEchoCancellerRemovesLinearEcho)
	// and differ a little from bob's over 3 s; cancelled it would lose
	// 20 dB or more.
	const maxVoiceCut = 6.0 // dB
	// run returns the RMS bob receives from alice and alice from bob.
	run := func(t *testing.T, cancel bool, aliceVoice []int16) (fromAlice, fromBob float64) {
		n := newTestNet(t)
		room := &roomMic{gain: 0.5, delay: opusRate * 60 / 1000, voice: aliceVoice}
		ac := testConfig()
		ac.NoPlayback = false
		ac.NoEchoCancellation = !cancel
		ac.MicrophoneID = addRoomMic(t, room)
		a := n.add("alice", ac)
		room.listen(a.s.play.played)
		bc := testConfig()
		bc.MicrophoneID = addRoomMic(t, &roomMic{voice: speechLike(1, 10*opusRate, 0.3)})
		b := n.add("bob", bc)
		defer n.close()
		start(t, false, a, b)
		n.connect(a, b)
		a.wait(t, 0, 10*time.Second, "bob's audio", isRemoteMedia("bob", false, true))
		b.wait(t, 0, 10*time.Second, "alice's audio", isRemoteMedia("alice", false, true))
		waitUntil(t, 10*time.Second, "alice decodes bob", func() bool { _, n := a.pcmRMS("bob"); return n >= opusRate })
		// Let the canceller converge, then listen at both ends at once.
		time.Sleep(3 * time.Second)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); fromBob = a.pcmWindow("bob", 3*time.Second) }()
		fromAlice = b.pcmMedianWindow("alice", 6, 500*time.Millisecond)
		wg.Wait()
		tap, ref := a.s.echoStats()
		if cancel {
			if tap == nil || tap.processed.Load() == 0 {
				t.Fatalf("echo cancellation on, but no canceller ran in alice's capture (tap %v)", tap)
			}
			t.Logf("alice's canceller: %d frames, %d skipped chunks, %d resets; reference %+v; the room lost its place %d times", tap.processed.Load(), tap.skipped.Load(), tap.resets.Load(), ref, room.rejoins.Load())
			if ref.Frames == 0 || ref.Underruns > ref.Frames/10 {
				t.Errorf("the far-end reference was read %d times with %d underruns", ref.Frames, ref.Underruns)
			}
		} else if tap != nil {
			t.Errorf("echo cancellation off, but alice's capture has a canceller")
		}
		return fromAlice, fromBob
	}
	toDB := func(rms float64) float64 { return 20 * math.Log10(max(rms, 1e-9)) }
	var offEcho, onEcho, bobVoice, aliceDoubleTalk float64
	t.Run("alice silent, no cancellation", func(t *testing.T) { offEcho, bobVoice = run(t, false, nil) })
	t.Run("alice silent, cancellation", func(t *testing.T) { onEcho, _ = run(t, true, nil) })
	// Alice's voice as speechLike makes it, at bob's level: bob's own
	// voice as alice decodes it is the reference for her level.
	t.Run("both talk, cancellation", func(t *testing.T) { aliceDoubleTalk, _ = run(t, true, speechLike(7, 10*opusRate, 0.3)) })
	t.Logf("bob's voice at alice %.1f dBFS; bob hears it back from alice at %.1f dBFS without cancellation, %.1f dBFS with: %.1f dB less",
		toDB(bobVoice), toDB(offEcho), toDB(onEcho), toDB(offEcho)-toDB(onEcho))
	t.Logf("double talk: bob hears alice at %.1f dBFS", toDB(aliceDoubleTalk))
	if toDB(offEcho) < toDB(bobVoice)-12 {
		t.Fatalf("without cancellation the echo is only %.1f dBFS (bob's voice %.1f dBFS): the room does not work", toDB(offEcho), toDB(bobVoice))
	}
	if got := toDB(offEcho) - toDB(onEcho); got < minCallERLE {
		t.Errorf("echo cancellation takes %.1f dB off the echo, want >= %.0f dB", got, minCallERLE)
	}
	if cut := toDB(bobVoice) - toDB(aliceDoubleTalk); cut > maxVoiceCut {
		t.Errorf("double talk: bob hears alice %.1f dB below her voice's level, want <= %.0f dB", cut, maxVoiceCut)
	}
}

func TestEchoCancellationReportsTheConfig(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	for _, tc := range []struct {
		name               string
		noPlayback, noEcho bool
		want               bool
	}{
		{"a session with a speaker cancels echo by default", false, false, true},
		{"NoEchoCancellation turns it off", false, true, false},
		{"without a speaker there is no echo to cancel", true, false, false},
		{"without a speaker NoEchoCancellation changes nothing", true, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.NoPlayback, cfg.NoEchoCancellation = tc.noPlayback, tc.noEcho
			s, err := NewSession(cfg)
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			go func() {
				defer close(done)
				for range s.Events() {
				}
			}()
			defer func() { s.Close(); <-done }()
			if got := s.EchoCancellation(); got != tc.want {
				t.Errorf("EchoCancellation() = %v, want %v", got, tc.want)
			}
		})
	}
}
