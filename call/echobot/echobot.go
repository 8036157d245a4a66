// Package echobot is the echo bot: a program on the call engine's public
// API that answers every call and sends each caller their own audio and
// video back after a delay, as received (no decoding, no re-encoding), so
// that a user sees and hears a working call with nobody else around. The
// embedded default (package local) runs one as the "Echo Test" contact;
// `calla bot echo` runs one against any server.
//
// The bot is made of the engine's generic parts: a custom source
// (Engine.UseCustomSource, SendEncodedFrame) instead of a camera and a
// microphone, and the caller's media taken encoded
// (StartRemoteEncodedView); a keyframe request from the caller goes back
// up to the caller's encoder (RequestKeyFrame). The frames go back with
// the caller's own RTP timestamps, shifted by the delay, so they advance
// as the caller's did. The bot claims to send only what it receives
// (SetCustomSourceMedia, following the caller's onUserVideoAvailable and
// onUserAudioAvailable): a voice call's caller sends no video, and a
// caller told of video that never comes would rate the link Down. The
// engine knows nothing of echoing.
//
// Concurrency: Handle is called by the goroutine that reads the engine's
// events. The bot runs one writer goroutine per kind (audio, video) that
// sends each frame when it is due, and a goroutine per Accept; Close stops
// them all.
package echobot

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/calla-rtc/calla/call"
	"github.com/calla-rtc/calla/signaling"
)

// DefaultDelay is how late callers get their own media back.
const DefaultDelay = time.Second

// MaxDelay is the longest delay the bot takes.
const MaxDelay = 10 * time.Second

// queueLen bounds what waits for its delay: 512 frames is about 10 s of
// audio or 17 s of 30 fps video, beyond any delay the bot takes. A frame
// that finds its queue full is dropped: a stalled writer must not stall
// the receiver.
const queueLen = 512

// Bot is an echo bot on one engine.
type Bot struct {
	e     *call.Engine
	delay time.Duration
	log   *slog.Logger
	audio chan item
	video chan item
	ctx   context.Context
	stop  context.CancelFunc
	wg    sync.WaitGroup

	mu     sync.Mutex
	caller signaling.UserID // whose media the current call echoes
	call   signaling.CallID
	// What the caller sends, and so the bot: Handle's alone.
	sendsVideo, sendsAudio bool
}

type item struct {
	due  time.Time
	f    call.EncodedFrame
	call signaling.CallID // a frame of a call that ended is not sent
}

// New makes e an echo bot that sends callers their media back after
// delay (0 < delay <= MaxDelay; 0 means DefaultDelay). Feed it every one
// of e's events with Handle; Close it before e.
func New(e *call.Engine, delay time.Duration, log *slog.Logger) *Bot {
	if delay <= 0 {
		delay = DefaultDelay
	}
	delay = min(delay, MaxDelay)
	if log == nil {
		log = slog.Default()
	}
	b := &Bot{e: e, delay: delay, log: log, audio: make(chan item, queueLen), video: make(chan item, queueLen)}
	b.ctx, b.stop = context.WithCancel(context.Background())
	e.UseCustomSource(b)
	b.wg.Add(2)
	go b.write(b.audio)
	go b.write(b.video)
	return b
}

// Handle reacts to one of the engine's events: it answers an invitation
// and echoes its caller; the call's end stops the echo.
func (b *Bot) Handle(ev call.Event) {
	switch ev := ev.(type) {
	case *call.CallReceived:
		b.mu.Lock()
		b.caller, b.call = ev.CallerID, ev.CallID
		b.mu.Unlock()
		b.e.StartRemoteEncodedView(ev.CallerID, b.forward(ev.CallID))
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
			defer cancel()
			if err := b.e.Accept(ctx); err != nil {
				b.log.Warn("echo bot could not accept", "call", ev.CallID, "err", err)
			}
		}()
	case *call.UserVideoAvailable:
		b.mirror(ev.CallID, ev.UserID, &b.sendsVideo, ev.IsVideoAvailable)
	case *call.UserAudioAvailable:
		b.mirror(ev.CallID, ev.UserID, &b.sendsAudio, ev.IsAudioAvailable)
	case *call.CallEnd:
		b.ended(ev.CallID)
	case *call.CallCancelled:
		b.ended(ev.CallID)
	}
}

// mirror sets what the bot sends (*kind) to what the caller of call id
// does.
func (b *Bot) mirror(id signaling.CallID, user signaling.UserID, kind *bool, on bool) {
	b.mu.Lock()
	current := b.call == id && b.caller == user
	b.mu.Unlock()
	if !current || *kind == on {
		return
	}
	*kind = on
	b.e.SetCustomSourceMedia(b.sendsVideo, b.sendsAudio)
}

func (b *Bot) ended(id signaling.CallID) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.call == id {
		b.e.StopRemoteEncodedView(b.caller)
		b.caller, b.call = "", ""
		b.sendsVideo, b.sendsAudio = false, false
	}
}

// forward is the caller's encoded sink for call id: each frame is queued
// to go back after the delay.
func (b *Bot) forward(id signaling.CallID) call.EncodedSink {
	return sinkFunc(func(f call.EncodedFrame) {
		ch := b.audio
		if f.Video {
			ch = b.video
		}
		select {
		case ch <- item{due: time.Now().Add(b.delay), f: f, call: id}:
		default:
		}
	})
}

// write sends each queued frame when it is due.
func (b *Bot) write(ch chan item) {
	defer b.wg.Done()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		var it item
		select {
		case <-b.ctx.Done():
			return
		case it = <-ch:
		}
		if wait := time.Until(it.due); wait > 0 {
			timer.Reset(wait)
			select {
			case <-b.ctx.Done():
				return
			case <-timer.C:
			}
		}
		b.mu.Lock()
		current := b.call == it.call
		b.mu.Unlock()
		if current {
			_ = b.e.SendEncodedFrame(it.f)
		}
	}
}

// KeyFrameRequested passes a caller's request for a keyframe up to the
// caller's own encoder: the bot has none.
func (b *Bot) KeyFrameRequested() {
	b.mu.Lock()
	caller := b.caller
	b.mu.Unlock()
	if caller != "" {
		b.e.RequestKeyFrame(caller)
	}
}

// Close stops the bot's goroutines (waiting for an Accept on its way).
func (b *Bot) Close() {
	b.stop()
	b.wg.Wait()
}

type sinkFunc func(call.EncodedFrame)

func (f sinkFunc) ReceiveEncoded(fr call.EncodedFrame) { f(fr) }
