package media

/*
#cgo pkg-config: speexdsp
#include <stdlib.h>
#include <speex/speex_echo.h>
#include <speex/speex_preprocess.h>

// calla_aec is one canceller: speexdsp's echo canceller (MDF) and its
// preprocessor, which, with the echo state attached, suppresses the echo
// the linear filter leaves.
typedef struct {
	SpeexEchoState *echo;
	SpeexPreprocessState *pre;
} calla_aec;

static calla_aec *calla_aec_new(int frame, int tail, int rate) {
	calla_aec *a = calloc(1, sizeof *a);
	if (!a) return NULL;
	a->echo = speex_echo_state_init(frame, tail);
	a->pre = speex_preprocess_state_init(frame, rate);
	if (!a->echo || !a->pre) {
		if (a->echo) speex_echo_state_destroy(a->echo);
		if (a->pre) speex_preprocess_state_destroy(a->pre);
		free(a);
		return NULL;
	}
	speex_echo_ctl(a->echo, SPEEX_ECHO_SET_SAMPLING_RATE, &rate);
	speex_preprocess_ctl(a->pre, SPEEX_PREPROCESS_SET_ECHO_STATE, a->echo);
	// Residual echo suppression is part of the preprocessor's spectral
	// gain, which it applies only with denoising on; its noise
	// suppression stays at speex's default depth (-15 dB). No AGC.
	int on = 1, off = 0;
	speex_preprocess_ctl(a->pre, SPEEX_PREPROCESS_SET_DENOISE, &on);
	speex_preprocess_ctl(a->pre, SPEEX_PREPROCESS_SET_AGC, &off);
	return a;
}

// calla_aec_run cancels one frame: near is the microphone, far what the
// speaker played, out the result (may alias neither). Without residual,
// only the linear filter runs (tests measure it alone).
static void calla_aec_run(calla_aec *a, const spx_int16_t *near, const spx_int16_t *far, spx_int16_t *out, int residual) {
	speex_echo_cancellation(a->echo, near, far, out);
	if (residual) speex_preprocess_run(a->pre, out);
}

// calla_aec_reset forgets the echo path (the far end moved).
static void calla_aec_reset(calla_aec *a) {
	speex_echo_state_reset(a->echo);
}

static void calla_aec_free(calla_aec *a) {
	speex_preprocess_state_destroy(a->pre);
	speex_echo_state_destroy(a->echo);
	free(a);
}
*/
import "C"

import (
	"errors"
	"sync"
	"unsafe"
)

// Acoustic echo cancellation goes through speexdsp (cgo, pkg-config
// speexdsp): a plain C API packaged everywhere Calla builds. WebRTC's
// AEC3 (webrtc-audio-processing) cancels better but is C++ only in
// Debian 12; it is the planned upgrade (docs/media.md, Echo).

const (
	// aecFrame is the canceller's frame: 20 ms at 48 kHz, the capture's
	// chunk and the Opus frame, so one chunk is one call into C.
	aecFrame = opusRate / 50
	// aecTail is how long an echo path the filter models: 200 ms covers
	// the output and input buffering (typically 40..120 ms together) plus
	// a room's reverberation that matters.
	aecTail = opusRate / 5
)

var errAECInit = errors.New("media: echo canceller: speexdsp init failed")

// echoCanceller wraps one speexdsp canceller: 48 kHz mono int16 frames of
// aecFrame samples. It is used from one goroutine at a time (the capture
// pump's reads); the mutex only makes close safe against a late process.
type echoCanceller struct {
	mu sync.Mutex
	a  *C.calla_aec
	// linearOnly skips the residual echo suppression (and denoising):
	// tests set it to measure the adaptive filter alone.
	linearOnly bool
}

func newEchoCanceller() (*echoCanceller, error) {
	a := C.calla_aec_new(C.int(aecFrame), C.int(aecTail), C.int(opusRate))
	if a == nil {
		return nil, errAECInit
	}
	return &echoCanceller{a: a}, nil
}

// process cancels the echo of far (what the speaker played) in near (the
// microphone) into out. Each slice holds aecFrame samples; out may not
// alias near or far. After close, out is a copy of near.
func (e *echoCanceller) process(near, far, out []int16) {
	if len(near) != aecFrame || len(far) != aecFrame || len(out) != aecFrame {
		panic("media: echo canceller: frame size")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.a == nil {
		copy(out, near)
		return
	}
	C.calla_aec_run(e.a, (*C.spx_int16_t)(unsafe.Pointer(&near[0])),
		(*C.spx_int16_t)(unsafe.Pointer(&far[0])), (*C.spx_int16_t)(unsafe.Pointer(&out[0])), C.int(boolInt(!e.linearOnly)))
}

// reset forgets the echo path learnt so far: the far end moved against
// the microphone, and converging afresh is faster than unlearning.
func (e *echoCanceller) reset() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.a != nil {
		C.calla_aec_reset(e.a)
	}
}

// close frees the C state; it is idempotent.
func (e *echoCanceller) close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.a != nil {
		C.calla_aec_free(e.a)
		e.a = nil
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
