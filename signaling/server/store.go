package server

import (
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
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/calla-rtc/calla/signaling"
)

// StoreFile is the directory database's name in the data dir.
const StoreFile = "directory.db"

var (
	usersBucket  = []byte("users")
	groupsBucket = []byte("groups") // group id -> groupRecord (JSON)
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

// boltStore persists the directory and the groups in a bbolt file. The
// hub calls save and saveGroup, which only note the change; one writer goroutine (owned by the store,
// stopped by close) writes the noted entries in batches, so a slow disk
// never blocks the state machine. A batch that fails to write goes back
// into the notes and is retried until it is written; meanwhile the store
// is unhealthy (health) and the failures are counted in the metrics.
type boltStore struct {
	db      *bolt.DB
	path    string
	log     *slog.Logger
	metrics *metrics

	mu      sync.Mutex
	pending map[signaling.UserID]dirEntry
	groups  map[signaling.GroupID]*groupRecord // nil: delete
	failure error                              // the last write's error while writes fail; nil when the last one worked
	stopCtx context.Context                    // set by close before quit closes: how long the last writes may retry
	wake    chan struct{}
	quit    chan struct{}
	done    chan struct{}
}

// openStore opens dir/directory.db, creating it if needed, and loads its
// users and groups.
// A damaged file is a *DamagedStoreError; a file another process holds, a
// *StoreBusyError.
func openStore(dir string, log *slog.Logger, m *metrics) (*boltStore, map[signaling.UserID]dirEntry, map[signaling.GroupID]groupRecord, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, nil, fmt.Errorf("server: data dir: %w", err)
	}
	path := filepath.Join(dir, StoreFile)
	if err := prepareStoreFile(path, log); err != nil {
		return nil, nil, nil, err
	}
	db, err := openBolt(path, false)
	if err != nil {
		return nil, nil, nil, err
	}
	entries, _, err := loadDirectory(db, path, log)
	if err != nil {
		_ = db.Close()
		return nil, nil, nil, err
	}
	groups, err := loadGroups(db, path, log)
	if err != nil {
		_ = db.Close()
		return nil, nil, nil, err
	}
	s := &boltStore{
		db:      db,
		path:    path,
		log:     log,
		metrics: m,
		pending: map[signaling.UserID]dirEntry{},
		groups:  map[signaling.GroupID]*groupRecord{},
		wake:    make(chan struct{}, 1),
		quit:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	go s.run()
	return s, entries, groups, nil
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
			hasBuckets = tx.Bucket(usersBucket) != nil && tx.Bucket(groupsBucket) != nil
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

// createBuckets makes the users and groups buckets where they are missing
// (a file from before groups existed has only users).
func createBuckets(tx *bolt.Tx) error {
	for _, name := range [][]byte{usersBucket, groupsBucket} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
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

func (s *boltStore) save(u signaling.UserID, e dirEntry) {
	s.mu.Lock()
	s.pending[u] = e
	s.mu.Unlock()
	s.poke()
}

// saveGroup notes a group to write; a nil record deletes it.
func (s *boltStore) saveGroup(id signaling.GroupID, r *groupRecord) {
	s.mu.Lock()
	s.groups[id] = r
	s.mu.Unlock()
	s.poke()
}

// poke wakes the writer.
func (s *boltStore) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// health is nil while directory writes work, else the last write's error
// and how many entries wait to be written.
func (s *boltStore) health() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failure == nil {
		return nil
	}
	return fmt.Errorf("%w: %d entries wait to be written to %s: %v", ErrStoreWrite, len(s.pending)+len(s.groups), s.path, s.failure)
}

// run is the writer: it writes on every save, and while writes fail it
// retries on a backing-off timer instead.
func (s *boltStore) run() {
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
		} else {
			retry.Reset(backoff)
			backoff = min(2*backoff, storeRetryMax)
		}
	}
}

// finish writes what is pending, retrying until it is written or the
// close's context ends.
func (s *boltStore) finish() {
	s.mu.Lock()
	ctx := s.stopCtx
	s.mu.Unlock()
	backoff := storeRetryMin
	for !s.flush() {
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, storeRetryMax)
	}
}

func (s *boltStore) failing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failure != nil
}

// flush writes the pending entries and groups in one transaction and
// reports whether that worked. On failure they go back into pending,
// unless a newer one for the same user or group arrived meanwhile.
func (s *boltStore) flush() bool {
	s.mu.Lock()
	batch, groups := s.pending, s.groups
	s.pending, s.groups = map[signaling.UserID]dirEntry{}, map[signaling.GroupID]*groupRecord{}
	s.mu.Unlock()
	if len(batch) == 0 && len(groups) == 0 {
		return true
	}
	err := guard(func() error {
		return s.db.Update(func(tx *bolt.Tx) error {
			if err := putGroups(tx, groups); err != nil {
				return err
			}
			b := tx.Bucket(usersBucket)
			for u, e := range batch {
				v, err := json.Marshal(e)
				if err != nil {
					return err
				}
				if err := b.Put([]byte(u), v); err != nil {
					return err
				}
			}
			return nil
		})
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	was := s.failure
	if err == nil {
		s.failure = nil
		s.metrics.storeUnsaved(len(s.pending) + len(s.groups))
		if was != nil {
			s.log.Info("directory writes work again", "file", s.path)
		}
		return true
	}
	for u, e := range batch {
		if _, newer := s.pending[u]; !newer {
			s.pending[u] = e
		}
	}
	for id, r := range groups {
		if _, newer := s.groups[id]; !newer {
			s.groups[id] = r
		}
	}
	s.failure = err
	s.metrics.storeWriteFailed(len(s.pending) + len(s.groups))
	if was == nil || was.Error() != err.Error() {
		s.log.Error("saving directory failed; retrying until it works", "file", s.path, "unsaved", len(s.pending), "err", err)
	}
	return false
}

// putGroups writes (or, for nil records, deletes) groups.
func putGroups(tx *bolt.Tx, groups map[signaling.GroupID]*groupRecord) error {
	b := tx.Bucket(groupsBucket)
	for id, r := range groups {
		if r == nil {
			if err := b.Delete([]byte(id)); err != nil {
				return err
			}
			continue
		}
		v, err := json.Marshal(r)
		if err != nil {
			return err
		}
		if err := b.Put([]byte(id), v); err != nil {
			return err
		}
	}
	return nil
}

// close writes what is pending (retrying until ctx ends), stops the
// writer and closes the file. Entries that could not be written make it
// return an error wrapping ErrStoreWrite.
func (s *boltStore) close(ctx context.Context) error {
	s.mu.Lock()
	s.stopCtx = ctx
	s.mu.Unlock()
	close(s.quit)
	<-s.done
	lost := s.health()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("server: close directory: %w", err)
	}
	return lost
}
