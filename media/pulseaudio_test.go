package media

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"log/slog"

	"github.com/calla-rtc/calla/internal/syncbuf"
)

// These tests run Calla's device choice against a real PulseAudio daemon
// (scripts/setup.sh installs it): a private one per test, with null sinks
// and virtual microphones, and a default that is not the first of
// anything. mediadevices lists the microphones once per process, in the
// random order of the UUIDs it gives them, so each run is a new process:
// the test binary itself, re-run with CALLA_PULSE_CHILD set.

// The private daemon's devices. VirtualMic, the default source, is what
// SpeechFeed plays, remapped: a microphone whose "room" is a sink the
// test can play speech into. OtherMic is a second microphone that is not
// the default. Every sink also has a monitor source, which a call must
// never take for a microphone.
const pulseScript = `
load-module module-native-protocol-unix socket=%s auth-anonymous=1
load-module module-null-sink sink_name=VirtualSpeaker sink_properties=device.description=VirtualSpeaker
load-module module-null-sink sink_name=SpeechFeed sink_properties=device.description=SpeechFeed
load-module module-null-sink sink_name=OtherFeed sink_properties=device.description=OtherFeed
load-module module-remap-source source_name=OtherMic master=OtherFeed.monitor source_properties=device.description=OtherMic
load-module module-remap-source source_name=VirtualMic master=SpeechFeed.monitor source_properties=device.description=VirtualMic
set-default-source VirtualMic
set-default-sink VirtualSpeaker
`

// pulse is a private PulseAudio daemon.
type pulse struct {
	dir    string
	server string // PULSE_SERVER for its clients
}

// startPulse starts a private daemon for t and stops it at the end.
func startPulse(t *testing.T) *pulse {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("the PulseAudio device test runs on Linux")
	}
	for _, tool := range []string{"pulseaudio", "pactl", "paplay", "parecord", "espeak-ng"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: run scripts/setup.sh", tool)
		}
	}
	// A short path: a unix socket's path has at most 107 bytes.
	dir, err := os.MkdirTemp("", "calla-pa-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "native")
	script := filepath.Join(dir, "calla.pa")
	if err := os.WriteFile(script, fmt.Appendf(nil, pulseScript, sock), 0o600); err != nil {
		t.Fatal(err)
	}
	p := &pulse{dir: dir, server: "unix:" + sock}
	var log bytes.Buffer
	cmd := exec.Command("pulseaudio", "-n", "-F", script, "--daemonize=no", "--exit-idle-time=-1",
		"--use-pid-file=no", "--disable-shm=yes", "--log-target=stderr")
	cmd.Env = p.env()
	cmd.Stderr = &log
	if err := cmd.Start(); err != nil {
		t.Fatalf("pulseaudio: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		if err := p.run("pactl", "info"); err == nil {
			return p
		}
		select {
		case <-exited:
			t.Fatalf("pulseaudio exited:\n%s", log.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("pulseaudio did not answer within 20 s:\n%s", log.String())
		}
	}
}

// env is the environment of the daemon and of its clients: everything
// private to p, so that tests running at once never meet.
func (p *pulse) env(extra ...string) []string {
	env := []string{"HOME=" + p.dir, "XDG_RUNTIME_DIR=" + p.dir, "PULSE_RUNTIME_PATH=" + p.dir,
		"PULSE_STATE_PATH=" + p.dir, "PULSE_SERVER=" + p.server, "PATH=" + os.Getenv("PATH")}
	return append(env, extra...)
}

func (p *pulse) run(name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Env = p.env()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

// child runs the test function name in a new process of this test binary,
// as a client of p, and returns its stdout.
func (p *pulse) child(t *testing.T, name, mode string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^"+name+"$", "-test.count=1", "-test.v")
	cmd.Env = p.env("CALLA_PULSE_CHILD="+mode, "CALLA_PULSE_DIR="+p.dir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s (%s): %v\n%s", name, mode, err, tail(stdout.String()+stderr.String(), 4000))
	}
	return stdout.String()
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// pickReport is what a child of the device-choice test saw.
type pickReport struct {
	Listed   []Device `json:"listed"`   // ListDevices' microphones
	Picked   Device   `json:"picked"`   // the default choice
	Followed Device   `json:"followed"` // the choice after the default changed
	Log      string   `json:"log"`      // the session's log line naming it
}

func TestPulseAudioDefaultMicrophoneIsChosenEveryRun(t *testing.T) {
	p := startPulse(t)
	const runs = 6
	for i := range runs {
		if err := p.run("pactl", "set-default-source", "VirtualMic"); err != nil {
			t.Fatal(err)
		}
		out := p.child(t, "TestPulseAudioChild", "pick")
		var r pickReport
		line := out[strings.Index(out, "PICK ")+5:]
		if err := json.Unmarshal([]byte(line[:strings.IndexByte(line, '\n')]), &r); err != nil {
			t.Fatalf("run %d: no report in:\n%s", i, tail(out, 2000))
		}
		if r.Picked.Label != "VirtualMic" || !r.Picked.IsDefault {
			t.Errorf("run %d: picked %q (default %v), want the system's default VirtualMic", i, r.Picked.Label, r.Picked.IsDefault)
		}
		if r.Followed.Label != "OtherMic" {
			t.Errorf("run %d: after the default became OtherMic, picked %q", i, r.Followed.Label)
		}
		var labels []string
		for _, d := range r.Listed {
			labels = append(labels, d.Label)
			if strings.HasPrefix(d.Label, "Monitor of") {
				t.Errorf("run %d: a monitor source is offered as a microphone: %q", i, d.Label)
			}
		}
		if len(r.Listed) == 0 || r.Listed[0].Label != "VirtualMic" {
			t.Errorf("run %d: microphones listed %q, want the default VirtualMic first", i, labels)
		}
		if !strings.Contains(r.Log, "label=VirtualMic") {
			t.Errorf("run %d: the log does not name the microphone: %q", i, r.Log)
		}
	}
}

// TestPulseAudioChild is the other process of the PulseAudio tests; it
// does nothing unless one of them started it.
func TestPulseAudioChild(t *testing.T) {
	switch os.Getenv("CALLA_PULSE_CHILD") {
	case "pick":
		pulseChildPick(t)
	case "call":
		pulseChildCall(t)
	}
}

func pulseChildPick(t *testing.T) {
	var r pickReport
	devs, err := ListDevices()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range devs {
		if d.Kind == Microphone && !d.IsTestSource && !d.IsNull {
			r.Listed = append(r.Listed, d)
		}
	}
	// The choice a session makes, and the log line that names it.
	var logBuf syncbuf.Buffer
	cfg := testConfig()
	cfg.Logger = slog.New(slog.NewTextHandler(&logBuf, nil))
	s, err := NewSession(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	go func() {
		for range s.Events() {
		}
	}()
	if err := s.Start(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(logBuf.String(), "\n") {
		if strings.Contains(l, "device opened") && strings.Contains(l, "kind=microphone") {
			r.Log = l
		}
	}
	openMu.Lock()
	r.Picked, err = pickDevice(Microphone, "")
	openMu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	// The system's default changes while the app runs: the next call
	// follows it.
	out, err := exec.Command("pactl", "set-default-source", "OtherMic").CombinedOutput()
	if err != nil {
		t.Fatalf("pactl: %v: %s", err, out)
	}
	openMu.Lock()
	r.Followed, err = pickDevice(Microphone, "")
	openMu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(r)
	fmt.Printf("PICK %s\n", b)
}

// TestPulseAudioTheOtherSideHearsTheDefaultMicrophone plays speech into
// the default microphone's room and records what the other side's
// default speaker plays: the two must be the same speech.
func TestPulseAudioTheOtherSideHearsTheDefaultMicrophone(t *testing.T) {
	p := startPulse(t)
	out := p.child(t, "TestPulseAudioChild", "call")
	if !strings.Contains(out, "HEARD ") {
		t.Fatalf("the call child reported nothing:\n%s", tail(out, 3000))
	}
	t.Log(strings.TrimSpace(out[strings.Index(out, "HEARD "):]))
}

func pulseChildCall(t *testing.T) {
	dir := os.Getenv("CALLA_PULSE_DIR")
	// What alice says, and another sentence in the same voice: what bob
	// hears must be much more like the first.
	speech, other := filepath.Join(dir, "speech.wav"), filepath.Join(dir, "other.wav")
	for path, text := range map[string]string{
		speech: "Hello from Calla. This is the default microphone speaking, one two three four five.",
		other:  "The quick brown fox jumps over the lazy dog while seven ducks swim past the old mill.",
	} {
		if out, err := exec.Command("espeak-ng", "-s", "150", "-w", path, text).CombinedOutput(); err != nil {
			t.Fatalf("espeak-ng: %v: %s", err, out)
		}
	}
	ref, refRate := readWavMono16(t, speech)
	otherPCM, otherRate := readWavMono16(t, other)

	n := newTestNet(t)
	// Alice talks into the default microphone and plays nothing; bob
	// plays what he hears on the default speaker and sends the test tone
	// (his microphone is not the point here).
	talker := testConfig()
	listener := testConfig()
	listener.NoPlayback = false
	listener.NoEchoCancellation = true
	// What bob decodes is recorded beside what his speaker plays.
	var decodedMu sync.Mutex
	var decoded []int16
	recordDecoded := false
	listen := testHooks{pcm: func(_ PeerID, pcm []int16) {
		decodedMu.Lock()
		if recordDecoded {
			decoded = append(decoded, pcm...)
		}
		decodedMu.Unlock()
	}}
	listener.MicrophoneID = TestToneLabel
	a := n.add("alice", talker)
	b := n.addWith("bob", listener, listen)
	defer n.close()
	start(t, false, a, b)
	n.connect(a, b)
	b.wait(t, 0, 20*time.Second, "alice's audio", isRemoteMedia("alice", false, true))
	mic := a.wait(t, 0, 5*time.Second, "alice's microphone", func(ev Event) bool {
		e, ok := ev.(LocalSource)
		return ok && e.Kind == Microphone
	}).(LocalSource)
	spk := b.wait(t, 0, 5*time.Second, "bob's speaker", func(ev Event) bool {
		e, ok := ev.(LocalSource)
		return ok && e.Kind == Speaker
	}).(LocalSource)
	if mic.Label != "VirtualMic" || spk.Label != "VirtualSpeaker" {
		t.Fatalf("alice captures %q and bob plays on %q; want the defaults VirtualMic and VirtualSpeaker", mic.Label, spk.Label)
	}

	// Record bob's speaker, and alice's microphone beside her: what the
	// microphone carried is the reference (a loaded machine can lose a
	// little on PulseAudio's side already). Then play the speech into
	// alice's room.
	heardRec := startRecording(t, filepath.Join(dir, "heard.raw"), "VirtualSpeaker.monitor")
	micRec := startRecording(t, filepath.Join(dir, "mic.raw"), "VirtualMic")
	time.Sleep(300 * time.Millisecond) // the recorders connect; silence before the speech is fine
	decodedMu.Lock()
	recordDecoded = true
	decodedMu.Unlock()
	if out, err := exec.Command("paplay", "--device=SpeechFeed", "--latency-msec=2000", speech).CombinedOutput(); err != nil {
		t.Fatalf("paplay: %v: %s", err, out)
	}
	time.Sleep(1500 * time.Millisecond) // the end of the speech crosses the call
	heard, said := heardRec.stop(t), micRec.stop(t)
	decodedMu.Lock()
	dec := slices.Clone(decoded)
	recordDecoded = false
	decodedMu.Unlock()
	const frame = 20 * time.Millisecond
	saidEnv := envelope(said, recordRate, frame)
	same := speechDistance(saidEnv, envelope(dec, opusRate, frame))
	control := speechDistance(envelope(otherPCM, otherRate, frame), envelope(dec, opusRate, frame))
	played := speechDistance(saidEnv, envelope(heard, recordRate, frame))
	fmt.Printf("HEARD bob decodes what alice's microphone said at distance %.3f (another sentence: %.3f); "+
		"his speaker plays it at %.1f dBFS (said %.1f dBFS), distance %.3f; the microphone's distance to the text %.3f\n",
		same, control, levelDBFS(heard), levelDBFS(said), played, speechDistance(envelope(ref, refRate, frame), saidEnv))
	if same > 0.75*control {
		t.Errorf("bob does not get alice's speech: its distance to what her microphone said (%.3f) is not well under its distance to another sentence (%.3f)", same, control)
	}
	// What the speaker plays is checked for loudness only: on a loaded
	// machine the speaker's 20 ms device buffer underruns and PulseAudio
	// drops what comes late, which can cut whole syllables (measured: at
	// a load average of 18 on 2 cores, one run in two).
	if loud, sent := levelDBFS(heard), levelDBFS(said); loud < sent-12 {
		t.Errorf("bob's default speaker plays alice's speech at %.1f dBFS, %.1f dB under what she said", loud, sent-loud)
	}
}

// recordRate is what the recordings are taken at.
const recordRate = 16000

// recording is parecord writing one source to a raw file.
type recording struct {
	cmd  *exec.Cmd
	path string
}

func startRecording(t *testing.T, path, source string) *recording {
	t.Helper()
	cmd := exec.Command("parecord", "--raw", "--device="+source, "--format=s16le",
		fmt.Sprintf("--rate=%d", recordRate), "--channels=1", "--latency-msec=200", path)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &recording{cmd: cmd, path: path}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return r
}

// stop ends the recording and returns its samples.
func (r *recording) stop(t *testing.T) []int16 {
	t.Helper()
	_ = r.cmd.Process.Signal(os.Interrupt)
	_ = r.cmd.Wait()
	raw, err := os.ReadFile(r.path)
	if err != nil {
		t.Fatal(err)
	}
	pcm := make([]int16, len(raw)/2)
	for i := range pcm {
		pcm[i] = int16(binary.LittleEndian.Uint16(raw[2*i:]))
	}
	return pcm
}

// readWavMono16 reads a 16-bit mono PCM WAV file (what espeak-ng writes).
func readWavMono16(t *testing.T, path string) ([]int16, int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 44 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		t.Fatalf("%s: not a WAV file", path)
	}
	rate := int(binary.LittleEndian.Uint32(b[24:28]))
	if ch, bits := binary.LittleEndian.Uint16(b[22:24]), binary.LittleEndian.Uint16(b[34:36]); ch != 1 || bits != 16 {
		t.Fatalf("%s: %d channels of %d bits, want mono 16-bit", path, ch, bits)
	}
	// Find the data chunk.
	for off := 12; off+8 <= len(b); {
		id, size := string(b[off:off+4]), int(binary.LittleEndian.Uint32(b[off+4:off+8]))
		off += 8
		if id == "data" {
			size = min(size, len(b)-off)
			pcm := make([]int16, size/2)
			for i := range pcm {
				pcm[i] = int16(binary.LittleEndian.Uint16(b[off+2*i:]))
			}
			return pcm, rate
		}
		off += size + size%2
	}
	t.Fatalf("%s: no data chunk", path)
	return nil, 0
}

// envelope is the RMS of each frame of pcm.
func envelope(pcm []int16, rate int, frame time.Duration) []float64 {
	n := int(time.Duration(rate) * frame / time.Second)
	var out []float64
	for i := 0; i+n <= len(pcm); i += n {
		var sum float64
		for _, v := range pcm[i : i+n] {
			sum += float64(v) * float64(v)
		}
		out = append(out, math.Sqrt(sum/float64(n)))
	}
	return out
}

// speechDistance says how unlike the speech in heard is the utterance in
// ref: the dynamic-time-warping cost between their loudness contours
// (log RMS per frame, silence at both ends trimmed, normalised), per
// step. A sound path under load stretches time (a late packet, a device
// period missed) and can lose a little; warping absorbs that, where one
// correlation of the whole utterance would not. The figure means
// something only beside the distance to another utterance.
func speechDistance(ref, heard []float64) float64 {
	a, b := contour(ref), contour(heard)
	n, m := len(a), len(b)
	if n == 0 || m == 0 {
		return math.Inf(1)
	}
	// A step that stretches one side costs extra, so that warping cannot
	// make any two contours alike.
	const stretch = 0.3
	prev, cur := make([]float64, m+1), make([]float64, m+1)
	for j := range prev {
		prev[j] = math.Inf(1)
	}
	prev[0] = 0
	for i := 1; i <= n; i++ {
		cur[0] = math.Inf(1)
		for j := 1; j <= m; j++ {
			cur[j] = math.Abs(a[i-1]-b[j-1]) + min(prev[j-1], prev[j]+stretch, cur[j-1]+stretch)
		}
		prev, cur = cur, prev
	}
	return prev[m] / float64(n+m)
}

// contour turns an RMS envelope into log loudness, trims the silence at
// both ends (below 30% of the range) and normalises it to zero mean and
// unit deviation.
func contour(env []float64) []float64 {
	v := make([]float64, len(env))
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, x := range env {
		v[i] = math.Log10(1 + x)
		lo, hi = min(lo, v[i]), max(hi, v[i])
	}
	th := lo + 0.3*(hi-lo)
	i, j := 0, len(v)
	for i < j && v[i] < th {
		i++
	}
	for j > i && v[j-1] < th {
		j--
	}
	v = v[i:j]
	var mean, dev float64
	for _, x := range v {
		mean += x
	}
	mean /= float64(max(1, len(v)))
	for _, x := range v {
		dev += (x - mean) * (x - mean)
	}
	dev = math.Sqrt(dev / float64(max(1, len(v))))
	if dev == 0 {
		return nil
	}
	for k := range v {
		v[k] = (v[k] - mean) / dev
	}
	return v
}

func levelDBFS(pcm []int16) float64 {
	var sum float64
	for _, v := range pcm {
		sum += float64(v) * float64(v)
	}
	if len(pcm) == 0 || sum == 0 {
		return -120
	}
	return 20 * math.Log10(math.Sqrt(sum/float64(len(pcm)))/32768)
}
