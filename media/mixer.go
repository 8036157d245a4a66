package media

/*
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// calla_jb is one peer's jitter buffer: a single-producer, single-consumer
// ring of 48 kHz mono S16 samples in C memory. The peer's receive
// goroutine writes (under playback.mu); the mixer, on miniaudio's audio
// thread, reads. Neither waits for the other.
typedef struct {
	int16_t *buf;
	uint64_t mask;     // capacity - 1, capacity a power of two
	uint64_t head;     // samples written: the producer stores (release)
	uint64_t tail;     // samples read: the consumer stores (release)
	uint64_t target;   // depth to reach before playing
	uint64_t max;      // deeper than this, the oldest samples go
	int playing;       // consumer only
	uint64_t dry;      // times it ran dry while playing (consumer)
} calla_jb;

// calla_played keeps the last samples the mixer played: the echo
// canceller's far end (aecref.go). One writer, the mixer; any number of
// readers, each with its own position, which never write: the writer
// never waits and overwrites the oldest, and a reader checks afterwards
// that what it copied was not overwritten meanwhile.
typedef struct {
	int16_t *buf;
	uint64_t mask;     // capacity - 1, capacity a power of two
	uint64_t head;     // samples written: the writer stores (release)
} calla_played;

static calla_played *calla_played_new(uint64_t capacity) {
	calla_played *p = calloc(1, sizeof(calla_played));
	if (p == NULL) return NULL;
	p->buf = calloc(capacity, sizeof(int16_t));
	if (p->buf == NULL) { free(p); return NULL; }
	p->mask = capacity - 1;
	return p;
}

static void calla_played_free(calla_played *p) {
	if (p == NULL) return;
	free(p->buf);
	free(p);
}

static void calla_played_write(calla_played *p, const int16_t *s, uint64_t n) {
	uint64_t head = p->head;
	for (uint64_t i = 0; i < n; i++) p->buf[(head + i) & p->mask] = s[i];
	__atomic_store_n(&p->head, head + n, __ATOMIC_RELEASE);
}

static uint64_t calla_played_head(calla_played *p) { return __atomic_load_n(&p->head, __ATOMIC_ACQUIRE); }

// calla_played_copy copies the n samples from position pos into dst and
// returns 1, or 0 if they are not all written yet or were (perhaps while
// copying) overwritten.
static int calla_played_copy(calla_played *p, uint64_t pos, int16_t *dst, uint64_t n) {
	uint64_t head = __atomic_load_n(&p->head, __ATOMIC_ACQUIRE);
	if (pos + n > head || head - pos > p->mask + 1) return 0;
	for (uint64_t i = 0; i < n; i++) dst[i] = p->buf[(pos + i) & p->mask];
	head = __atomic_load_n(&p->head, __ATOMIC_ACQUIRE);
	return head - pos <= p->mask + 1;
}

// calla_loop is a sound played over and over (the ringtone): read-only
// samples, and a position only the mixer moves.
typedef struct {
	int16_t *pcm;
	uint64_t n;
	uint64_t pos;
} calla_loop;

static calla_loop *calla_loop_new(const int16_t *pcm, uint64_t n) {
	calla_loop *l = calloc(1, sizeof(calla_loop));
	if (l == NULL) return NULL;
	l->pcm = malloc(n * sizeof(int16_t));
	if (l->pcm == NULL) { free(l); return NULL; }
	memcpy(l->pcm, pcm, n * sizeof(int16_t));
	l->n = n;
	return l;
}

static void calla_loop_free(calla_loop *l) {
	if (l == NULL) return;
	free(l->pcm);
	free(l);
}

#define CALLA_SLOTS 16

// calla_mixer mixes every peer's jitter buffer into the device's output.
// The slots are published with release stores and read with acquire
// loads; gen is odd while a read runs, so that a removed buffer is freed
// only once no read can still hold it.
typedef struct {
	calla_jb *slot[CALLA_SLOTS];
	uint64_t gen;
	uint64_t frames;   // frames the device asked for
	calla_played *played; // gets every mix, if set (before the device starts)
	calla_loop *loop;     // played over and over on top of the peers, if set
} calla_mixer;

static calla_jb *calla_jb_new(uint64_t capacity, uint64_t target, uint64_t max) {
	calla_jb *b = calloc(1, sizeof(calla_jb));
	if (b == NULL) return NULL;
	b->buf = calloc(capacity, sizeof(int16_t));
	if (b->buf == NULL) { free(b); return NULL; }
	b->mask = capacity - 1;
	b->target = target;
	b->max = max;
	return b;
}

static void calla_jb_free(calla_jb *b) {
	if (b == NULL) return;
	free(b->buf);
	free(b);
}

// calla_jb_write appends up to n samples and returns how many fitted; a
// full buffer drops the newest (the consumer trims the oldest).
static uint64_t calla_jb_write(calla_jb *b, const int16_t *s, uint64_t n) {
	uint64_t head = b->head;
	uint64_t tail = __atomic_load_n(&b->tail, __ATOMIC_ACQUIRE);
	uint64_t space = (b->mask + 1) - (head - tail);
	if (n > space) n = space;
	for (uint64_t i = 0; i < n; i++) b->buf[(head + i) & b->mask] = s[i];
	__atomic_store_n(&b->head, head + n, __ATOMIC_RELEASE);
	return n;
}

static uint64_t calla_jb_queued(calla_jb *b) {
	uint64_t tail = __atomic_load_n(&b->tail, __ATOMIC_ACQUIRE);
	return __atomic_load_n(&b->head, __ATOMIC_ACQUIRE) - tail;
}

static uint64_t calla_jb_dry(calla_jb *b) { return __atomic_load_n(&b->dry, __ATOMIC_RELAXED); }

static int calla_mixer_put(calla_mixer *m, calla_jb *b) {
	for (int i = 0; i < CALLA_SLOTS; i++) {
		if (__atomic_load_n(&m->slot[i], __ATOMIC_RELAXED) == NULL) {
			__atomic_store_n(&m->slot[i], b, __ATOMIC_RELEASE);
			return i;
		}
	}
	return -1;
}

// calla_mixer_clear empties slot i and returns the generation to hand to
// calla_mixer_quiet before the buffer that was there may be freed.
static uint64_t calla_mixer_clear(calla_mixer *m, int i) {
	__atomic_store_n(&m->slot[i], NULL, __ATOMIC_SEQ_CST);
	return __atomic_load_n(&m->gen, __ATOMIC_SEQ_CST);
}

// calla_mixer_swap_loop makes l the loop (NULL: none) and returns the
// old one with, in *gen, the generation to hand to calla_mixer_quiet
// before it may be freed.
static calla_loop *calla_mixer_swap_loop(calla_mixer *m, calla_loop *l, uint64_t *gen) {
	calla_loop *old = __atomic_exchange_n(&m->loop, l, __ATOMIC_SEQ_CST);
	*gen = __atomic_load_n(&m->gen, __ATOMIC_SEQ_CST);
	return old;
}

// calla_mixer_quiet reports whether no read that began before a clear
// (which returned g) can still be running.
static int calla_mixer_quiet(calla_mixer *m, uint64_t g) {
	return (g & 1) == 0 || __atomic_load_n(&m->gen, __ATOMIC_SEQ_CST) != g;
}

static void calla_mixer_set_played(calla_mixer *m, calla_played *p) { __atomic_store_n(&m->played, p, __ATOMIC_RELEASE); }

static uint64_t calla_mixer_frames(calla_mixer *m) { return __atomic_load_n(&m->frames, __ATOMIC_RELAXED); }

// calla_mixer_read writes frames mixed samples into out. Each buffer
// starts playing at its target depth, is trimmed back to the target when
// it grows past its max, and when it runs dry drops what is left and
// fills up again.
static void calla_mixer_read(calla_mixer *m, int16_t *out, uint32_t frames) {
	__atomic_add_fetch(&m->gen, 1, __ATOMIC_SEQ_CST);
	calla_jb *play[CALLA_SLOTS];
	int np = 0;
	for (int i = 0; i < CALLA_SLOTS; i++) {
		// Sequentially consistent, like the clear and the gen updates, so
		// that a read which saw an even gen before a clear cannot then
		// see the cleared buffer (on arm64 too).
		calla_jb *b = __atomic_load_n(&m->slot[i], __ATOMIC_SEQ_CST);
		if (b == NULL) continue;
		uint64_t head = __atomic_load_n(&b->head, __ATOMIC_ACQUIRE);
		uint64_t q = head - b->tail;
		if (q > b->max) {
			__atomic_store_n(&b->tail, head - b->target, __ATOMIC_RELEASE);
			q = b->target;
		}
		if (!b->playing && q >= b->target) b->playing = 1;
		if (!b->playing) continue;
		if (q < frames) {
			b->playing = 0;
			__atomic_store_n(&b->dry, b->dry + 1, __ATOMIC_RELAXED);
			__atomic_store_n(&b->tail, head, __ATOMIC_RELEASE);
			continue;
		}
		play[np++] = b;
	}
	calla_loop *loop = __atomic_load_n(&m->loop, __ATOMIC_SEQ_CST);
	int32_t acc[256];
	for (uint32_t off = 0; off < frames; off += 256) {
		uint32_t n = frames - off < 256 ? frames - off : 256;
		memset(acc, 0, n * sizeof(int32_t));
		for (int k = 0; k < np; k++) {
			calla_jb *b = play[k];
			for (uint32_t i = 0; i < n; i++) acc[i] += b->buf[(b->tail + off + i) & b->mask];
		}
		if (loop != NULL) {
			for (uint32_t i = 0; i < n; i++) {
				acc[i] += loop->pcm[loop->pos];
				if (++loop->pos == loop->n) loop->pos = 0;
			}
		}
		for (uint32_t i = 0; i < n; i++) {
			int32_t v = acc[i];
			out[off + i] = v > 32767 ? 32767 : v < -32768 ? -32768 : (int16_t)v;
		}
	}
	for (int k = 0; k < np; k++) __atomic_store_n(&play[k]->tail, play[k]->tail + frames, __ATOMIC_RELEASE);
	calla_played *pl = __atomic_load_n(&m->played, __ATOMIC_ACQUIRE);
	if (pl != NULL) calla_played_write(pl, out, frames);
	__atomic_store_n(&m->frames, m->frames + frames, __ATOMIC_RELAXED);
	__atomic_add_fetch(&m->gen, 1, __ATOMIC_SEQ_CST);
}

// calla_mixer_play is miniaudio's data callback (ma_device_data_proc) for
// a mono S16 playback device whose pUserData is the mixer: the audio
// thread never enters Go.
static void calla_mixer_play(void *device, void *out, const void *in, uint32_t frames) {
	calla_mixer_read(*(calla_mixer **)((char *)device + 6 * sizeof(void *)), out, frames);
}

// malgo's exported stop callback: its address identifies the onStop field.
extern void goStopCallback(void *device);

// calla_mixer_attach points an initialised, not yet started miniaudio
// playback device at the mixer. It checks the head of struct ma_device
// (miniaudio 0.11: pContext, type, sampleRate, state, onData,
// onNotification, onStop, pUserData) against what malgo must have put
// there, and changes nothing unless every check holds: 0 means attached.
static int calla_mixer_attach(void *device, calla_mixer *m, uint32_t rate) {
	if (sizeof(void *) != 8) return 1;
	char *d = device;
	void **slot = (void **)d;
	if (*(uint32_t *)(d + 8) != 1) return 2;                  // type: ma_device_type_playback
	if (*(uint32_t *)(d + 12) != rate) return 3;              // sampleRate
	if (slot[3] == NULL) return 4;                            // onData: malgo's wrapper
	if (slot[5] != (void *)goStopCallback) return 5;          // onStop
	if (slot[6] != NULL) return 6;                            // pUserData, unused by malgo
	slot[6] = m;
	__atomic_store_n(&slot[3], (void *)calla_mixer_play, __ATOMIC_RELEASE);
	return 0;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"

	"github.com/gen2brain/malgo"
)

// mixer is playback's C half: one jitter buffer per peer, a looping sound
// (the ringtone player's), and the mix of them, read by miniaudio's audio
// thread without calling into Go.
//
// Why C: a Go data callback on miniaudio's thread leaves that thread
// holding a P while it waits in C for the next period; sysmon keeps
// retaking it and the scheduler keeps handing Ps around, which cost about
// 4% of a core in a 1v1 call here (docs/media.md, "Playback"). And a Go
// callback can stall behind a garbage-collection pause, which a real-time
// audio thread must never do.
type mixer struct {
	m            *C.calla_mixer
	retired      []retiredJB   // removed buffers a read may still hold
	retiredLoops []retiredLoop // replaced loops a read may still hold
}

type retiredJB struct {
	b   *C.calla_jb
	gen C.uint64_t
}

type retiredLoop struct {
	l   *C.calla_loop
	gen C.uint64_t
}

// jitterBuffer is one peer's buffer in the mixer.
type jitterBuffer struct {
	b    *C.calla_jb
	slot C.int
}

var errNoSlot = errors.New("media: no room in the mixer for another peer")

func newMixer() (*mixer, error) {
	m := (*C.calla_mixer)(C.calloc(1, C.size_t(unsafe.Sizeof(C.calla_mixer{}))))
	if m == nil {
		return nil, errors.New("media: out of memory for the mixer")
	}
	return &mixer{m: m}, nil
}

// add creates a jitter buffer that starts playing at target samples and
// keeps at most max.
func (x *mixer) add(target, max int) (*jitterBuffer, error) {
	capacity := 1
	for capacity < max+opusRate/10 { // room for max plus 100 ms in flight
		capacity *= 2
	}
	b := C.calla_jb_new(C.uint64_t(capacity), C.uint64_t(target), C.uint64_t(max))
	if b == nil {
		return nil, errors.New("media: out of memory for a jitter buffer")
	}
	slot := C.calla_mixer_put(x.m, b)
	if slot < 0 {
		C.calla_jb_free(b)
		return nil, errNoSlot
	}
	return &jitterBuffer{b: b, slot: slot}, nil
}

// remove takes jb out of the mix; its memory goes once no read holds it.
func (x *mixer) remove(jb *jitterBuffer) {
	g := C.calla_mixer_clear(x.m, jb.slot)
	x.retired = append(x.retired, retiredJB{jb.b, g})
	x.collect()
}

// collect frees the retired buffers and loops no read can still hold.
func (x *mixer) collect() {
	kept := x.retired[:0]
	for _, r := range x.retired {
		if C.calla_mixer_quiet(x.m, r.gen) != 0 {
			C.calla_jb_free(r.b)
		} else {
			kept = append(kept, r)
		}
	}
	clear(x.retired[len(kept):])
	x.retired = kept
	keptLoops := x.retiredLoops[:0]
	for _, r := range x.retiredLoops {
		if C.calla_mixer_quiet(x.m, r.gen) != 0 {
			C.calla_loop_free(r.l)
		} else {
			keptLoops = append(keptLoops, r)
		}
	}
	clear(x.retiredLoops[len(keptLoops):])
	x.retiredLoops = keptLoops
}

// setLoop plays pcm over and over on top of the peers (nil or empty:
// stop); the previous loop's memory goes once no read holds it.
func (x *mixer) setLoop(pcm []int16) error {
	var l *C.calla_loop
	if len(pcm) > 0 {
		l = C.calla_loop_new((*C.int16_t)(unsafe.Pointer(&pcm[0])), C.uint64_t(len(pcm)))
		if l == nil {
			return errors.New("media: out of memory for a sound")
		}
	}
	var g C.uint64_t
	if old := C.calla_mixer_swap_loop(x.m, l, &g); old != nil {
		x.retiredLoops = append(x.retiredLoops, retiredLoop{old, g})
	}
	x.collect()
	return nil
}

// attach makes dev (initialised by malgo, not started) read the mixer. An
// error means dev is untouched and still calls its Go callback.
func (x *mixer) attach(dev *malgo.Device, rate int) error {
	// malgo.Device is struct{ ptr *unsafe.Pointer }, the pointer to its C
	// ma_device; malgo has no exported accessor.
	if unsafe.Sizeof(*dev) != unsafe.Sizeof(uintptr(0)) {
		return errors.New("media: malgo.Device is not the one expected")
	}
	ptr := *(*unsafe.Pointer)(unsafe.Pointer(dev))
	if ptr == nil {
		return errors.New("media: no device to attach to")
	}
	if rc := C.calla_mixer_attach(*(*unsafe.Pointer)(ptr), x.m, C.uint32_t(rate)); rc != 0 {
		return fmt.Errorf("media: miniaudio's device layout is not the one expected (check %d)", int(rc))
	}
	return nil
}

// read mixes len(out) samples, as the device does: the Go callback's path
// where the mixer could not be attached, and tests'.
func (x *mixer) read(out []int16) {
	if len(out) > 0 {
		C.calla_mixer_read(x.m, (*C.int16_t)(unsafe.Pointer(&out[0])), C.uint32_t(len(out)))
	}
}

// setPlayed makes every mix go into r too (nil: no more). Set it before
// the device starts; r must outlive the device's reads.
func (x *mixer) setPlayed(r *playedRing) {
	var p *C.calla_played
	if r != nil {
		p = r.p
	}
	C.calla_mixer_set_played(x.m, p)
}

// frames is how many samples the device has asked for.
func (x *mixer) frames() uint64 { return uint64(C.calla_mixer_frames(x.m)) }

// free releases everything; no device may read the mixer any more.
func (x *mixer) free() {
	for i := range C.CALLA_SLOTS {
		if b := x.m.slot[i]; b != nil {
			C.calla_jb_free(b)
		}
	}
	for _, r := range x.retired {
		C.calla_jb_free(r.b)
	}
	x.retired = nil
	C.calla_loop_free(x.m.loop)
	for _, r := range x.retiredLoops {
		C.calla_loop_free(r.l)
	}
	x.retiredLoops = nil
	C.free(unsafe.Pointer(x.m))
	x.m = nil
}

// write appends samples to jb and returns how many fitted.
func (jb *jitterBuffer) write(s []int16) int {
	if len(s) == 0 {
		return 0
	}
	return int(C.calla_jb_write(jb.b, (*C.int16_t)(unsafe.Pointer(&s[0])), C.uint64_t(len(s))))
}

// queued is how many samples wait in jb.
func (jb *jitterBuffer) queued() int { return int(C.calla_jb_queued(jb.b)) }

// dry is how many times jb ran dry while playing.
func (jb *jitterBuffer) dry() uint64 { return uint64(C.calla_jb_dry(jb.b)) }

// playedRing is the C ring of what the mixer played (calla_played): the
// echo canceller's far end, read by position.
type playedRing struct{ p *C.calla_played }

// playedCap is the ring's size: 341 ms, far more than a reader may lag
// (refMaxLate).
const playedCap = 1 << 14

func newPlayedRing() (*playedRing, error) {
	p := C.calla_played_new(playedCap)
	if p == nil {
		return nil, errors.New("media: out of memory for the played ring")
	}
	return &playedRing{p: p}, nil
}

// write appends samples, as the mixer does: for tests and Go paths.
// One writer at a time.
func (r *playedRing) write(s []int16) {
	if len(s) > 0 {
		C.calla_played_write(r.p, (*C.int16_t)(unsafe.Pointer(&s[0])), C.uint64_t(len(s)))
	}
}

// head is how many samples have been written.
func (r *playedRing) head() int64 { return int64(C.calla_played_head(r.p)) }

// copyAt copies the samples from position pos into dst; false means they
// are not all written yet, or were overwritten.
func (r *playedRing) copyAt(pos int64, dst []int16) bool {
	if len(dst) == 0 {
		return true
	}
	if pos < 0 {
		return false
	}
	return C.calla_played_copy(r.p, C.uint64_t(pos), (*C.int16_t)(unsafe.Pointer(&dst[0])), C.uint64_t(len(dst))) != 0
}

// free releases the ring; nothing may write or read it any more.
func (r *playedRing) free() {
	C.calla_played_free(r.p)
	r.p = nil
}
