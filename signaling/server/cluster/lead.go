package cluster

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ErrLeadLost indicates a commit refused because this node no longer
// leads: its lease ran out, or another node's commits came first.
var ErrLeadLost = errors.New("cluster: this node no longer leads")

const leaseKey = "leader"

// Term is one node's lead, from winning the lease until losing or giving
// it up.
type Term struct {
	// Number is the lease's revision when it was won: it grows with
	// every new lead.
	Number uint64

	n        *Node
	lost     chan struct{}
	lostOnce sync.Once
	stop     chan struct{} // closed by end: the renewal ends
	stopOnce sync.Once
	wg       sync.WaitGroup // the renewal and the materializer

	ready atomic.Bool // Serve was called: heartbeats announce the term

	mu   sync.Mutex
	rev  uint64 // the lease key's revision
	last uint64 // the journal's last sequence, as this term wrote it
	mat  *materializer
}

// Campaign waits until this node leads (or ctx ends) and returns its
// term. The node then receives the inputs of every node.
func (n *Node) Campaign(ctx context.Context) (*Term, error) {
	poll := n.cfg.LeaseTTL / 8
	for {
		cctx, cancel := context.WithTimeout(ctx, n.cfg.LeaseTTL/2)
		sent := time.Now()
		rev, err := n.lease.Create(cctx, leaseKey, []byte(n.cfg.Node))
		cancel()
		if err == nil {
			t := &Term{Number: rev, n: n, rev: rev, lost: make(chan struct{}), stop: make(chan struct{})}
			sub, err := n.nc.Subscribe(n.subject("in"), func(m *nats.Msg) {
				n.received.Add(1)
				n.h.Input(m.Data)
			})
			if err != nil {
				t.Resign()
				return nil, err
			}
			n.mu.Lock()
			n.term, n.inSub = t, sub
			n.mu.Unlock()
			t.wg.Add(1)
			go t.renew(sent)
			n.log.Info("leading the cluster", "term", rev)
			return t, nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) && !isWrongLastSeq(err) {
			n.log.Debug("campaign", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(poll):
		}
	}
}

// Serve announces the term: the other nodes learn that this node leads,
// and start sending it their inputs. Call it once the node can take them
// (its state loaded and its machine running).
func (t *Term) Serve() {
	t.ready.Store(true)
	t.n.beat()
}

// Lost is closed when the term ends. The owner then calls Resign, which
// waits for the term's goroutines.
func (t *Term) Lost() <-chan struct{} { return t.lost }

// renew keeps the lease. It gives up - and the term is lost - when the
// lease was taken or deleted, or when no renewal worked for three
// quarters of the lease: each attempt has until then, so the term ends
// before the lease can expire for the others (measured from when the last
// good renewal was sent, which is no later than the NATS server stamped it).
func (t *Term) renew(won time.Time) {
	defer t.wg.Done()
	ttl := t.n.cfg.LeaseTTL
	tick := time.NewTicker(ttl / 4)
	defer tick.Stop()
	ok := won // when the last successful renewal (or the winning create) was sent
	for {
		select {
		case <-t.stop:
			return
		case <-tick.C:
		}
		sent := time.Now()
		deadline := ok.Add(ttl * 3 / 4)
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		t.mu.Lock()
		rev := t.rev
		t.mu.Unlock()
		nrev, err := t.n.lease.Update(ctx, leaseKey, []byte(t.n.cfg.Node), rev)
		cancel()
		switch {
		case err == nil && time.Now().Before(deadline):
			t.mu.Lock()
			t.rev = nrev
			t.mu.Unlock()
			ok = sent
		case errors.Is(err, jetstream.ErrKeyRevisionMismatch), errors.Is(err, jetstream.ErrKeyNotFound), isWrongLastSeq(err):
			t.n.log.Warn("the lease was taken: no longer leading", "term", t.Number, "err", err)
			t.end()
			return
		case !time.Now().Before(deadline):
			t.n.log.Warn("could not renew the lease in time: no longer leading", "term", t.Number, "err", err)
			t.end()
			return
		}
	}
}

// end ends the term: it tells the renewal and the materializer to stop,
// stops the inputs, and closes Lost. It never waits, so that any of the
// term's goroutines may call it.
func (t *Term) end() {
	t.lostOnce.Do(func() {
		t.stopOnce.Do(func() { close(t.stop) })
		n := t.n
		n.mu.Lock()
		if n.term == t {
			n.term = nil
			if n.inSub != nil {
				_ = n.inSub.Unsubscribe()
				n.inSub = nil
			}
		}
		n.mu.Unlock()
		t.mu.Lock()
		mat := t.mat
		t.mu.Unlock()
		if mat != nil {
			mat.stop()
		}
		close(t.lost)
	})
}

// Resign ends the term, waits for its goroutines, and deletes the lease
// if it is still this term's, so that another node can lead at once (a
// node shutting down). Commits after it fail. Call it once the term is
// over, lost or not.
func (t *Term) Resign() {
	t.end()
	t.wg.Wait()
	t.mu.Lock()
	rev := t.rev
	t.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), t.n.cfg.LeaseTTL)
	defer cancel()
	if err := t.n.lease.Delete(ctx, leaseKey, jetstream.LastRevision(rev)); err != nil {
		t.n.log.Debug("resign: the lease was gone already", "err", err)
	}
}

// isLost says whether the term has ended.
func (t *Term) isLost() bool {
	select {
	case <-t.lost:
		return true
	default:
		return false
	}
}

// isWrongLastSeq recognises JetStream's refusal of a publish whose
// expected last sequence did not match (10071; 10164 on replicated
// streams).
func isWrongLastSeq(err error) bool {
	var ae *jetstream.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence || ae.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant
	}
	return errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch)
}
