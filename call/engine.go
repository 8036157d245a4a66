package call

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/calla-rtc/calla/internal/unbounded"
	"github.com/calla-rtc/calla/media"
	"github.com/calla-rtc/calla/signaling"
)

// Engine is Calla's TUICallEngine: it logs in to a signaling server,
// places and answers calls, runs their media, and reports everything that
// happens as Events, in order. Create one with New; Close it when done.
//
// All methods may be called from any goroutine. Each returns nil, or an
// *Error that the engine has also emitted as onError.
type Engine struct {
	cfg    Config
	hooks  testHooks // zero outside the package's tests
	log    *slog.Logger
	events *unbounded.Queue[Event]
	inbox  chan func() // work for the loop: API calls, async results, timers
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{} // closed when the loop has returned
	wg     sync.WaitGroup
	relay  *relayer

	closeOnce sync.Once

	// Owned by the loop goroutine.
	client       *signaling.Client
	clientEvents <-chan signaling.Event
	// replies are the requests on their way: what to do with each reply,
	// which arrives with the client's events, in the server's order.
	replies     map[uint64]func(*signaling.Reply)
	self        signaling.UserID
	call        *callState
	mediaEvents <-chan media.Event
	// lastSessionClosed is closed when the previous call's media session
	// has released its devices; the next session waits for it.
	lastSessionClosed chan struct{}
	dev               deviceState
	remoteViews       map[signaling.UserID]VideoSink
	remoteEncoded     map[signaling.UserID]EncodedSink
	localView         VideoSink
	// media is the current call's media, for SendEncodedFrame, which
	// does not go through the loop. Set and cleared on the loop.
	media atomic.Pointer[callMedia]
}

// deviceState is what the user asked of the local devices, kept across
// calls (TUICallKit's openCamera / closeCamera and friends).
type deviceState struct {
	cameraOff, micOff          bool
	cameraID, micID, speakerID string
	video                      media.VideoParams // complete: Config.Video over the defaults
	noEchoCancellation         bool
	custom                     CustomSource // nil: the camera and microphone
}

// New returns an engine that is not logged in. Its loop runs until Close.
func New(cfg Config) *Engine { return newEngine(cfg, testHooks{}) }

func newEngine(cfg Config, hooks testHooks) *Engine {
	cfg = cfg.withDefaults()
	e := &Engine{
		cfg:               cfg,
		hooks:             hooks,
		log:               cfg.Logger.With("component", "call"),
		events:            unbounded.New[Event](),
		inbox:             make(chan func(), 64),
		done:              make(chan struct{}),
		remoteViews:       map[signaling.UserID]VideoSink{},
		remoteEncoded:     map[signaling.UserID]EncodedSink{},
		replies:           map[uint64]func(*signaling.Reply){},
		lastSessionClosed: closedChan(),
	}
	e.dev.cameraID, e.dev.micID, e.dev.speakerID = cfg.CameraID, cfg.MicrophoneID, cfg.SpeakerID
	e.dev.video = cfg.Video.over(media.DefaultVideoParams)
	e.dev.noEchoCancellation = cfg.NoEchoCancellation
	e.ctx, e.cancel = context.WithCancel(context.Background())
	e.relay = newRelayer(e)
	go e.run()
	return e
}

// Events is the engine's one ordered stream of events. It never drops an
// event (it queues without bound while nobody reads) and is closed after
// Close.
func (e *Engine) Events() <-chan Event { return e.events.Out() }

// Close hangs up any call, logs out, stops every goroutine the engine
// started and closes Events once the events queued before it are read
// (or at once if nobody reads them within a second).
func (e *Engine) Close() error {
	e.closeOnce.Do(func() {
		// Leave the server cleanly while the loop still runs.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = e.do(ctx, "close", func(done func(error)) {
			e.logout(func() { done(nil) })
		})
		cancel()
		e.cancel()
		<-e.done
		e.relay.stop()
		e.wg.Wait()
		e.events.Close()
		select {
		case <-e.events.Delivered():
		case <-time.After(time.Second):
		}
		e.events.Discard()
	})
	return nil
}

func (e *Engine) run() {
	defer close(e.done)
	for {
		select {
		case f := <-e.inbox:
			f()
		case ev, ok := <-e.clientEvents:
			if !ok {
				e.clientEvents = nil
				continue
			}
			e.onSignaling(ev)
		case ev, ok := <-e.mediaEvents:
			if !ok {
				e.mediaEvents = nil
				continue
			}
			e.onMedia(ev)
		case <-e.ctx.Done():
			e.shutdown()
			return
		}
	}
}

// shutdown releases what the loop owns when the engine closes.
func (e *Engine) shutdown() {
	if e.call != nil {
		e.endCall()
	}
	if e.client != nil {
		e.dropClient()
	}
	<-e.lastSessionClosed
}

// post queues f for the loop; false when the engine is closing.
func (e *Engine) post(f func()) bool {
	select {
	case e.inbox <- f:
		return true
	case <-e.ctx.Done():
		return false
	}
}

// do runs f on the loop and waits for the result f reports through done,
// at once or later (after work off the loop), exactly once. A failure is
// emitted as onError, on the loop, before the method returns it.
func (e *Engine) do(ctx context.Context, op string, f func(done func(error))) error {
	reply := make(chan *Error, 1)
	ok := e.post(func() {
		answered := false // done is called on the loop; only the first counts
		f(func(err error) {
			if answered {
				e.log.Error("an operation answered twice", "op", op, "err", err)
				return
			}
			answered = true
			if err == nil {
				reply <- nil
				return
			}
			ce := errorOf(op, err)
			if ce != errHungUpEarly {
				e.emit(ce)
			}
			reply <- ce
		})
	})
	if !ok {
		return errorf(signaling.CodeRequestRefused, "could not %s: the engine is closed", op)
	}
	select {
	case ce := <-reply:
		if ce == nil {
			return nil
		}
		return ce
	case <-ctx.Done():
		ce := errorf(signaling.CodeRequestRefused, "%s: %v", op, ctx.Err())
		ce.cause = ctx.Err()
		return ce
	case <-e.done:
		select {
		case ce := <-reply:
			if ce == nil {
				return nil
			}
			return ce
		default:
			return errorf(signaling.CodeRequestRefused, "could not %s: the engine is closed", op)
		}
	}
}

// spawn runs work off the loop and then then(err) back on it. When the
// engine closes first, then does not run.
func (e *Engine) spawn(work func(ctx context.Context) error, then func(error)) {
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		err := work(e.ctx)
		e.post(func() { then(err) })
	}()
}

// after runs f on the loop after d, unless the engine closes first. The
// returned func cancels it.
func (e *Engine) after(d time.Duration, f func()) (cancel func()) {
	t := time.AfterFunc(d, func() { e.post(f) })
	return func() { t.Stop() }
}

// send makes one request to the server without waiting: then runs on
// the loop with the reply, which comes in the server's order with its
// events (every event the server sent after the reply is handled after
// it), or with why none came (RequestTimeout, the client dropped). With
// no client, then runs at once with errNotLoggedIn.
func (e *Engine) send(t signaling.RequestType, payload any, then func(*signaling.Reply)) {
	if e.client == nil {
		then(&signaling.Reply{Type: t, Err: errNotLoggedIn()})
		return
	}
	id := e.client.Send(t, payload, e.cfg.RequestTimeout)
	if id == 0 { // the client is closing
		then(&signaling.Reply{Type: t, Err: signaling.ErrClosed})
		return
	}
	e.replies[id] = then
}

// onReply hands a reply to the request that waits for it.
func (e *Engine) onReply(r *signaling.Reply) {
	if then := e.replies[r.ID]; then != nil {
		delete(e.replies, r.ID)
		then(r)
	}
}

// failReplies ends every request on its way with err: the client that
// would have brought their replies is gone.
func (e *Engine) failReplies(err error) {
	pending := e.replies
	e.replies = map[uint64]func(*signaling.Reply){}
	for id, then := range pending {
		then(&signaling.Reply{ID: id, Err: err})
	}
}

func (e *Engine) emit(ev Event) {
	switch ev := ev.(type) {
	case *CallReceived, *CallBegin, *CallEnd, *CallCancelled, *UserJoin, *UserLeave,
		*CallMediaTypeChanged, *KickedOffline, *UserSigExpired, *UserScreenShareChanged:
		e.log.Info(ev.EventName(), "call", callIDOf(ev))
	case *Error:
		e.log.Warn("onError", "code", ev.Code, "message", ev.Message)
	}
	e.events.Push(ev)
}

// callIDOf is the call an event is about, for logs.
func callIDOf(ev Event) signaling.CallID {
	switch ev := ev.(type) {
	case *CallReceived:
		return ev.CallID
	case *CallBegin:
		return ev.CallID
	case *CallEnd:
		return ev.CallID
	case *CallCancelled:
		return ev.CallID
	case *UserJoin:
		return ev.CallID
	case *UserLeave:
		return ev.CallID
	case *CallMediaTypeChanged:
		return ev.CallID
	case *UserScreenShareChanged:
		return ev.CallID
	}
	return ""
}

func closedChan() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}
