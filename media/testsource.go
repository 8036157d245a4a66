package media

import (
	"context"
	"image"
	"io"
	"math"
	"sync"
	"time"

	"github.com/calla-rtc/calla/media/stamp"
	"github.com/pion/mediadevices/pkg/driver"
	"github.com/pion/mediadevices/pkg/frame"
	"github.com/pion/mediadevices/pkg/io/audio"
	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/mediadevices/pkg/prop"
	"github.com/pion/mediadevices/pkg/wave"
)

// Labels of the test source's drivers, as ListDevices shows them.
const (
	TestPatternLabel = "Calla test pattern"
	TestToneLabel    = "Calla test tone"
	// TestToneHz is the test tone's pitch; its amplitude is 0.25 full
	// scale, about -15 dBFS RMS.
	TestToneHz = 440
)

// The test drivers are registered with mediadevices' driver manager like
// its own videotest/audiotest, so the pattern and the tone go through
// GetUserMedia and the real encoders exactly as a camera and a microphone
// would.
func init() {
	registerTestSource(Camera)
	registerTestSource(Microphone)
}

// registerTestSource registers one more instance of the test pattern or
// tone: a mediadevices driver opens only once, and each session of a
// process (tests, benches, bots) needs its own.
func registerTestSource(kind DeviceKind) {
	if kind == Camera {
		d := &testPattern{}
		testPatterns.Lock()
		testPatterns.all = append(testPatterns.all, d)
		testPatterns.Unlock()
		_ = driver.GetManager().Register(d, driver.Info{Label: TestPatternLabel, DeviceType: driver.Camera, Priority: driver.PriorityLow})
		return
	}
	_ = driver.GetManager().Register(&testTone{}, driver.Info{Label: TestToneLabel, DeviceType: driver.Microphone, Priority: driver.PriorityLow})
}

// testPatterns lists every test-pattern instance, so a test can unplug
// one (see unplug).
var testPatterns struct {
	sync.Mutex
	all []*testPattern
}

// testPattern is a camera driver: a moving pattern at the requested size
// and rate with a stamp (frame number, capture time) in its top rows.
type testPattern struct{ openClose }

// openClose is the open/close life of a test driver: Open starts a run
// whose readers end when Close cancels it.
type openClose struct {
	mu     sync.Mutex
	cancel context.CancelFunc
	done   <-chan struct{}
}

func (d *openClose) Open() error {
	ctx, cancel := context.WithCancel(context.Background())
	d.mu.Lock()
	d.cancel, d.done = cancel, ctx.Done()
	d.mu.Unlock()
	return nil
}

func (d *openClose) Close() error {
	d.mu.Lock()
	if d.cancel != nil {
		d.cancel()
	}
	d.mu.Unlock()
	return nil
}

// running is the current run's done channel.
func (d *openClose) running() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.done
}

// unplug makes a running pattern fail as an unplugged camera does: its
// reader returns an error. The driver's state is not touched (the session
// closes it, as it would a real camera that vanished).
func (d *testPattern) unplug() {
	d.mu.Lock()
	if d.cancel != nil {
		d.cancel()
	}
	d.mu.Unlock()
}

// Properties leaves size and rate open: the constraints fill them in.
func (d *testPattern) Properties() []prop.Media {
	return []prop.Media{{Video: prop.Video{FrameFormat: frame.FormatI420}}}
}

// frameBuffers is how many frames the pattern rotates through: the
// encoder consumes each frame before the next one is due, the spare ones
// cover a preview copy in flight.
const frameBuffers = 4

func (d *testPattern) VideoRecord(p prop.Media) (video.Reader, error) {
	w, h := p.Width, p.Height
	if w <= 0 || h <= 0 {
		w, h = DefaultVideoParams.Width, DefaultVideoParams.Height
	}
	fps := float64(p.FrameRate)
	if fps <= 0 {
		fps = float64(DefaultVideoParams.FrameRate)
	}
	done := d.running()
	period := time.Duration(float64(time.Second) / fps)
	bufs := make([]*image.YCbCr, frameBuffers)
	for i := range bufs {
		bufs[i] = image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	}
	// One luma and one chroma line twice as wide as the frame: each row is
	// a shifted window of it, so drawing a frame is a few copies per row.
	lumaLine := make([]byte, 2*w)
	cbLine, crLine := make([]byte, w), make([]byte, w)
	for x := range lumaLine {
		lumaLine[x] = byte(60 + 140*(0.5+0.5*math.Sin(2*math.Pi*float64(x%w)/float64(w)*3)))
	}
	// A textured band (the bottom quarter): fixed pseudo-random detail
	// scrolling with the pattern, so the encoder has camera-like texture to
	// code and not only smooth gradients.
	bandTop := h - h/4
	texture := make([]byte, 2*w*(h/4))
	seed := uint32(2463534242)
	for i := range texture {
		seed ^= seed << 13
		seed ^= seed >> 17
		seed ^= seed << 5
		texture[i] = byte(70 + seed%120)
	}
	for x := range cbLine {
		cbLine[x] = byte(128 + 60*math.Sin(2*math.Pi*float64(x%(w/2))/float64(w/2)))
		crLine[x] = byte(128 + 60*math.Cos(2*math.Pi*float64(x%(w/2))/float64(w/2)))
	}
	pace := newPacer(period, done)
	var n uint32
	r := video.ReaderFunc(func() (image.Image, func(), error) {
		if !pace.wait() {
			return nil, func() {}, io.EOF
		}
		img := bufs[n%frameBuffers]
		shift := int(n*4) % w
		for y := 0; y < bandTop; y++ {
			off := (shift + y/4) % w
			copy(img.Y[y*img.YStride:y*img.YStride+w], lumaLine[off:off+w])
		}
		for y := bandTop; y < h; y++ {
			row := texture[(y-bandTop)*2*w:]
			copy(img.Y[y*img.YStride:y*img.YStride+w], row[shift:shift+w])
		}
		for y := 0; y < h/2; y++ {
			off := (shift/2 + y) % (w / 2)
			row := img.Cb[y*img.CStride : y*img.CStride+w/2]
			copy(row, cbLine[off:off+w/2])
			row = img.Cr[y*img.CStride : y*img.CStride+w/2]
			copy(row, crLine[off:off+w/2])
		}
		stamp.Draw(img, stamp.Stamp{Frame: n, Captured: time.Now()})
		n++
		return img, func() {}, nil
	})
	return r, nil
}

// testTone is a microphone driver: a TestToneHz sine at 0.25 full scale,
// 48 kHz mono float32 in 20 ms chunks, paced in real time.
type testTone struct{ openClose }

func (d *testTone) Properties() []prop.Media {
	return []prop.Media{{Audio: prop.Audio{SampleRate: 48000, Latency: 20 * time.Millisecond, ChannelCount: 1, IsFloat: true, IsInterleaved: true}}}
}

func (d *testTone) AudioRecord(p prop.Media) (audio.Reader, error) {
	const rate, chunk = 48000, 20 * time.Millisecond
	n := int(rate * chunk / time.Second)
	done := d.running()
	pace := newPacer(chunk, done)
	var phase float64
	step := 2 * math.Pi * TestToneHz / rate
	r := audio.ReaderFunc(func() (wave.Audio, func(), error) {
		if !pace.wait() {
			return nil, func() {}, io.EOF
		}
		a := wave.NewFloat32Interleaved(wave.ChunkInfo{Channels: 1, Len: n, SamplingRate: rate})
		for i := range a.Data {
			a.Data[i] = float32(0.25 * math.Sin(phase))
			phase += step
		}
		phase = math.Mod(phase, 2*math.Pi)
		return a, func() {}, nil
	})
	return r, nil
}

// pacer paces a test driver's reader in real time: the n-th chunk is due
// at start + n*period. Only the reader's goroutine uses it.
type pacer struct {
	start  time.Time
	period time.Duration
	n      int64
	timer  *time.Timer
	done   <-chan struct{}
}

func newPacer(period time.Duration, done <-chan struct{}) *pacer {
	return &pacer{start: time.Now(), period: period, timer: time.NewTimer(0), done: done}
}

// wait sleeps until the next chunk is due and reports false, at once,
// when done is closed (the driver was closed).
func (p *pacer) wait() bool {
	if d := time.Until(p.start.Add(time.Duration(p.n) * p.period)); d > 0 {
		p.timer.Reset(d)
		select {
		case <-p.done:
			p.timer.Stop()
			return false
		case <-p.timer.C:
		}
	} else {
		select {
		case <-p.done:
			return false
		default:
		}
	}
	p.n++
	return true
}
