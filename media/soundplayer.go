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
// Concurrency: the player's goroutine owns the device and the C mixer
// the device plays (its loop source); miniaudio's audio thread reads the
// mixer in C. Close stops the goroutine.
type SoundPlayer struct {
	speakerID string
	log       *slog.Logger
	cmds      chan soundCmd
	quit      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	mix       *mixer  // nil if it could not be allocated: the player is silent
	pcm       []int16 // fill's buffer, on the audio thread
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
	var err error
	if p.mix, err = newMixer(); err != nil {
		log.Warn("no ringtone", "err", err)
	}
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
	defer func() {
		closeDev()
		if p.mix != nil {
			p.mix.free()
		}
	}()
	for {
		var c soundCmd
		select {
		case c = <-p.cmds:
		case <-p.quit:
			return
		}
		if p.mix == nil {
			continue
		}
		if c.pcm == nil {
			closeDev()
		}
		if err := p.mix.setLoop(c.pcm); err != nil {
			p.log.Warn("no ringtone", "err", err)
			continue
		}
		if c.pcm == nil || dev != nil {
			continue // stopped, or already playing: the mixer has the new sound
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
	ctx, dev, _, err := openOutput(p.speakerID, soundRate, 40, 2, p.fill, func(dev *malgo.Device) {
		if err := p.mix.attach(dev, soundRate); err != nil {
			p.log.Debug("ringtone: the audio thread will call into Go", "err", err)
		}
	})
	return ctx, dev, err
}

// fill is miniaudio's data callback where the mixer could not be
// attached: the next samples of the loop, from the same mixer.
func (p *SoundPlayer) fill(out, _ []byte, frames uint32) {
	n := int(frames)
	if cap(p.pcm) < n {
		p.pcm = make([]int16, n)
	}
	pcm := p.pcm[:n]
	p.mix.read(pcm)
	for i, v := range pcm {
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
