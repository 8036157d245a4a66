package media

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/gen2brain/malgo"
)

// nullBackend is miniaudio's null backend. malgo.BackendNull (13) is
// wrong in malgo v0.11.24: it maps to ma_backend_custom, so the number is
// spelled out (docs/media.md, feasibility §3).
const nullBackend = malgo.Backend(14)

// playback plays every peer's decoded audio through one output device,
// mixing in the device callback. Each peer has a jitter buffer that is
// filled to the target depth before it plays and never grows past
// maxDepthFactor times the target (the oldest samples go), which bounds
// the latency it can add.
type playback struct {
	mu     sync.Mutex
	ctx    *malgo.AllocatedContext
	dev    *malgo.Device
	peers  map[PeerID]*jitterBuffer
	target int // samples
	null   bool
	mix    []int32 // the callback's accumulator, reused
}

const maxDepthFactor = 4

// jitterBuffer is one peer's queue of 48 kHz mono samples.
type jitterBuffer struct {
	buf     []int16
	playing bool
}

// newPlayback opens the speaker (speakerID, or the default), falling back
// to the null backend where there is no sound card.
func newPlayback(speakerID string, latency time.Duration) (*playback, error) {
	p := &playback{peers: make(map[PeerID]*jitterBuffer), target: int(latency * opusRate / time.Second)}
	if err := p.open(speakerID); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *playback) open(speakerID string) error {
	// 20 ms periods: every period is a call from miniaudio's thread into
	// Go, which costs more than the mixing itself; 10 ms periods measured
	// several % of a core more on the bench (docs/media.md).
	ctx, dev, null, err := openOutput(speakerID, opusRate, 20, 2, p.fill)
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.ctx, p.dev, p.null = ctx, dev, null
	p.mu.Unlock()
	return nil
}

// openOutput opens a mono S16 output at rate: the speaker speakerID (its
// ListSpeakers id, hex), or the default output, or - where there is no
// sound card - miniaudio's null backend, so that playing works the same
// everywhere. fill is miniaudio's data callback, on its own thread. null
// reports the null backend.
func openOutput(speakerID string, rate, periodMs, periods int, fill malgo.DataProc) (*malgo.AllocatedContext, *malgo.Device, bool, error) {
	var firstErr error
	for _, backends := range [][]malgo.Backend{nil, {nullBackend}} {
		ctx, err := malgo.InitContext(backends, malgo.ContextConfig{}, nil)
		if err != nil {
			firstErr = err
			continue
		}
		cfg := malgo.DefaultDeviceConfig(malgo.Playback)
		cfg.Playback.Format = malgo.FormatS16
		cfg.Playback.Channels = 1
		cfg.SampleRate = uint32(rate)
		cfg.PeriodSizeInMilliseconds = uint32(periodMs)
		cfg.Periods = uint32(periods)
		if speakerID != "" && backends == nil {
			raw, err := hex.DecodeString(speakerID)
			if err != nil || len(raw) > len(malgo.DeviceID{}) {
				_ = ctx.Uninit()
				ctx.Free()
				return nil, nil, false, fmt.Errorf("%w: speaker id %q", ErrUnknownDevice, speakerID)
			}
			var id malgo.DeviceID
			copy(id[:], raw)
			// C memory miniaudio keeps a pointer to; 256 bytes per open.
			cfg.Playback.DeviceID = id.Pointer()
		}
		dev, err := malgo.InitDevice(ctx.Context, cfg, malgo.DeviceCallbacks{Data: fill})
		if err == nil {
			if err = dev.Start(); err != nil {
				dev.Uninit()
			}
		}
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			_ = ctx.Uninit()
			ctx.Free()
			continue
		}
		return ctx, dev, backends != nil, nil
	}
	return nil, nil, false, fmt.Errorf("media: no audio output, not even the null backend: %w", firstErr)
}

// write queues decoded samples of one peer. Called by its receive goroutine.
func (p *playback) write(id PeerID, pcm []int16) {
	p.mu.Lock()
	defer p.mu.Unlock()
	jb := p.peers[id]
	if jb == nil {
		jb = &jitterBuffer{}
		p.peers[id] = jb
	}
	jb.buf = append(jb.buf, pcm...)
	if over := len(jb.buf) - maxDepthFactor*p.target; over > 0 {
		jb.buf = append(jb.buf[:0], jb.buf[over:]...)
	}
	if !jb.playing && len(jb.buf) >= p.target {
		jb.playing = true
	}
}

func (p *playback) removePeer(id PeerID) {
	p.mu.Lock()
	delete(p.peers, id)
	p.mu.Unlock()
}

// fill is miniaudio's data callback (on its own thread): mix every
// playing peer into out, S16 mono.
func (p *playback) fill(out, _ []byte, frames uint32) {
	n := int(frames)
	p.mu.Lock()
	defer p.mu.Unlock()
	if cap(p.mix) < n {
		p.mix = make([]int32, n)
	}
	mix := p.mix[:n]
	clear(mix)
	for _, jb := range p.peers {
		if !jb.playing {
			continue
		}
		if len(jb.buf) < n {
			// Underrun: go back to filling up to the target.
			jb.buf, jb.playing = jb.buf[:0], false
			continue
		}
		for i, v := range jb.buf[:n] {
			mix[i] += int32(v)
		}
		jb.buf = append(jb.buf[:0], jb.buf[n:]...)
	}
	for i, v := range mix {
		binary.LittleEndian.PutUint16(out[2*i:], uint16(int16(min(max(v, -32768), 32767))))
	}
}

// setSpeaker reopens the output on another device.
func (p *playback) setSpeaker(id string) error {
	p.closeDevice()
	return p.open(id)
}

func (p *playback) closeDevice() {
	p.mu.Lock()
	dev, ctx := p.dev, p.ctx
	p.dev, p.ctx = nil, nil
	p.mu.Unlock()
	if dev != nil {
		// Uninit stops the device and waits for a running callback, which
		// takes p.mu: hence not under the lock.
		dev.Uninit()
	}
	if ctx != nil {
		_ = ctx.Uninit()
		ctx.Free()
	}
}

func (p *playback) close() { p.closeDevice() }
