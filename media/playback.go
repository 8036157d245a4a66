package media

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/gen2brain/malgo"
)

// nullBackend is miniaudio's null backend. malgo.BackendNull (13) is
// wrong in malgo v0.11.24: it maps to ma_backend_custom, so the number is
// spelled out (docs/media.md, feasibility §3).
const nullBackend = malgo.Backend(14)

// playback plays every peer's decoded audio through one output device.
// Each peer has a jitter buffer (in the C mixer) that is filled to the
// target depth before it plays and never grows past maxDepthFactor times
// the target (the oldest samples go), which bounds the latency it can add.
// miniaudio's audio thread reads the mix straight from C; where the
// mixer cannot be attached to the device (a miniaudio whose device
// layout is not the expected one) the device calls fill, in Go, instead.
type playback struct {
	mu     sync.Mutex
	ctx    *malgo.AllocatedContext
	dev    *malgo.Device
	mix    *mixer
	direct bool // the device reads the mixer without Go
	peers  map[PeerID]*jitterBuffer
	target int // samples
	null   bool
	pcm    []int16 // fill's buffer, reused
	log    *slog.Logger
	// played is every mix the device played, the echo canceller's far
	// end. It lives as long as the playback: readers (the microphone's
	// canceller) stop before close.
	played *playedRing
}

const (
	maxDepthFactor = 4
	// outPeriod is the device period: 10 ms, as miniaudio's low-latency
	// profile has it; the device buffers outPeriods of them. Cheap now
	// that a period does not enter Go.
	outPeriod  = 10 * time.Millisecond
	outPeriods = 2
)

// newPlayback opens the speaker (speakerID, or the default), falling back
// to the null backend where there is no sound card.
func newPlayback(speakerID string, latency time.Duration, log *slog.Logger) (*playback, error) {
	mix, err := newMixer()
	if err != nil {
		return nil, err
	}
	played, err := newPlayedRing()
	if err != nil {
		mix.free()
		return nil, err
	}
	mix.setPlayed(played)
	p := &playback{mix: mix, played: played, peers: make(map[PeerID]*jitterBuffer), target: int(latency * opusRate / time.Second), log: log}
	if err := p.open(speakerID); err != nil {
		mix.free()
		played.free()
		return nil, err
	}
	return p, nil
}

func (p *playback) open(speakerID string) error {
	direct := false
	ctx, dev, null, err := openOutput(speakerID, opusRate, int(outPeriod/time.Millisecond), outPeriods, p.fill, func(dev *malgo.Device) {
		direct = false // a device that failed to start may have been attached
		if err := p.mix.attach(dev, opusRate); err != nil {
			p.log.Warn("playback: the audio thread will call into Go", "err", err)
			return
		}
		direct = true
	})
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.ctx, p.dev, p.null, p.direct = ctx, dev, null, direct
	p.mu.Unlock()
	return nil
}

// openOutput opens a mono S16 output at rate: the speaker speakerID (its
// ListSpeakers id, hex), or the default output, or - where there is no
// sound card - miniaudio's null backend, so that playing works the same
// everywhere. fill is miniaudio's data callback, on its own thread. null
// reports the null backend. beforeStart, if not nil, sees the device
// between its initialisation and its start.
func openOutput(speakerID string, rate, periodMs, periods int, fill malgo.DataProc, beforeStart func(*malgo.Device)) (*malgo.AllocatedContext, *malgo.Device, bool, error) {
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
			if beforeStart != nil {
				beforeStart(dev)
			}
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

// addPeer makes room for a peer's audio; write ignores unknown peers, so
// that a receive goroutine still running after removePeer adds nothing.
func (p *playback) addPeer(id PeerID) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.peers[id] != nil || p.mix == nil {
		return
	}
	jb, err := p.mix.add(p.target, maxDepthFactor*p.target)
	if err != nil {
		p.log.Warn("playback: this peer will not be heard", "peer", id, "err", err)
		return
	}
	p.peers[id] = jb
}

// write queues decoded samples of one peer. Called by its receive
// goroutine; the lock keeps one writer per buffer.
func (p *playback) write(id PeerID, pcm []int16) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if jb := p.peers[id]; jb != nil {
		jb.write(pcm)
	}
}

func (p *playback) removePeer(id PeerID) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if jb := p.peers[id]; jb != nil {
		p.logDry(id, jb)
		delete(p.peers, id)
		p.mix.remove(jb)
	}
}

// logDry notes how often a peer's audio ran out while playing: network
// jitter beyond the buffer's depth, or a late receive goroutine.
func (p *playback) logDry(id PeerID, jb *jitterBuffer) {
	if d := jb.dry(); d > 0 {
		p.log.Debug("playback: a peer's audio ran dry", "peer", id, "times", d)
	}
}

// fill is miniaudio's data callback (on its own thread) where the mixer
// could not be attached: the mix, S16 mono.
func (p *playback) fill(out, _ []byte, frames uint32) {
	n := int(frames)
	if cap(p.pcm) < n {
		p.pcm = make([]int16, n) // the callback is the only user
	}
	pcm := p.pcm[:n]
	p.mix.read(pcm)
	for i, v := range pcm {
		binary.LittleEndian.PutUint16(out[2*i:], uint16(v))
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
	p.dev, p.ctx, p.direct = nil, nil, false
	p.mu.Unlock()
	if dev != nil {
		// Uninit stops the device and waits for a running callback.
		dev.Uninit()
	}
	if ctx != nil {
		_ = ctx.Uninit()
		ctx.Free()
	}
}

// close stops the device and frees the mixer.
func (p *playback) close() {
	p.closeDevice()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.mix != nil {
		if f := p.mix.frames(); f > 0 {
			p.log.Debug("playback: closed", "played", time.Duration(f)*time.Second/opusRate)
		}
		for id, jb := range p.peers {
			p.logDry(id, jb)
		}
		p.mix.free()
		p.mix = nil
		clear(p.peers)
	}
	if p.played != nil {
		p.played.free()
		p.played = nil
	}
}
