package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Change is one record's new value; a nil Value deletes it.
type Change struct {
	Bucket string `json:"b"`
	Key    string `json:"k"`
	Value  []byte `json:"v"`
}

// journalEntry is one message of the journal: part Part of a commit of
// Parts parts. A commit's parts are consecutive (the journal is fenced),
// and a commit counts only once its last part is there.
type journalEntry struct {
	Part    int      `json:"p"`
	Parts   int      `json:"n"`
	Term    uint64   `json:"t,omitempty"` // a fencing marker's term
	Changes []Change `json:"c,omitempty"`
}

const (
	// maxPart caps the values in one journal message, well under NATS's
	// default 1 MiB payload limit.
	maxPart = 256 << 10
	// kvBatch caps the key-value writes in flight at once.
	kvBatch = 512
	// materializeEvery is how long the materializer gathers commits
	// before copying them, so that a record changed many times in a
	// burst is written once.
	materializeEvery = 100 * time.Millisecond
)

// Load fences the journal against every earlier leader, then reads the
// state: the buckets, with the journal's complete commits replayed over
// them. It starts the materializer, which copies the replayed commits
// (and later ones) into the buckets.
func (t *Term) Load(ctx context.Context) (map[string]map[string][]byte, error) {
	n := t.n
	fence, _ := json.Marshal(journalEntry{Parts: 1, Term: t.Number})
	var first uint64
	for attempt := 0; ; attempt++ {
		info, err := n.journal.Info(ctx)
		if err != nil {
			return nil, fmt.Errorf("cluster: journal: %w", err)
		}
		ack, err := n.js.Publish(ctx, n.subject("journal"), fence, jetstream.WithExpectLastSequence(info.State.LastSeq))
		if err == nil {
			t.mu.Lock()
			t.last = ack.Sequence
			t.mu.Unlock()
			first = info.State.FirstSeq
			break
		}
		if !isWrongLastSeq(err) || attempt == 10 {
			return nil, fmt.Errorf("cluster: fence the journal: %w", err)
		}
	}
	// The journal before the buckets: a commit the old leader's
	// materializer copies and purges meanwhile is in one or the other.
	var commits [][]Change
	var cur []Change
	for seq := max(first, 1); seq < t.last; seq++ {
		m, err := n.journal.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("cluster: read the journal: %w", err)
		}
		var e journalEntry
		if err := json.Unmarshal(m.Data, &e); err != nil {
			n.log.Warn("skipping an unreadable journal entry", "seq", seq, "err", err)
			cur = nil
			continue
		}
		if e.Part == 0 {
			cur = nil
		}
		cur = append(cur, e.Changes...)
		if e.Part == e.Parts-1 {
			commits = append(commits, cur)
			cur = nil
		}
	}
	state := map[string]map[string][]byte{}
	revs := map[ckey]uint64{}
	for _, b := range Buckets {
		recs := map[string][]byte{}
		state[b] = recs
		w, err := n.kv[b].WatchAll(ctx)
		if err != nil {
			return nil, fmt.Errorf("cluster: read bucket %s: %w", b, err)
		}
		for e := range w.Updates() {
			if e == nil {
				break
			}
			revs[ckey{b, e.Key()}] = e.Revision()
			if e.Operation() == jetstream.KeyValuePut {
				recs[e.Key()] = e.Value()
			}
		}
		_ = w.Stop()
	}
	mat := newMaterializer(t, revs)
	for _, c := range commits {
		for _, ch := range c {
			if ch.Value == nil {
				delete(state[ch.Bucket], ch.Key)
			} else if state[ch.Bucket] != nil {
				state[ch.Bucket][ch.Key] = ch.Value
			}
		}
		mat.add(c, t.last)
	}
	t.mu.Lock()
	if t.isLost() {
		t.mu.Unlock()
		return nil, ErrLeadLost
	}
	t.mat = mat
	t.mu.Unlock()
	mat.start()
	n.log.Info("loaded the cluster's state", "term", t.Number, "replayed", len(commits))
	return state, nil
}

// Commit appends ch to the journal, atomically. Any failure ends the
// term (ErrLeadLost): a commit whose acknowledgement was lost may have
// landed, and only a new lead, which reads the journal, knows.
func (t *Term) Commit(ctx context.Context, ch []Change) error {
	if t.isLost() {
		return ErrLeadLost
	}
	parts := splitChanges(ch)
	for i, p := range parts {
		b, err := json.Marshal(journalEntry{Part: i, Parts: len(parts), Changes: p})
		if err != nil {
			return err
		}
		t.mu.Lock()
		last := t.last
		t.mu.Unlock()
		pctx, cancel := context.WithTimeout(ctx, t.n.cfg.LeaseTTL/2)
		ack, err := t.n.js.Publish(pctx, t.n.subject("journal"), b, jetstream.WithExpectLastSequence(last))
		cancel()
		if err != nil {
			t.n.log.Warn("a journal commit failed: no longer leading", "term", t.Number, "err", err)
			t.end()
			return fmt.Errorf("%w: %w", ErrLeadLost, err)
		}
		t.mu.Lock()
		t.last = ack.Sequence
		t.mu.Unlock()
	}
	t.mu.Lock()
	mat, last := t.mat, t.last
	t.mu.Unlock()
	if mat != nil {
		mat.add(ch, last)
	}
	return nil
}

// splitChanges cuts ch into parts of at most maxPart bytes of values.
func splitChanges(ch []Change) [][]Change {
	var parts [][]Change
	size := 0
	start := 0
	for i, c := range ch {
		if i > start && size+len(c.Value) > maxPart {
			parts = append(parts, ch[start:i])
			start, size = i, 0
		}
		size += len(c.Value) + len(c.Key) + len(c.Bucket)
	}
	return append(parts, ch[start:])
}

// ckey names a record.
type ckey struct{ bucket, key string }

// materializer copies committed changes into the buckets, each key with
// compare-and-swap on its revision, then purges the journal up to what it
// copied. It gathers changes for materializeEvery, so a record changed
// often is written once.
type materializer struct {
	t    *Term
	revs map[ckey]uint64 // the materializer goroutine's own

	mu      sync.Mutex
	pending map[ckey][]byte
	has     map[ckey]bool
	upTo    uint64 // the journal sequence the pending changes reach

	wake chan struct{}
	quit chan struct{}
	once sync.Once
}

func newMaterializer(t *Term, revs map[ckey]uint64) *materializer {
	return &materializer{t: t, revs: revs, pending: map[ckey][]byte{}, has: map[ckey]bool{},
		wake: make(chan struct{}, 1), quit: make(chan struct{})}
}

// start runs the materializer on a goroutine of the term's (Resign
// waits for it).
func (m *materializer) start() {
	m.t.wg.Add(1)
	go func() {
		defer m.t.wg.Done()
		m.run()
	}()
}

// add notes a committed change set that reaches journal sequence upTo.
func (m *materializer) add(ch []Change, upTo uint64) {
	m.mu.Lock()
	for _, c := range ch {
		k := ckey{c.Bucket, c.Key}
		m.pending[k] = c.Value
		m.has[k] = true
	}
	m.upTo = max(m.upTo, upTo)
	m.mu.Unlock()
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// stop tells the materializer to end (without waiting: the term's
// Resign does); what it has not copied stays in the journal for the next
// leader.
func (m *materializer) stop() { m.once.Do(func() { close(m.quit) }) }

func (m *materializer) run() {
	for {
		select {
		case <-m.quit:
			return
		case <-m.wake:
		}
		select {
		case <-m.quit:
			return
		case <-time.After(materializeEvery):
		}
		m.mu.Lock()
		batch, has, upTo := m.pending, m.has, m.upTo
		m.pending, m.has = map[ckey][]byte{}, map[ckey]bool{}
		m.mu.Unlock()
		if err := m.write(batch, has); err != nil {
			if errors.Is(err, ErrLeadLost) {
				m.t.end()
				return
			}
			// Put back what is not newer, and try again on the next wake.
			m.mu.Lock()
			for k, v := range batch {
				if !m.has[k] {
					m.pending[k], m.has[k] = v, true
				}
			}
			m.mu.Unlock()
			m.t.n.log.Warn("copying the journal into the buckets failed; retrying", "err", err)
			select {
			case m.wake <- struct{}{}:
			default:
			}
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), m.t.n.cfg.LeaseTTL)
		if err := m.t.n.journal.Purge(ctx, jetstream.WithPurgeSequence(upTo+1)); err != nil {
			m.t.n.log.Debug("purge the journal", "err", err)
		}
		cancel()
	}
}

// write copies batch into the buckets.
func (m *materializer) write(batch map[ckey][]byte, has map[ckey]bool) error {
	type flight struct {
		k   ckey
		del bool
		f   jetstream.PubAckFuture
	}
	n := m.t.n
	var fl []flight
	wait := func() error {
		var first error
		for _, x := range fl {
			select {
			case ack := <-x.f.Ok():
				switch {
				case x.del && x.k.bucket == "calls":
					delete(m.revs, x.k) // a call id never comes back
				default:
					m.revs[x.k] = ack.Sequence
				}
			case err := <-x.f.Err():
				if x.k.bucket == EventsBucket && isWrongLastSeq(err) {
					continue // copied before (a replayed commit)
				}
				if isWrongLastSeq(err) {
					return fmt.Errorf("%w: %s.%s changed under us: %w", ErrLeadLost, x.k.bucket, x.k.key, err)
				}
				if first == nil {
					first = err
				}
			case <-m.quit:
				return ErrLeadLost
			}
		}
		fl = fl[:0]
		return first
	}
	for k := range has {
		v := batch[k]
		msg := nats.NewMsg("$KV." + n.cfg.Prefix + "_" + k.bucket + "." + k.key)
		var opt jetstream.PublishOpt
		switch {
		case v == nil && k.bucket == EventsBucket:
			continue // events age out
		case v == nil:
			rev, ok := m.revs[k]
			if !ok {
				continue // never copied
			}
			msg.Header.Set("KV-Operation", "DEL")
			opt = jetstream.WithExpectLastSequencePerSubject(rev)
		case k.bucket == EventsBucket:
			msg.Data = v
			opt = jetstream.WithExpectLastSequencePerSubject(0)
		default:
			msg.Data = v
			opt = jetstream.WithExpectLastSequencePerSubject(m.revs[k])
		}
		f, err := n.js.PublishMsgAsync(msg, opt)
		if err != nil {
			if werr := wait(); werr != nil {
				return werr
			}
			return err
		}
		fl = append(fl, flight{k: k, del: v == nil, f: f})
		if len(fl) >= kvBatch {
			if err := wait(); err != nil {
				return err
			}
		}
	}
	return wait()
}
