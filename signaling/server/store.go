package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/calla-rtc/calla/signaling"
)

// StoreFile is the directory database's name in the data dir.
const StoreFile = "directory.db"

var (
	usersBucket  = []byte(bucketUsers)
	groupsBucket = []byte(bucketGroups)
)

const (
	// storeLockWait is how long opening waits for another process's lock
	// on the file before saying who holds it.
	storeLockWait = 2 * time.Second
	// A failed write is retried after storeRetryMin, doubling up to
	// storeRetryMax: a disk that is full for a moment is written soon
	// after it frees up, and a disk that stays full costs a few attempts
	// a second at most.
	storeRetryMin = 50 * time.Millisecond
	storeRetryMax = 2 * time.Second
	// maxCheckErrors caps how many of bbolt's consistency errors a
	// damaged-file message quotes.
	maxCheckErrors = 3
)

// DamagedStoreError is a directory database that cannot be read back
// safely: cut short, with broken meta pages, or failing bbolt's
// consistency check. The server refuses to start on it (local mode moves
// it aside; see NewLocal): nothing is dropped silently.
type DamagedStoreError struct {
	Path string
	Err  error
}

func (e *DamagedStoreError) Error() string {
	return fmt.Sprintf("%s is damaged: %v; move it aside and `calla serve` starts a new one, or restore it from a backup", e.Path, e.Err)
}

func (e *DamagedStoreError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrDamagedStore) hold.
func (e *DamagedStoreError) Is(target error) bool { return target == ErrDamagedStore }

// StoreBusyError is a directory database another process holds: another
// calla serve on the same data dir (bbolt's file lock).
type StoreBusyError struct{ Path string }

func (e *StoreBusyError) Error() string {
	return fmt.Sprintf("another calla serve is using %s", e.Path)
}

// Is makes errors.Is(err, ErrStoreBusy) hold.
func (e *StoreBusyError) Is(target error) bool { return target == ErrStoreBusy }

// store writes the server's records - the directory, the groups, and
// the sessions, calls and events that let a restarted server go on (see
// persist.go) - to a backend: the bbolt file in the data dir, or a
// cluster's replicated journal. The hub stages each input's changes,
// which only notes them; one writer goroutine (owned by the store,
// stopped by close) commits what is noted, all of it at once, so a slow
// disk never blocks the state machine. Each stage gets a generation;
// once a commit that holds a generation is done, the hub delivers what
// that generation made (outbox.go). A commit that fails goes back into
// the notes and is retried until it works; meanwhile the store is
// unhealthy (health), the failures are counted in the metrics, and the
// hub delivers without waiting (a server that keeps answering on a full
// disk is worth more than one that stops; a crash in that window loses
// what was not written).
type store struct {
	be      storeBackend
	log     *slog.Logger
	metrics *metrics

	mu      sync.Mutex
	pending changes
	gen     uint64 // the last stage's generation
	failure error  // the last commit's error while commits fail; nil when the last one worked
	lost    error  // a commit that can never work again (another node took over)
	stopCtx context.Context
	wake    chan struct{}
	quit    chan struct{}
	done    chan struct{}

	durable atomic.Uint64 // every generation up to this one is committed
	notify  chan struct{} // tells the hub that durable moved or commits began to fail
}

// storeBackend is where a store commits.
type storeBackend interface {
	// commit writes ch, all of it or none of it. An error wrapping
	// errLeadLost means no commit can work again.
	commit(ch changes) error
	// close releases the backend.
	close() error
	// where names it in messages (a file's path).
	where() string
}

// errLeadLost indicates a cluster node whose commit was refused because
// another node leads now.
var errLeadLost = errors.New("server: another node took over the cluster's state")

func newStore(be storeBackend, log *slog.Logger, m *metrics) *store {
	s := &store{
		be:      be,
		log:     log,
		metrics: m,
		pending: changes{},
		wake:    make(chan struct{}, 1),
		quit:    make(chan struct{}),
		done:    make(chan struct{}),
		notify:  make(chan struct{}, 1),
	}
	go s.run()
	return s
}

// loadedState is what a store held at start.
type loadedState struct {
	dir    map[signaling.UserID]dirEntry
	groups map[signaling.GroupID]groupRecord
	state  stored // sessions, calls, events
}

// boltBackend is the data dir's bbolt file.
type boltBackend struct {
	db   *bolt.DB
	path string
}

func (b *boltBackend) where() string { return b.path }
func (b *boltBackend) close() error  { return b.db.Close() }

func (b *boltBackend) commit(ch changes) error {
	return guard(func() error {
		return b.db.Update(func(tx *bolt.Tx) error {
			for k, v := range ch {
				bk := tx.Bucket([]byte(k.bucket))
				if bk == nil {
					return fmt.Errorf("no bucket %q", k.bucket)
				}
				var err error
				if v == nil {
					err = bk.Delete([]byte(k.key))
				} else {
					err = bk.Put([]byte(k.key), v)
				}
				if err != nil {
					return err
				}
			}
			return nil
		})
	})
}

// openStore opens dir/directory.db, creating it if needed, and loads it.
// A damaged file is a *DamagedStoreError; a file another process holds, a
// *StoreBusyError.
func openStore(dir string, log *slog.Logger, m *metrics) (*store, *loadedState, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("server: data dir: %w", err)
	}
	path := filepath.Join(dir, StoreFile)
	if err := prepareStoreFile(path, log); err != nil {
		return nil, nil, err
	}
	db, err := openBolt(path, false)
	if err != nil {
		return nil, nil, err
	}
	ls := &loadedState{}
	ls.dir, _, err = loadDirectory(db, path, log)
	if err == nil {
		ls.groups, err = loadGroups(db, path, log)
	}
	if err == nil {
		ls.state, err = loadRecords(db, path, bucketSessions, bucketCalls, bucketEvents)
	}
	if err != nil {
		_ = db.Close()
		return nil, nil, err
	}
	return newStore(&boltBackend{db: db, path: path}, log, m), ls, nil
}

// loadRecords reads buckets of db as they are (persist.go decodes them).
func loadRecords(db *bolt.DB, path string, buckets ...string) (stored, error) {
	out := stored{}
	err := guard(func() error {
		return db.View(func(tx *bolt.Tx) error {
			for _, name := range buckets {
				recs := map[string][]byte{}
				out[name] = recs
				b := tx.Bucket([]byte(name))
				if b == nil {
					continue
				}
				if err := b.ForEach(func(k, v []byte) error {
					recs[string(k)] = bytes.Clone(v)
					return nil
				}); err != nil {
					return err
				}
			}
			return nil
		})
	})
	if err != nil {
		return nil, &DamagedStoreError{Path: path, Err: err}
	}
	return out, nil
}

// prepareStoreFile makes sure path is a file bbolt may map: it creates a
// missing or empty one atomically, replaces one whose creation was cut
// short (no transaction ever committed, so it holds nothing), and refuses
// a damaged one.
func prepareStoreFile(path string, log *slog.Logger) error {
	state, err := inspectStore(path)
	if err != nil {
		return err
	}
	switch state {
	case storeMissing, storeEmpty:
		return createStoreFile(path, state == storeEmpty)
	case storeUnfinished:
		log.Warn("the directory database's creation was cut short (out of disk space?); it held nothing and is made anew", "file", path)
		return createStoreFile(path, true)
	}
	return nil
}

// inspectStore is inspectStoreFile with the path and advice added to its
// errors. A file another server holds is reported as such: it may be
// changing while it is read.
func inspectStore(path string) (storeFileState, error) {
	state, err := inspectStoreFile(path)
	if err == nil {
		return state, nil
	}
	var pe *os.PathError
	switch {
	case errors.As(err, &pe):
		return 0, fmt.Errorf("server: %w", err)
	case lockedByOther(path):
		return 0, &StoreBusyError{Path: path}
	}
	return 0, &DamagedStoreError{Path: path, Err: err}
}

// createStoreFile makes a new, empty bbolt file at path atomically: a
// full disk leaves no half-made file behind.
func createStoreFile(path string, replace bool) error {
	err := createAtomic(path, 0o600, !replace, func(tmp string) error {
		db, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: storeLockWait})
		if err != nil {
			return err
		}
		err = db.Update(createBuckets)
		if cerr := db.Close(); err == nil {
			err = cerr
		}
		return err
	})
	if err != nil && !errors.Is(err, os.ErrExist) { // ErrExist: another process made it first
		return fmt.Errorf("server: create %s: %w", path, err)
	}
	return nil
}

// faultError is a panic (bbolt's own, or a memory fault in its mapping,
// which debug.SetPanicOnFault turns into one) recovered by guard.
type faultError struct{ v any }

func (e faultError) Error() string {
	if f, ok := e.v.(interface{ Addr() uintptr }); ok {
		return fmt.Sprintf("a page points outside the file (memory fault at %#x)", f.Addr())
	}
	s := fmt.Sprint(e.v)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// guard runs f, turning a panic in it into a faultError. bbolt reads its
// file through a memory mapping and panics on pages it cannot make sense
// of; a read past the end of a file cut short faults (SIGBUS), which
// SetPanicOnFault turns into a panic of this goroutine.
func guard(f func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if v := recover(); v != nil {
			err = faultError{v}
		}
	}()
	return f()
}

// openBolt opens path with bbolt, read-only or not, under guard.
func openBolt(path string, readOnly bool) (*bolt.DB, error) {
	var file *os.File
	opts := &bolt.Options{
		Timeout:  storeLockWait,
		ReadOnly: readOnly,
		// Read the freelist now, on this goroutine, under guard: a
		// read-only open would read it later in Tx.Check's goroutine.
		PreLoadFreelist: true,
		OpenFile: func(name string, flag int, perm os.FileMode) (*os.File, error) {
			f, err := os.OpenFile(name, flag, perm)
			file = f
			return f, err
		},
	}
	var db *bolt.DB
	err := guard(func() error {
		var err error
		db, err = bolt.Open(path, 0o600, opts)
		return err
	})
	var fault faultError
	switch {
	case err == nil:
		return db, nil
	case errors.As(err, &fault):
		if file != nil { // bbolt never returned its DB: let go of the file
			unlockFile(file)
			_ = file.Close()
		}
		return nil, &DamagedStoreError{Path: path, Err: err}
	case errors.Is(err, bolterrors.ErrTimeout):
		return nil, &StoreBusyError{Path: path}
	case errors.Is(err, bolterrors.ErrInvalid), errors.Is(err, bolterrors.ErrChecksum), errors.Is(err, bolterrors.ErrVersionMismatch):
		return nil, &DamagedStoreError{Path: path, Err: err}
	}
	return nil, fmt.Errorf("server: open %s: %w", path, err)
}

// loadDirectory reads every page of db under guard, runs bbolt's
// consistency check, and returns the users and how many entries could not
// be decoded (each is logged and skipped). A writable db gets the users
// bucket if it lacks it.
func loadDirectory(db *bolt.DB, path string, log *slog.Logger) (map[signaling.UserID]dirEntry, int, error) {
	entries := map[signaling.UserID]dirEntry{}
	bad := 0
	hasBuckets := false
	err := guard(func() error {
		return db.View(func(tx *bolt.Tx) error {
			// Walk first, here: bbolt's check runs on a goroutine of its
			// own, where a fault could not be recovered; after the walk it
			// only reads pages the walk has read.
			if err := tx.ForEach(func(_ []byte, b *bolt.Bucket) error { return walkBucket(b) }); err != nil {
				return err
			}
			var problems []string
			for err := range tx.Check() {
				if len(problems) < maxCheckErrors {
					problems = append(problems, err.Error())
				}
			}
			if len(problems) > 0 {
				return fmt.Errorf("bbolt's check: %s", strings.Join(problems, "; "))
			}
			hasBuckets = true
			for _, name := range storeBuckets {
				hasBuckets = hasBuckets && tx.Bucket([]byte(name)) != nil
			}
			b := tx.Bucket(usersBucket)
			if b == nil {
				return nil
			}
			return b.ForEach(func(k, v []byte) error {
				var e dirEntry
				if err := json.Unmarshal(v, &e); err != nil {
					bad++
					log.Warn("skipping bad directory entry", "user", string(k), "err", err)
					return nil
				}
				entries[signaling.UserID(k)] = e
				return nil
			})
		})
	})
	if err != nil {
		return nil, 0, &DamagedStoreError{Path: path, Err: err}
	}
	if !hasBuckets && !db.IsReadOnly() {
		err := guard(func() error { return db.Update(createBuckets) })
		if err != nil {
			return nil, 0, fmt.Errorf("server: %s: %w", path, err)
		}
	}
	return entries, bad, nil
}

// createBuckets makes the buckets that are missing (a file from before
// groups existed has only users; one from before sessions and calls were
// kept, no sessions, calls or events).
func createBuckets(tx *bolt.Tx) error {
	for _, name := range storeBuckets {
		if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
			return err
		}
	}
	return nil
}

// loadGroups reads the groups bucket of db, which loadDirectory has
// already walked and checked. A record that cannot be decoded is logged
// and skipped, like a bad directory entry.
func loadGroups(db *bolt.DB, path string, log *slog.Logger) (map[signaling.GroupID]groupRecord, error) {
	groups := map[signaling.GroupID]groupRecord{}
	err := guard(func() error {
		return db.View(func(tx *bolt.Tx) error {
			b := tx.Bucket(groupsBucket)
			if b == nil {
				return nil
			}
			return b.ForEach(func(k, v []byte) error {
				var r groupRecord
				if err := json.Unmarshal(v, &r); err != nil {
					log.Warn("skipping bad group", "group", string(k), "err", err)
					return nil
				}
				groups[signaling.GroupID(k)] = r
				return nil
			})
		})
	})
	if err != nil {
		return nil, &DamagedStoreError{Path: path, Err: err}
	}
	return groups, nil
}

// walkBucket reads every key and value of b and of the buckets in it.
func walkBucket(b *bolt.Bucket) error {
	return b.ForEach(func(k, v []byte) error {
		if v == nil {
			if c := b.Bucket(k); c != nil {
				return walkBucket(c)
			}
		}
		return nil
	})
}

// stage notes ch for the writer and returns its generation.
func (s *store) stage(ch changes) uint64 {
	s.mu.Lock()
	for k, v := range ch {
		s.pending[k] = v
	}
	s.gen++
	g := s.gen
	s.mu.Unlock()
	s.poke()
	return g
}

// releasable is the generation up to which the hub may deliver: what is
// committed, or, while commits fail, everything staged.
func (s *store) releasable() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failure != nil && s.lost == nil {
		return s.gen
	}
	return s.durable.Load()
}

// leadLost is non-nil once a commit was refused because another node
// took over.
func (s *store) leadLost() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lost
}

// poke wakes the writer.
func (s *store) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// tell wakes the hub.
func (s *store) tell() {
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// health is nil while commits work, else the last commit's error and how
// many records wait to be written.
func (s *store) health() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failure == nil {
		return nil
	}
	return fmt.Errorf("%w: %d records wait to be written to %s: %v", ErrStoreWrite, len(s.pending), s.be.where(), s.failure)
}

// run is the writer: it commits on every stage, and while commits fail
// it retries on a backing-off timer instead.
func (s *store) run() {
	defer close(s.done)
	retry := time.NewTimer(0)
	<-retry.C
	backoff := storeRetryMin
	for {
		select {
		case <-s.wake:
			if s.failing() {
				continue // the retry timer is running
			}
		case <-retry.C:
		case <-s.quit:
			retry.Stop()
			s.finish()
			return
		}
		if s.flush() {
			backoff = storeRetryMin
		} else if s.leadLost() == nil {
			retry.Reset(backoff)
			backoff = min(2*backoff, storeRetryMax)
		}
	}
}

// finish writes what is pending, retrying until it is written or the
// close's context ends.
func (s *store) finish() {
	s.mu.Lock()
	ctx := s.stopCtx
	s.mu.Unlock()
	backoff := storeRetryMin
	for !s.flush() && s.leadLost() == nil {
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, storeRetryMax)
	}
}

func (s *store) failing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failure != nil
}

// flush commits the pending records and reports whether that worked. On
// failure they go back into pending, unless a newer value for the same
// record arrived meanwhile.
func (s *store) flush() bool {
	s.mu.Lock()
	if s.lost != nil {
		s.mu.Unlock()
		return false
	}
	batch, gen := s.pending, s.gen
	s.pending = changes{}
	s.mu.Unlock()
	var err error
	if len(batch) > 0 {
		err = s.be.commit(batch)
	}
	s.mu.Lock()
	was := s.failure
	if err == nil {
		s.failure = nil
		s.metrics.storeUnsaved(len(s.pending))
		s.mu.Unlock()
		if was != nil {
			s.log.Info("writes work again", "store", s.be.where())
		}
		s.durable.Store(gen)
		s.tell()
		return true
	}
	if errors.Is(err, errLeadLost) {
		s.lost = err
		s.mu.Unlock()
		s.log.Warn("this node no longer leads: its last changes were not stored", "err", err)
		s.tell()
		return false
	}
	for k, v := range batch {
		if _, newer := s.pending[k]; !newer {
			s.pending[k] = v
		}
	}
	s.failure = err
	s.metrics.storeWriteFailed(len(s.pending))
	n := len(s.pending)
	s.mu.Unlock()
	if was == nil || was.Error() != err.Error() {
		s.log.Error("writing the server's state failed; retrying until it works (clients are served meanwhile, but a crash would lose what is not written)", "store", s.be.where(), "unsaved", n, "err", err)
	}
	s.tell()
	return false
}

// close writes what is pending (retrying until ctx ends), stops the
// writer and closes the backend. Records that could not be written make
// it return an error wrapping ErrStoreWrite.
func (s *store) close(ctx context.Context) error {
	s.mu.Lock()
	s.stopCtx = ctx
	s.mu.Unlock()
	close(s.quit)
	<-s.done
	lost := s.health()
	if err := s.be.close(); err != nil {
		return errors.Join(lost, fmt.Errorf("server: close %s: %w", s.be.where(), err))
	}
	return lost
}
