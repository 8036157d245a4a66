package media

import (
	"encoding/binary"
	"log/slog"
	"sync"

	"github.com/gen2brain/malgo"
)

// SoundPlayer loops one sound at a time through the speaker: the app's
// ringtone and dial tone. Loop and Stop return at once (the GUI calls them
// on its UI goroutine); opening and closing the output device happens on
// the player's own goroutine. Where there is no sound card it plays into
// miniaudio's null backend, so the app behaves the same.
//
// Concurrency: the player's goroutine owns the device; the device's
// callback reads the current sound under mu. Close stops the goroutine.
type SoundPlayer struct {
	speakerID string
	log       *slog.Logger
	cmds      chan soundCmd
	quit      chan struct{}
	done      chan struct{}
	closeOnce sync.Once

	mu  sync.Mutex
	pcm []int16 // the sound at soundRate, mono; nil: silence
	pos int
}

// soundRate is the output rate of the sound player.
const soundRate = 48000

type soundCmd struct {
	pcm []int16 // at soundRate; nil means stop
}

// NewSoundPlayer returns a player for the speaker speakerID (empty: the
// default output).
func NewSoundPlayer(speakerID string, log *slog.Logger) *SoundPlayer {
	if log == nil {
		log = slog.Default()
	}
	p := &SoundPlayer{speakerID: speakerID, log: log, cmds: make(chan soundCmd, 8), quit: make(chan struct{}), done: make(chan struct{})}
	go p.run()
	return p
}

// Loop plays pcm (mono, at rate samples per second) over and over until
// Stop or the next Loop.
func (p *SoundPlayer) Loop(pcm []int16, rate int) {
	if len(pcm) == 0 || rate <= 0 {
		p.Stop()
		return
	}
	p.send(soundCmd{pcm: resample(pcm, rate, soundRate)})
}

// Stop silences the player and closes the output device.
func (p *SoundPlayer) Stop() { p.send(soundCmd{}) }

func (p *SoundPlayer) send(c soundCmd) {
	select {
	case p.cmds <- c:
	case <-p.quit:
	}
}

// Close stops playing and ends the player's goroutine.
func (p *SoundPlayer) Close() {
	p.closeOnce.Do(func() {
		close(p.quit)
		<-p.done
	})
}

func (p *SoundPlayer) run() {
	defer close(p.done)
	var dev *malgo.Device
	var ctx *malgo.AllocatedContext
	closeDev := func() {
		if dev != nil {
			dev.Uninit()
			dev = nil
		}
		if ctx != nil {
			_ = ctx.Uninit()
			ctx.Free()
			ctx = nil
		}
	}
	defer closeDev()
	for {
		var c soundCmd
		select {
		case c = <-p.cmds:
		case <-p.quit:
			return
		}
		p.mu.Lock()
		p.pcm, p.pos = c.pcm, 0
		p.mu.Unlock()
		if c.pcm == nil {
			closeDev()
			continue
		}
		if dev != nil {
			continue // already playing: the callback picks up the new sound
		}
		var err error
		ctx, dev, err = p.open()
		if err != nil {
			p.log.Warn("no sound output for the ringtone", "err", err)
		}
	}
}

// open opens the speaker; a ringtone needs no low latency.
func (p *SoundPlayer) open() (*malgo.AllocatedContext, *malgo.Device, error) {
	ctx, dev, _, err := openOutput(p.speakerID, soundRate, 40, 2, p.fill, nil)
	return ctx, dev, err
}

// fill is miniaudio's data callback: the next samples of the loop.
func (p *SoundPlayer) fill(out, _ []byte, frames uint32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := 0; i < int(frames); i++ {
		var v int16
		if len(p.pcm) > 0 {
			v = p.pcm[p.pos]
			p.pos = (p.pos + 1) % len(p.pcm)
		}
		binary.LittleEndian.PutUint16(out[2*i:], uint16(v))
	}
}

// resample converts mono PCM from one rate to another by linear
// interpolation: plenty for a ringtone.
func resample(in []int16, from, to int) []int16 {
	if from == to {
		return append([]int16(nil), in...)
	}
	n := int(int64(len(in)) * int64(to) / int64(from))
	out := make([]int16, n)
	for i := range out {
		pos := float64(i) * float64(from) / float64(to)
		j := int(pos)
		frac := pos - float64(j)
		a := float64(in[j])
		b := a
		if j+1 < len(in) {
			b = float64(in[j+1])
		}
		out[i] = int16(a + (b-a)*frac)
	}
	return out
}
