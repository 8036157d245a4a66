package media

import (
	"errors"
	"io"
	"sync"
	"time"
	"unsafe"

	"github.com/gen2brain/malgo"
	"github.com/pion/mediadevices/pkg/driver"
	"github.com/pion/mediadevices/pkg/io/audio"
	"github.com/pion/mediadevices/pkg/prop"
	"github.com/pion/mediadevices/pkg/wave"
)

// Microphones are miniaudio capture devices, registered with mediadevices'
// driver manager the first time media looks for a device, not when the
// program starts. mediadevices' own microphone package starts the sound
// system (PulseAudio, then ALSA) in a package init, so every command of
// the binary did, `calla serve` and `calla version` included: with an
// unwritable HOME, PulseAudio printed its complaints on their stderr, and
// where miniaudio found no backend at all that init panicked.

// Every microphone is captured as mono float32 at 48 kHz in 20 ms periods,
// what the Opus encoder and the echo canceller take; miniaudio converts
// from whatever the device delivers.
const (
	micRate    = 48000
	micPeriod  = 20 * time.Millisecond
	micBacklog = 10 // periods queued for a slow reader before new ones are dropped
)

var microphones struct {
	once sync.Once
	// ctx lives as long as the process: the registered drivers open their
	// devices in it.
	ctx *malgo.AllocatedContext
}

// registerMicrophones asks miniaudio for capture devices, once per
// process, and registers each as a driver. Where there is no sound system
// none is registered and the test tone stands in.
func registerMicrophones() {
	microphones.once.Do(func() {
		ctx, err := malgo.InitContext(nil, malgo.ContextConfig{}, nil)
		if err != nil {
			return
		}
		microphones.ctx = ctx
		infos, err := ctx.Devices(malgo.Capture)
		if err != nil {
			return
		}
		for _, in := range infos {
			full, err := ctx.DeviceInfo(malgo.Capture, in.ID, malgo.Shared)
			if err != nil {
				continue
			}
			prio := driver.PriorityNormal
			if full.IsDefault > 0 {
				prio = driver.PriorityHigh
			}
			// The label is the hex of the backend's device id, as
			// mediadevices' driver had it: deviceOf reads names from it.
			_ = driver.GetManager().Register(&microphone{ctx: ctx, id: in.ID}, driver.Info{
				Label: in.ID.String(), DeviceType: driver.Microphone, Priority: prio, Name: full.Name(),
			})
		}
	})
}

// microphone is a mediadevices driver for one miniaudio capture device.
// The device runs from AudioRecord until Close. miniaudio calls onData on
// its audio thread; the reader (the capture pump) takes the copied
// periods from a bounded queue.
type microphone struct {
	ctx *malgo.AllocatedContext
	id  malgo.DeviceID

	mu   sync.Mutex
	dev  *malgo.Device
	stop chan struct{} // closed by Close: the reader returns io.EOF
}

func (m *microphone) Open() error { return nil }

func (m *microphone) Properties() []prop.Media {
	return []prop.Media{{Audio: prop.Audio{
		ChannelCount: 1, SampleRate: micRate, Latency: micPeriod,
		SampleSize: 4, IsFloat: true, IsInterleaved: true,
	}}}
}

func (m *microphone) AudioRecord(prop.Media) (audio.Reader, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.dev != nil {
		return nil, errors.New("media: microphone already recording")
	}
	periods := make(chan []float32, micBacklog)
	cfg := malgo.DefaultDeviceConfig(malgo.Capture)
	cfg.Capture.Format = malgo.FormatF32
	cfg.Capture.Channels = 1
	cfg.Capture.DeviceID = m.id.Pointer()
	cfg.SampleRate = micRate
	cfg.PeriodSizeInMilliseconds = uint32(micPeriod / time.Millisecond)
	onData := func(_, in []byte, _ uint32) {
		if len(in) < 4 {
			return
		}
		// miniaudio reuses its buffer once the callback returns: copy.
		buf := make([]float32, len(in)/4)
		copy(buf, unsafe.Slice((*float32)(unsafe.Pointer(&in[0])), len(buf)))
		select {
		case periods <- buf:
		default: // the reader is behind: drop rather than stall the audio thread
		}
	}
	dev, err := malgo.InitDevice(m.ctx.Context, cfg, malgo.DeviceCallbacks{Data: onData})
	if err != nil {
		return nil, err
	}
	if err := dev.Start(); err != nil {
		dev.Uninit()
		return nil, err
	}
	stop := make(chan struct{})
	m.dev, m.stop = dev, stop
	return audio.ReaderFunc(func() (wave.Audio, func(), error) {
		select {
		case buf := <-periods:
			return &wave.Float32Interleaved{Data: buf, Size: wave.ChunkInfo{Len: len(buf), Channels: 1, SamplingRate: micRate}}, func() {}, nil
		case <-stop:
			return nil, func() {}, io.EOF
		}
	}), nil
}

// Close stops the device (miniaudio waits for a callback in progress) and
// ends the reader.
func (m *microphone) Close() error {
	m.mu.Lock()
	dev, stop := m.dev, m.stop
	m.dev, m.stop = nil, nil
	m.mu.Unlock()
	if dev != nil {
		dev.Uninit()
		close(stop)
	}
	return nil
}
