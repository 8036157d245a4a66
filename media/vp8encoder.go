package media

/*
#cgo pkg-config: vpx
#include <stdlib.h>
#include <string.h>
#include <vpx/vpx_encoder.h>
#include <vpx/vp8cx.h>

// calla_vp8 is one encoder; it lives in C memory so that libvpx may keep
// pointers into it.
typedef struct {
	vpx_codec_ctx_t ctx;
	vpx_codec_enc_cfg_t cfg;
	vpx_image_t img;
	vpx_codec_iter_t it;
	int open;
} calla_vp8;

static int calla_vp8_open(calla_vp8 *e, int w, int h, int kbps, int kfmax, int speed, int screen) {
	vpx_codec_iface_t *ifc = vpx_codec_vp8_cx();
	if (vpx_codec_enc_config_default(ifc, &e->cfg, 0) != VPX_CODEC_OK) return -1;
	e->cfg.g_w = w;
	e->cfg.g_h = h;
	e->cfg.g_timebase.num = 1;
	e->cfg.g_timebase.den = 1000; // pts in milliseconds
	e->cfg.g_threads = 1;
	e->cfg.g_lag_in_frames = 0;   // no look-ahead: every frame leaves at once
	e->cfg.g_pass = VPX_RC_ONE_PASS;
	e->cfg.g_error_resilient = VPX_ERROR_RESILIENT_DEFAULT;
	e->cfg.rc_end_usage = VPX_CBR;
	e->cfg.rc_target_bitrate = kbps;
	e->cfg.rc_min_quantizer = 2;
	// libvpx's whole range: with frames never dropped, the quantizer is
	// the only way to hold the rate, and at WebRTC's 56 the test
	// pattern's detail took 1.74 Mbps at 640x480@30 whatever the target
	// (1.2 Mbps or 0.7); at 63 it holds each target within 2%
	// (media/videotier.go's uplink budget depends on it).
	e->cfg.rc_max_quantizer = 63;
	e->cfg.rc_undershoot_pct = 100;
	e->cfg.rc_overshoot_pct = 15;
	e->cfg.rc_buf_initial_sz = 500;
	e->cfg.rc_buf_optimal_sz = 600;
	e->cfg.rc_buf_sz = 1000;
	e->cfg.rc_dropframe_thresh = 0;
	e->cfg.rc_resize_allowed = 0;
	e->cfg.kf_mode = VPX_KF_AUTO;
	e->cfg.kf_min_dist = 0;
	e->cfg.kf_max_dist = kfmax;
	if (vpx_codec_enc_init(&e->ctx, ifc, &e->cfg, 0) != VPX_CODEC_OK) return -2;
	e->open = 1;
	vpx_codec_control(&e->ctx, VP8E_SET_CPUUSED, speed);
	vpx_codec_control(&e->ctx, VP8E_SET_NOISE_SENSITIVITY, 0);
	vpx_codec_control(&e->ctx, VP8E_SET_STATIC_THRESHOLD, 1);
	// Cap keyframes at 3x an average frame: a keyframe then takes a few
	// frame intervals on the wire, not a burst that delays what follows.
	vpx_codec_control(&e->ctx, VP8E_SET_MAX_INTRA_BITRATE_PCT, 300);
	if (screen) {
		// A screen: sharp edges and text, long still stretches. libvpx's
		// screen-content mode codes them for that; unchanged blocks are
		// skipped more readily; a keyframe (a whole screen of text) may
		// take longer on the wire, frames being 200 ms apart.
		vpx_codec_control(&e->ctx, VP8E_SET_SCREEN_CONTENT_MODE, 1);
		vpx_codec_control(&e->ctx, VP8E_SET_STATIC_THRESHOLD, 100);
		vpx_codec_control(&e->ctx, VP8E_SET_MAX_INTRA_BITRATE_PCT, 900);
	}
	memset(&e->img, 0, sizeof(e->img));
	e->img.fmt = VPX_IMG_FMT_I420;
	e->img.w = e->img.d_w = w;
	e->img.h = e->img.d_h = h;
	e->img.x_chroma_shift = 1;
	e->img.y_chroma_shift = 1;
	e->img.bps = 12;
	return 0;
}

// calla_vp8_encode encodes one I420 frame whose planes are Go memory:
// the pointers are used during the call only.
static int calla_vp8_encode(calla_vp8 *e, unsigned char *y, unsigned char *u, unsigned char *v,
		int ystride, int cstride, long pts, unsigned long dur, int key) {
	e->img.planes[VPX_PLANE_Y] = y;
	e->img.planes[VPX_PLANE_U] = u;
	e->img.planes[VPX_PLANE_V] = v;
	e->img.stride[VPX_PLANE_Y] = ystride;
	e->img.stride[VPX_PLANE_U] = cstride;
	e->img.stride[VPX_PLANE_V] = cstride;
	vpx_codec_err_t r = vpx_codec_encode(&e->ctx, &e->img, pts, dur, key ? VPX_EFLAG_FORCE_KF : 0, VPX_DL_REALTIME);
	e->img.planes[0] = e->img.planes[1] = e->img.planes[2] = NULL;
	e->it = NULL;
	return r;
}

// calla_vp8_next returns the next compressed packet of the last encode.
static int calla_vp8_next(calla_vp8 *e, const void **buf, size_t *sz, int *key) {
	const vpx_codec_cx_pkt_t *p;
	while ((p = vpx_codec_get_cx_data(&e->ctx, &e->it)) != NULL) {
		if (p->kind == VPX_CODEC_CX_FRAME_PKT) {
			*buf = p->data.frame.buf;
			*sz = p->data.frame.sz;
			*key = (p->data.frame.flags & VPX_FRAME_IS_KEY) != 0;
			return 1;
		}
	}
	return 0;
}

static int calla_vp8_set_rate(calla_vp8 *e, int kbps) {
	e->cfg.rc_target_bitrate = kbps;
	return vpx_codec_enc_config_set(&e->ctx, &e->cfg);
}

static void calla_vp8_close(calla_vp8 *e) {
	if (e->open) vpx_codec_destroy(&e->ctx);
	e->open = 0;
}
*/
import "C"

import (
	"fmt"
	"image"
	"io"
	"sync"
	"time"
	"unsafe"

	"github.com/pion/mediadevices/pkg/codec"
	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/mediadevices/pkg/prop"
)

// vp8Speed is libvpx's cpu-used for real time. mediadevices' vpx encoder
// leaves it at 0, the slowest real-time setting, which cost ~30% of a core
// at 640x480@30 here; -8 is what real-time VP8 senders use on desktops
// (adaptive speed, at least 8) and costs a fraction of that. See
// docs/media.md.
const vp8Speed = 16

// vp8Builder is Calla's VP8 encoder for mediadevices' codec selector:
// libvpx through cgo, like mediadevices' own, but with the real-time
// speed, rate-control buffer and keyframe-size settings a call needs,
// and without holding its lock while it waits for a camera frame (so
// Close never waits on the camera). It implements KeyFrameController and
// BitRateController.
type vp8Builder struct {
	bitrate     int // bits per second
	keyInterval int // frames
	fps         int // nominal frame rate, when the source does not say
	screen      bool
}

func (b *vp8Builder) RTPCodec() *codec.RTPCodec { return codec.NewRTPVP8Codec(90000) }

func (b *vp8Builder) BuildVideoEncoder(r video.Reader, p prop.Media) (codec.ReadCloser, error) {
	e := &vp8Encoder{r: video.ToI420(r), bitrate: b.bitrate, keyInterval: b.keyInterval, screen: b.screen}
	fps := float64(p.FrameRate)
	if fps <= 0 {
		fps = float64(b.fps)
	}
	if fps > 0 {
		// Rate control budgets bits per frame from the frame duration:
		// the nominal one keeps it steady whatever the capture jitter.
		e.frameDur = max(1, int64(1000/fps))
	}
	if p.Width > 0 && p.Height > 0 {
		if err := e.open(p.Width, p.Height); err != nil {
			e.free()
			return nil, err
		}
	}
	return e, nil
}

type vp8Encoder struct {
	r           video.Reader
	keyInterval int
	screen      bool
	frameDur    int64 // ms; 0: measure between frames
	last        time.Time
	pts         int64
	captured    time.Time // when the frame being encoded arrived (pump only)

	mu       sync.Mutex // guards everything below
	c        *C.calla_vp8
	w, h     int
	bitrate  int
	rateSet  int
	forceKey bool
	closed   bool
}

func (e *vp8Encoder) open(w, h int) error {
	if e.c == nil {
		e.c = (*C.calla_vp8)(C.calloc(1, C.sizeof_calla_vp8))
	}
	C.calla_vp8_close(e.c)
	screen := 0
	if e.screen {
		screen = 1
	}
	if rc := C.calla_vp8_open(e.c, C.int(w), C.int(h), C.int(e.bitrate/1000), C.int(e.keyInterval), vp8Speed, C.int(screen)); rc != 0 {
		return fmt.Errorf("media: VP8 encoder init failed (%d) for %dx%d", int(rc), w, h)
	}
	e.w, e.h, e.rateSet = w, h, e.bitrate
	e.forceKey = true
	return nil
}

func (e *vp8Encoder) free() {
	if e.c != nil {
		C.calla_vp8_close(e.c)
		C.free(unsafe.Pointer(e.c))
		e.c = nil
	}
}

// Read waits for the next frame (without the lock), then encodes it.
func (e *vp8Encoder) Read() ([]byte, func(), error) {
	img, release, err := e.r.Read()
	if err != nil {
		return nil, func() {}, err
	}
	e.captured = time.Now()
	defer release()
	yuv, ok := img.(*image.YCbCr)
	if !ok || yuv.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		return nil, func() {}, fmt.Errorf("media: VP8 encoder wants I420, got %T", img)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, func() {}, io.EOF
	}
	w, h := yuv.Rect.Dx(), yuv.Rect.Dy()
	if w != e.w || h != e.h || e.c == nil {
		if err := e.open(w, h); err != nil {
			return nil, func() {}, err
		}
	}
	if e.bitrate != e.rateSet {
		if C.calla_vp8_set_rate(e.c, C.int(e.bitrate/1000)) == C.VPX_CODEC_OK {
			e.rateSet = e.bitrate
		}
	}
	now := time.Now()
	dur := e.frameDur
	if dur == 0 {
		dur = now.Sub(e.last).Milliseconds()
		if e.last.IsZero() || dur < 1 {
			dur = 1
		}
	}
	e.last = now
	pts := e.pts
	e.pts += dur
	key := 0
	if e.forceKey {
		key = 1
		e.forceKey = false
	}
	y0 := yuv.YOffset(yuv.Rect.Min.X, yuv.Rect.Min.Y)
	c0 := yuv.COffset(yuv.Rect.Min.X, yuv.Rect.Min.Y)
	rc := C.calla_vp8_encode(e.c,
		(*C.uchar)(unsafe.Pointer(&yuv.Y[y0])), (*C.uchar)(unsafe.Pointer(&yuv.Cb[c0])), (*C.uchar)(unsafe.Pointer(&yuv.Cr[c0])),
		C.int(yuv.YStride), C.int(yuv.CStride), C.long(pts), C.ulong(dur), C.int(key))
	if rc != C.VPX_CODEC_OK {
		return nil, func() {}, fmt.Errorf("media: VP8 encode failed (%d)", int(rc))
	}
	var out []byte
	var buf unsafe.Pointer
	var sz C.size_t
	var isKey C.int
	for C.calla_vp8_next(e.c, &buf, &sz, &isKey) != 0 {
		out = append(out, unsafe.Slice((*byte)(buf), int(sz))...)
	}
	return out, func() {}, nil
}

// frameTime is when the frame the last Read encoded arrived from the
// camera: its capture time, as near as the encoder can tell. Only the
// goroutine that calls Read may call it.
func (e *vp8Encoder) frameTime() time.Time { return e.captured }

// ForceKeyFrame makes the next frame a keyframe.
func (e *vp8Encoder) ForceKeyFrame() error {
	e.mu.Lock()
	e.forceKey = true
	e.mu.Unlock()
	return nil
}

// SetBitRate sets the target in bits per second, applied at the next frame.
func (e *vp8Encoder) SetBitRate(bps int) error {
	if bps < 1000 {
		return fmt.Errorf("media: VP8 bitrate %d too low", bps)
	}
	e.mu.Lock()
	e.bitrate = bps
	e.mu.Unlock()
	return nil
}

func (e *vp8Encoder) Controller() codec.EncoderController { return e }

// Close frees the encoder; a Read waiting for a frame returns io.EOF.
func (e *vp8Encoder) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.closed {
		e.closed = true
		e.free()
	}
	return nil
}

var (
	_ codec.KeyFrameController = (*vp8Encoder)(nil)
	_ codec.BitRateController  = (*vp8Encoder)(nil)
)
