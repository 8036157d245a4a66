package media

import (
	"fmt"
	"time"

	"github.com/pion/rtcp"
)

// echoQueue bounds what waits for its delay: 512 items is about 10 s of
// audio or 17 s of 30 fps video, far beyond any sensible delay.
const echoQueue = 512

type echoItem struct {
	due  time.Time
	data []byte
	ts   uint32 // the RTP timestamp it arrived with
}

// echoState sends one peer's received encoded media back to it (to all
// peers, in fact: the echo bot has one) after a delay, with no decoding or
// re-encoding. Receive goroutines call forward; one goroutine per kind
// writes to the shared tracks when an item is due.
type echoState struct {
	peer  PeerID
	delay time.Duration
	audio chan echoItem
	video chan echoItem
	quit  chan struct{}
}

// forward queues a copy of an encoded frame and its RTP timestamp; if
// the queue is full the frame is dropped (a stalled writer must not
// stall the receiver).
func (e *echoState) forward(video bool, data []byte, ts uint32) {
	it := echoItem{due: time.Now().Add(e.delay), data: append([]byte(nil), data...), ts: ts}
	ch := e.audio
	if video {
		ch = e.video
	}
	select {
	case ch <- it:
	default:
	}
}

func (e *echoState) stop() { close(e.quit) }

// echoResync is how far the echoed clock may stray from real time
// before it is set again (the peer's stream restarted, or its clock
// jumped).
const echoResync = time.Second

// runEcho writes one kind's echo. The timestamps mirror the peer's own,
// shifted to the echo track's clock, so they advance as the peer's did:
// one frame per Opus packet, the capture clock for video.
func (s *Session) runEcho(ch chan echoItem, quit chan struct{}, video bool) {
	defer s.wg.Done()
	out, step := s.audioOut, uint32(opusFrame)
	if video {
		out, step = s.videoOut, 1
	}
	var shift uint32
	shifted := false
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		var it echoItem
		select {
		case <-quit:
			return
		case it = <-ch:
		}
		if wait := time.Until(it.due); wait > 0 {
			timer.Reset(wait)
			select {
			case <-quit:
				return
			case <-timer.C:
			}
		}
		now := out.at(time.Now())
		if off := int64(int32(it.ts + shift - now)); !shifted || max(off, -off) > out.ticks(echoResync) {
			shift, shifted = now-it.ts, true
		}
		_ = out.write(it.data, out.after(it.ts+shift, step))
	}
}

// EchoFrom puts the session in echo mode (the echo bot): it captures
// nothing, and its outgoing audio and video carry what peer id sends,
// delay later, as received (no decode, no re-encode). A keyframe request
// from the peer is passed upstream as a PLI on the peer's own video. Call
// it before or after AddPeer, instead of Start.
func (s *Session) EchoFrom(id PeerID, delay time.Duration) error {
	if delay < 0 || delay > 10*time.Second {
		return fmt.Errorf("%w: echo delay %v (want 0..10s)", ErrBadConfig, delay)
	}
	return s.call(func() error {
		if s.started {
			return ErrEchoMode
		}
		if s.echo.Load() != nil {
			return fmt.Errorf("%w: already echoing", ErrEchoMode)
		}
		e := &echoState{peer: id, delay: delay, audio: make(chan echoItem, echoQueue), video: make(chan echoItem, echoQueue), quit: make(chan struct{})}
		s.echo.Store(e)
		s.wg.Add(2)
		go s.runEcho(e.audio, e.quit, false)
		go s.runEcho(e.video, e.quit, true)
		s.keys.set(func() {
			s.post(func() {
				if p := s.peers[id]; p != nil && p.remoteVideoSSRC != 0 {
					_ = p.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: p.remoteVideoSSRC}})
				}
			})
		})
		s.camOn, s.micOn = true, true
		return s.setVideo(true)
	})
}
