package server

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/calla-rtc/calla/signaling"
)

var (
	usersBucket  = []byte("users")
	groupsBucket = []byte("groups") // group id -> groupRecord (JSON)
)

// boltStore persists the directory and the groups in a bbolt file. The
// hub calls save and saveGroup, which only note the change; one writer goroutine (owned by the store,
// stopped by close) writes the noted entries in batches, so a slow disk
// never blocks the state machine.
type boltStore struct {
	db  *bolt.DB
	log *slog.Logger

	mu      sync.Mutex
	pending map[signaling.UserID]dirEntry
	groups  map[signaling.GroupID]*groupRecord // nil: delete
	wake    chan struct{}
	quit    chan struct{}
	done    chan struct{}
}

// openStore opens (creating if needed) dir/directory.db and loads it.
func openStore(dir string, log *slog.Logger) (*boltStore, map[signaling.UserID]dirEntry, map[signaling.GroupID]groupRecord, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, nil, fmt.Errorf("server: data dir: %w", err)
	}
	db, err := bolt.Open(filepath.Join(dir, "directory.db"), 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("server: open directory: %w", err)
	}
	entries := map[signaling.UserID]dirEntry{}
	groups := map[signaling.GroupID]groupRecord{}
	err = db.Update(func(tx *bolt.Tx) error {
		if err := loadGroups(tx, groups, log); err != nil {
			return err
		}
		b, err := tx.CreateBucketIfNotExists(usersBucket)
		if err != nil {
			return err
		}
		return b.ForEach(func(k, v []byte) error {
			var e dirEntry
			if err := json.Unmarshal(v, &e); err != nil {
				log.Warn("skipping bad directory entry", "user", string(k), "err", err)
				return nil
			}
			entries[signaling.UserID(k)] = e
			return nil
		})
	})
	if err != nil {
		_ = db.Close()
		return nil, nil, nil, fmt.Errorf("server: load directory: %w", err)
	}
	s := &boltStore{
		db:      db,
		log:     log,
		pending: map[signaling.UserID]dirEntry{},
		groups:  map[signaling.GroupID]*groupRecord{},
		wake:    make(chan struct{}, 1),
		quit:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	go s.run()
	return s, entries, groups, nil
}

// loadGroups reads the groups bucket (creating it) into groups.
func loadGroups(tx *bolt.Tx, groups map[signaling.GroupID]groupRecord, log *slog.Logger) error {
	b, err := tx.CreateBucketIfNotExists(groupsBucket)
	if err != nil {
		return err
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
}

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

func (s *boltStore) save(u signaling.UserID, e dirEntry) {
	s.mu.Lock()
	s.pending[u] = e
	s.mu.Unlock()
	s.poke()
}

func (s *boltStore) run() {
	defer close(s.done)
	for {
		select {
		case <-s.wake:
			s.flush()
		case <-s.quit:
			s.flush()
			return
		}
	}
}

func (s *boltStore) flush() {
	s.mu.Lock()
	batch, groups := s.pending, s.groups
	s.pending, s.groups = map[signaling.UserID]dirEntry{}, map[signaling.GroupID]*groupRecord{}
	s.mu.Unlock()
	if len(batch) == 0 && len(groups) == 0 {
		return
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
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
	if err != nil {
		s.log.Error("saving directory", "entries", len(batch), "groups", len(groups), "err", err)
	}
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

// close writes what is pending, stops the writer and closes the file.
func (s *boltStore) close() error {
	close(s.quit)
	<-s.done
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("server: close directory: %w", err)
	}
	return nil
}
