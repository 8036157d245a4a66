package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"os/exec"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/calla-rtc/calla/media"
)

// The per-member CPU figures come from one real member in this process
// and N echo peers in a child process (`calla bench media --echo-child N`):
// the echo peers send the member's own encoded media back without decoding
// or encoding, so the member does exactly what a member of an (N+1)-way
// mesh does — one encode, N decodes, N senders — and getrusage of this
// process is that member's cost alone. Signals cross the process boundary
// as JSON lines, the same form the engine relays over signaling.

// mediaBenchWire is one signal line between parent and child.
type mediaBenchWire struct {
	From   media.PeerID `json:"from"`
	To     media.PeerID `json:"to"`
	Signal media.Signal `json:"signal"`
}

const mediaBenchMain media.PeerID = "main"

// runMediaEchoChild is the child: n echo sessions, signals on stdin/stdout.
func runMediaEchoChild(ctx context.Context, n int, in io.Reader, out io.Writer) error {
	var mu sync.Mutex // serialises writes to out
	enc := json.NewEncoder(out)
	bots := make(map[media.PeerID]*media.Session, n)
	var wg sync.WaitGroup
	defer func() {
		for _, s := range bots {
			_ = s.Close()
		}
		wg.Wait()
	}()
	for i := 0; i < n; i++ {
		id := media.PeerID(fmt.Sprintf("echo%d", i))
		s, err := media.NewSession(media.Config{LoopbackOnly: true, NoPlayback: true})
		if err != nil {
			return err
		}
		bots[id] = s
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ev := range s.Events() {
				if so, ok := ev.(media.SignalOut); ok {
					mu.Lock()
					_ = enc.Encode(mediaBenchWire{From: id, To: so.Peer, Signal: so.Signal})
					mu.Unlock()
				}
			}
		}()
		// A custom source sends the main member's own media back as
		// received: no capture, no decoding, no encoding.
		if err := s.StartCustom(true, func() { s.RequestKeyFrame(mediaBenchMain) }); err != nil {
			return err
		}
		if err := s.SetCustomMedia(true, true); err != nil { // the main member sends both
			return err
		}
		if err := s.AddPeer(mediaBenchMain, false); err != nil {
			return err
		}
		if err := s.SetRemoteEncodedSink(mediaBenchMain, media.EncodedSinkFunc(func(f media.EncodedFrame) { _ = s.WriteEncoded(f) })); err != nil {
			return err
		}
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() && ctx.Err() == nil {
		var w mediaBenchWire
		if err := json.Unmarshal(sc.Bytes(), &w); err != nil {
			return fmt.Errorf("echo child: bad line: %w", err)
		}
		if s := bots[w.To]; s != nil {
			if err := s.HandleSignal(w.From, w.Signal); err != nil && !errors.Is(err, media.ErrClosed) {
				return fmt.Errorf("echo child: %s: %w", w.To, err)
			}
		}
	}
	return sc.Err()
}

// mediaMemberCost measures one member with n echo peers: its process CPU
// (% of one core) and the frame rate it decodes per stream.
func mediaMemberCost(ctx context.Context, n int, vp media.VideoParams, warmup, window time.Duration, windows int, speaker bool, profile string) (cpu []float64, fps, uplink float64, err error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, 0, 0, err
	}
	cmd := exec.CommandContext(ctx, exe, "bench", "media", "--echo-child", fmt.Sprint(n))
	cmd.Stderr = io.Discard
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, 0, 0, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, 0, 0, err
	}
	if err := cmd.Start(); err != nil {
		return nil, 0, 0, err
	}
	defer func() {
		_ = stdin.Close()
		_ = cmd.Wait()
	}()
	s, err := media.NewSession(media.Config{LoopbackOnly: true, Video: vp, NoPlayback: !speaker})
	if err != nil {
		return nil, 0, 0, err
	}
	var fmu sync.Mutex
	count := map[media.PeerID]int{}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // member -> child
		defer wg.Done()
		enc := json.NewEncoder(stdin)
		for ev := range s.Events() {
			if so, ok := ev.(media.SignalOut); ok {
				_ = enc.Encode(mediaBenchWire{From: mediaBenchMain, To: so.Peer, Signal: so.Signal})
			}
		}
	}()
	go func() { // child -> member
		defer wg.Done()
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var w mediaBenchWire
			if json.Unmarshal(sc.Bytes(), &w) == nil {
				_ = s.HandleSignal(w.From, w.Signal)
			}
		}
	}()
	defer func() {
		_ = s.Close()
		_ = stdin.Close()
		wg.Wait()
	}()
	if err := s.Start(ctx, true); err != nil {
		return nil, 0, 0, err
	}
	for i := 0; i < n; i++ {
		id := media.PeerID(fmt.Sprintf("echo%d", i))
		if err := s.AddPeer(id, true); err != nil {
			return nil, 0, 0, err
		}
		if err := s.SetRemoteSink(id, media.FrameSinkFunc(func(_ *image.RGBA, release func()) {
			release()
			fmu.Lock()
			count[id]++
			fmu.Unlock()
		})); err != nil {
			return nil, 0, 0, err
		}
	}
	sleepCtx(ctx, warmup)
	fmu.Lock()
	start := 0
	for _, c := range count {
		start += c
	}
	fmu.Unlock()
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return nil, 0, 0, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, 0, 0, err
		}
		defer pprof.StopCPUProfile()
	}
	// Consecutive windows of one call: a shared machine's speed drifts,
	// and the spread says by how much.
	t00, sent0 := time.Now(), s.BytesSent()
	for range windows {
		u0, t0 := processCPU(), time.Now()
		sleepCtx(ctx, window)
		cpu = append(cpu, cpuPercent(processCPU()-u0, time.Since(t0)))
	}
	fmu.Lock()
	total := 0
	for _, c := range count {
		total += c
	}
	fmu.Unlock()
	elapsed := time.Since(t00).Seconds()
	fps = float64(total-start) / float64(n) / elapsed
	uplink = float64(s.BytesSent()-sent0) * 8 / elapsed
	return cpu, fps, uplink, ctx.Err()
}
