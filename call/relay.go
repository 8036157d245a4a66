package call

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/calla-rtc/calla/internal/unbounded"
	"github.com/calla-rtc/calla/signaling"
)

// relayTimeout bounds one relay, with its retries after a dropped
// connection (the server's grace period is 10 s by default).
const relayTimeout = 15 * time.Second

// relayer sends the media session's signals to the other members through
// the server without holding up the loop. Per member the order is kept
// (an offer before its candidates, one renegotiation before the next);
// whatever queued while a relay was on its way goes in the next one, in a
// single message, so a burst of ICE candidates costs one round trip.
//
// Concurrency: send is called on the loop; run is the relayer's
// goroutine, started by newRelayer and stopped by stop. Each batch sends
// to different members concurrently and waits for all. A call's signals
// carry the call's context: once the call ends (endCall cancels it),
// what is queued for it is dropped and what is on its way is abandoned.
type relayer struct {
	e      *Engine
	q      *unbounded.Queue[relayItem]
	ctx    context.Context // cancelled by stop: abandons relays on their way
	cancel context.CancelFunc
	done   chan struct{}
}

type relayItem struct {
	ctx    context.Context // the call's: done once the call has ended
	client *signaling.Client
	call   signaling.CallID
	to     signaling.UserID
	sig    signaling.Signal
}

type relayKey struct {
	call signaling.CallID
	to   signaling.UserID
}

func newRelayer(e *Engine) *relayer {
	r := &relayer{e: e, q: unbounded.New[relayItem](), done: make(chan struct{})}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	go r.run()
	return r
}

// send queues sig for member to of call; ctx is the call's.
func (r *relayer) send(ctx context.Context, cl *signaling.Client, call signaling.CallID, to signaling.UserID, sig signaling.Signal) {
	if cl == nil {
		return
	}
	r.q.Push(relayItem{ctx: ctx, client: cl, call: call, to: to, sig: sig})
}

// stop abandons what is queued or on its way and waits for run to return.
func (r *relayer) stop() {
	r.cancel()
	r.q.Discard()
	<-r.done
}

func (r *relayer) run() {
	defer close(r.done)
	for range r.q.Ready() {
		batch, more := r.q.Drain()
		live := batch[:0]
		for _, it := range batch {
			if it.ctx.Err() == nil { // the call is still on
				live = append(live, it)
			}
		}
		if len(live) > 0 {
			r.sendBatch(live)
		}
		if !more {
			return
		}
	}
}

func (r *relayer) sendBatch(batch []relayItem) {
	var order []relayKey
	groups := map[relayKey][]relayItem{}
	for _, it := range batch {
		k := relayKey{it.call, it.to}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], it)
	}
	var wg sync.WaitGroup
	for _, k := range order {
		items := groups[k]
		wg.Add(1)
		go func() {
			defer wg.Done()
			sigs := make([]signaling.Signal, len(items))
			for i, it := range items {
				sigs[i] = it.sig
			}
			// Checked against the schema the server checks with, so
			// the server never refuses one of ours for its shape.
			b, err := signaling.EncodeRelayPayload(sigs...)
			r.e.log.Debug("relay", "to", k.to, "signals", len(items), "first", items[0].sig.Kind)
			if err == nil {
				// Bounded by the call (it may end meanwhile) and by the
				// engine (it may close).
				ctx, cancel := context.WithTimeout(items[0].ctx, relayTimeout)
				stop := context.AfterFunc(r.ctx, cancel)
				// A connection that drops while a relay is on its way comes
				// back (the client resumes its session): send it again then.
				// A copy that did get through before the drop is harmless:
				// candidates and media states repeat safely, and the media
				// session ignores an SDP it has already applied.
				wait := 50 * time.Millisecond
				for {
					err = items[0].client.Relay(ctx, k.call, k.to, b)
					if !errors.Is(err, signaling.ErrNotConnected) {
						break
					}
					select { // the client may not have noticed the drop yet
					case <-time.After(wait):
						wait = min(2*wait, time.Second)
						continue
					case <-ctx.Done():
					}
					break
				}
				stop()
				cancel()
			}
			if err != nil && items[0].ctx.Err() == nil {
				r.e.post(func() { r.e.relayFailed(k.call, k.to, err) })
			}
		}()
	}
	wg.Wait()
}

// relayFailed reports a signal that did not reach a member who is still in
// the call. A refusal by the server means one of the two has left the room
// (or the call ended) and the events saying so are on their way: nothing
// to report. (The server answers -1203 when we are not in the room and
// -1202 when the member is not; its other -1202 cases, an empty payload
// or a relay to oneself, are ones the engine never sends.) A signal lost on the way is reported; if media then cannot
// connect, the member's connect timeout reports that too.
func (e *Engine) relayFailed(call signaling.CallID, to signaling.UserID, err error) {
	c := e.current(call)
	if c == nil || c.members[to] == nil {
		return
	}
	var se *signaling.Error
	if errors.As(err, &se) && (se.Code == signaling.CodeRequestRefused || se.Code == signaling.CodeInvalidParam) {
		e.log.Debug("relay refused: the member is leaving", "to", to, "err", err)
		return
	}
	e.log.Warn("relay failed", "to", to, "err", err)
	ce := errorOf("send media setup to "+string(to), err)
	if ce.Code != signaling.CodeSignalingSendFail {
		ce = errorf(signaling.CodeSignalingSendFail, "could not send media setup to %s: %s", to, ce.Message)
	}
	e.emit(ce)
}
