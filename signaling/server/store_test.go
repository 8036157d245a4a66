package server

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/calla-rtc/calla/signaling"
)

// storeWith makes dir/directory.db holding n users, written by the store
// itself, and returns its path.
func storeWith(t *testing.T, dir string, n int) string {
	t.Helper()
	s, _, err := openStore(dir, quietLogger(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		saveUser(s, signaling.UserID(fmt.Sprintf("user%03d", i)), dirEntry{Nickname: strings.Repeat("n", 100)})
	}
	if err := s.close(t.Context()); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, StoreFile)
}

// metaOf reads the newest valid meta page of a bbolt file, and where its
// freelist and root bucket pages are.
func metaOf(t *testing.T, path string) (m boltMeta, freelist, root uint64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, off := range []int64{0, 4096} {
		mm, ok := readBoltMeta(f, off)
		if !ok || mm.txid < m.txid {
			continue
		}
		var b [boltPageHeader + 40]byte
		if _, err := f.ReadAt(b[:], off); err != nil {
			t.Fatal(err)
		}
		m = mm
		root = binary.NativeEndian.Uint64(b[boltPageHeader+16:])
		freelist = binary.NativeEndian.Uint64(b[boltPageHeader+32:])
	}
	if m.pageSize == 0 {
		t.Fatalf("%s: no valid meta page", path)
	}
	return m, freelist, root
}

// pointUsersAt makes the first child of the users' branch page page pg:
// its pgid is at offset 8 of the first element (pos u32, ksize u32, pgid
// u64).
func pointUsersAt(t *testing.T, path string, pg uint64) {
	t.Helper()
	m, _, _ := metaOf(t, path)
	var b [8]byte
	binary.NativeEndian.PutUint64(b[:], pg)
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b[:], int64(usersPage(t, path, true))*int64(m.pageSize)+boltPageHeader+8); err != nil {
		t.Fatal(err)
	}
}

// usersPage returns the users bucket's root page (a branch page with
// branch) or its first leaf.
func usersPage(t *testing.T, path string, branch bool) uint64 {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, PreLoadFreelist: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var pg uint64
	err = db.View(func(tx *bolt.Tx) error {
		root := uint64(tx.Bucket(usersBucket).RootPage())
		info, err := tx.Page(int(root))
		if err != nil || info == nil || info.Type != "branch" {
			return fmt.Errorf("the users' root page %d is %+v (%v), want a branch page: store more users", root, info, err)
		}
		pg = root
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !branch { // the first child of the branch page
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		m, _, _ := metaOf(t, path)
		var b [8]byte
		if _, err := f.ReadAt(b[:], int64(pg)*int64(m.pageSize)+boltPageHeader+8); err != nil {
			t.Fatal(err)
		}
		pg = binary.NativeEndian.Uint64(b[:])
	}
	return pg
}

// overwrite writes b at page pg of path.
func overwrite(t *testing.T, path string, pg uint64, pageSize uint32, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(b, int64(pg)*int64(pageSize)); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestDamagedDirectoryIsRefused: each way a directory.db can be damaged
// makes opening fail with a *DamagedStoreError that names the file and
// says what to do, and leaves the file as it was. The old code died with
// SIGBUS on the file cut short and panicked ("invalid freelist page") on
// the broken freelist.
func TestDamagedDirectoryIsRefused(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, path string)
		says   string
	}{
		{"a file cut short after users were stored", func(t *testing.T, path string) {
			m, _, _ := metaOf(t, path)
			if err := os.Truncate(path, int64(m.pgid-1)*int64(m.pageSize)); err != nil {
				t.Fatal(err)
			}
		}, "cut short"},
		{"both meta pages zeroed", func(t *testing.T, path string) {
			m, _, _ := metaOf(t, path)
			zero := make([]byte, m.pageSize)
			overwrite(t, path, 0, m.pageSize, zero)
			overwrite(t, path, 1, m.pageSize, zero)
		}, "meta pages"},
		{"the freelist page overwritten with a leaf page", func(t *testing.T, path string) {
			m, freelist, _ := metaOf(t, path)
			var hdr [boltPageHeader]byte
			binary.NativeEndian.PutUint64(hdr[0:], freelist)
			binary.NativeEndian.PutUint16(hdr[8:], 0x02) // leaf
			overwrite(t, path, freelist, m.pageSize, hdr[:])
		}, "its freelist page"},
		{"the root page zeroed", func(t *testing.T, path string) {
			m, _, root := metaOf(t, path)
			overwrite(t, path, root, m.pageSize, make([]byte, m.pageSize))
		}, "its root page"},
		{"the root page filled with random bytes", func(t *testing.T, path string) {
			m, _, root := metaOf(t, path)
			junk := make([]byte, m.pageSize)
			_, _ = rand.Read(junk)
			overwrite(t, path, root, m.pageSize, junk)
		}, ""},
		{"a page of the users zeroed", func(t *testing.T, path string) {
			m, _, _ := metaOf(t, path)
			overwrite(t, path, usersPage(t, path, false), m.pageSize, make([]byte, m.pageSize))
		}, ""},
		{"a branch page pointing past the end of the file (SIGBUS)", func(t *testing.T, path string) {
			// Inside bbolt's mapping (a power of two of at least 32 KiB)
			// but past the end of the file.
			m, _, _ := metaOf(t, path)
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			size := st.Size()
			if size&(size-1) == 0 { // the mapping ends with the file: one page more (past the high-water mark) opens a gap
				size += int64(m.pageSize)
				if err := os.Truncate(path, size); err != nil {
					t.Fatal(err)
				}
			}
			pointUsersAt(t, path, uint64(size)/uint64(m.pageSize))
		}, "a page points outside the file"},
		{"a branch page pointing far past the end of the mapping (SIGSEGV)", func(t *testing.T, path string) {
			pointUsersAt(t, path, 1<<30)
		}, "a page points outside the file"},
		{"a file that is not a database", func(t *testing.T, path string) {
			junk := make([]byte, 64<<10)
			_, _ = rand.Read(junk)
			if err := os.WriteFile(path, junk, 0o600); err != nil {
				t.Fatal(err)
			}
		}, "meta pages"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := storeWith(t, dir, 200)
			tc.damage(t, path)
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = openStore(dir, quietLogger(), nil)
			var de *DamagedStoreError
			if !errors.As(err, &de) || !errors.Is(err, ErrDamagedStore) {
				t.Fatalf("open: err = %v, want a *DamagedStoreError", err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, path+" is damaged: ") || !strings.Contains(msg, "move it aside and `calla serve` starts a new one, or restore it from a backup") || !strings.Contains(msg, tc.says) {
				t.Errorf("message %q: want the path, %q and what to do", msg, tc.says)
			}
			t.Logf("%s", msg)
			after, _ := os.ReadFile(path)
			if !bytes.Equal(before, after) {
				t.Error("opening changed the damaged file")
			}
			// Nothing holds the file: a second attempt says the same, not
			// that another server uses it.
			if _, _, err := openStore(dir, quietLogger(), nil); !errors.Is(err, ErrDamagedStore) {
				t.Errorf("second open: %v", err)
			}
		})
	}
}

// TestUnfinishedDirectoryIsMadeAnew: running out of space while bbolt
// creates the file used to leave its first 8 KiB (the meta pages, not the
// freelist and root pages they point to); every later start died with
// SIGBUS. No transaction ever committed in such a file, so nothing can be
// lost: it is made anew.
func TestUnfinishedDirectoryIsMadeAnew(t *testing.T) {
	for _, size := range []int64{4096, 8192} {
		t.Run(fmt.Sprintf("%d bytes", size), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, StoreFile)
			db, err := bolt.Open(path, 0o600, nil) // writes the four initial pages
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(path, size); err != nil {
				t.Fatal(err)
			}
			s, ls, err := openStore(dir, quietLogger(), nil)
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			if len(ls.dir) != 0 {
				t.Errorf("users %v in a new file", ls.dir)
			}
			saveUser(s, "alice", dirEntry{Nickname: "Alice"})
			if err := s.close(t.Context()); err != nil {
				t.Fatal(err)
			}
			s, ls, err = openStore(dir, quietLogger(), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer s.close(t.Context())
			if ls.dir["alice"].Nickname != "Alice" {
				t.Errorf("after a restart: %v", ls.dir)
			}
		})
	}
}

// TestDirectoryCreatedOnAFullDisk: the reproduction. With 8 KiB
// left, bbolt's creation of directory.db wrote its two meta pages and ran
// out of space; the old code left that 8 KiB file, and every later start
// died with SIGBUS. Now the failed creation leaves nothing, and once
// there is space the store opens.
func TestDirectoryCreatedOnAFullDisk(t *testing.T) {
	dir := smallFS(t, 256<<10)
	free := fillLeaving(t, dir, 8<<10)
	_, _, err := openStore(dir, quietLogger(), nil)
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("creating the store with 8 KiB left: %v, want ENOSPC", err)
	}
	if _, err := os.Stat(filepath.Join(dir, StoreFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed creation left %s (stat: %v)", StoreFile, err)
	}
	free()
	s, _, err := openStore(dir, quietLogger(), nil)
	if err != nil {
		t.Fatalf("after freeing space: %v", err)
	}
	if err := s.close(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// TestDirectoryHeldByAnotherServer: a second server on the same data dir
// says who holds the file.
func TestDirectoryHeldByAnotherServer(t *testing.T) {
	t.Parallel() // it waits storeLockWait for the lock
	dir := t.TempDir()
	s, _, err := openStore(dir, quietLogger(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close(t.Context())
	_, _, err = openStore(dir, quietLogger(), nil)
	want := "another calla serve is using " + filepath.Join(dir, StoreFile)
	if !errors.Is(err, ErrStoreBusy) || !strings.Contains(fmt.Sprint(err), want) {
		t.Errorf("second open: %v, want %q", err, want)
	}
}
