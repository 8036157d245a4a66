package server

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

// bbolt maps its whole file into memory and trusts what it finds there: a
// file cut short faults (SIGBUS) on the first read past its end, and a
// damaged page panics deep inside bbolt. inspectStoreFile reads the two
// meta pages with ordinary reads first, so that a file that is too short
// for the pages its meta page claims is refused before bbolt maps it.
// The layout is bbolt's file format version 2 (go.etcd.io/bbolt
// internal/common: page.go and meta.go).
const (
	boltMagic       = 0xED0CDAED
	boltVersion     = 2
	boltBranchFlag  = 0x01
	boltLeafFlag    = 0x02
	boltMetaFlag    = 0x04
	boltFreeFlag    = 0x10
	boltNoFreelist  = 1<<64 - 1
	boltPageHeader  = 16 // id u64, flags u16, count u16, overflow u32
	boltMetaSumSize = 56 // magic .. txid: what the checksum covers
	boltMinPage     = 1024
	boltMaxPage     = 16 << 20
	// A bbolt file that has ever committed a transaction has at least four
	// pages (two meta pages, the freelist, the root leaf); bbolt writes all
	// four at creation and the first transaction is txid 2.
	boltInitPages = 4
	boltFirstTxid = 2
)

// boltMeta is what a valid meta page says.
type boltMeta struct {
	pageSize uint32
	root     uint64 // the root bucket's page
	freelist uint64 // the freelist's first page, or boltNoFreelist
	pgid     uint64 // high-water mark: pages in use, so the file holds at least pgid*pageSize bytes
	txid     uint64
}

// storeFileState is what inspectStoreFile found.
type storeFileState int

const (
	storeMissing    storeFileState = iota + 1
	storeEmpty                     // zero bytes: nothing was ever written
	storeUnfinished                // bbolt's creation was cut short: no transaction ever committed, so no data was lost
	storeIntact                    // the meta pages hold and the file is as long as they say
)

// inspectStoreFile looks at path without mapping it. It returns an error
// (not a *DamagedStoreError: the caller adds the path and advice) for a
// file bbolt must not open.
func inspectStoreFile(path string) (storeFileState, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return storeMissing, nil
	}
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	size := st.Size()
	if size == 0 {
		return storeEmpty, nil
	}
	// Meta page 0 is at offset 0 and says the page size; if it is
	// damaged, meta page 1 is one page in, at one of the sizes bbolt
	// supports.
	var metas []boltMeta
	if m, ok := readBoltMeta(f, 0); ok {
		metas = append(metas, m)
		if m1, ok := readBoltMeta(f, int64(m.pageSize)); ok {
			metas = append(metas, m1)
		}
	} else {
		for ps := int64(boltMinPage); ps <= boltMaxPage && ps < size; ps *= 2 {
			if m1, ok := readBoltMeta(f, ps); ok && int64(m1.pageSize) == ps {
				metas = append(metas, m1)
				break
			}
		}
	}
	if len(metas) == 0 {
		if size < boltInitPages*boltMinPage {
			return 0, fmt.Errorf("it is %d bytes long and holds no bbolt meta page", size)
		}
		return 0, errors.New("neither of its meta pages is valid (not a bbolt file, or both were overwritten)")
	}
	// bbolt uses the valid meta page with the higher transaction id.
	m := metas[0]
	for _, o := range metas[1:] {
		if o.txid > m.txid {
			m = o
		}
	}
	need := int64(m.pgid) * int64(m.pageSize)
	if size < need {
		if m.txid < boltFirstTxid {
			return storeUnfinished, nil
		}
		return 0, fmt.Errorf("it is %d bytes long but its pages need %d: it was cut short", size, need)
	}
	// The pages bbolt reads as it opens: a broken freelist panics inside
	// bbolt.Open, which leaves the file locked and mapped.
	if err := checkBoltPages(f, m); err != nil {
		return 0, err
	}
	return storeIntact, nil
}

// checkBoltPages checks the root page's header and the freelist's ids.
func checkBoltPages(f io.ReaderAt, m boltMeta) error {
	ne := binary.NativeEndian
	ps := int64(m.pageSize)
	var hdr [boltPageHeader + 8]byte
	if m.root < 2 || m.root >= m.pgid {
		return fmt.Errorf("its root page %d is outside its %d pages", m.root, m.pgid)
	}
	if _, err := f.ReadAt(hdr[:], int64(m.root)*ps); err != nil {
		return err
	}
	if id, flags := ne.Uint64(hdr[0:]), ne.Uint16(hdr[8:]); id != m.root || (flags != boltBranchFlag && flags != boltLeafFlag) {
		return fmt.Errorf("its root page %d is not a branch or leaf page (it says page %d, flags %#x)", m.root, id, flags)
	}
	if m.freelist == boltNoFreelist {
		return nil
	}
	if m.freelist < 2 || m.freelist >= m.pgid {
		return fmt.Errorf("its freelist page %d is outside its %d pages", m.freelist, m.pgid)
	}
	if _, err := f.ReadAt(hdr[:], int64(m.freelist)*ps); err != nil {
		return err
	}
	id, flags, count, overflow := ne.Uint64(hdr[0:]), ne.Uint16(hdr[8:]), uint64(ne.Uint16(hdr[10:])), uint64(ne.Uint32(hdr[12:]))
	if id != m.freelist || flags != boltFreeFlag {
		return fmt.Errorf("its freelist page %d is not a freelist page (it says page %d, flags %#x)", m.freelist, id, flags)
	}
	first := int64(boltPageHeader)
	if count == 0xFFFF { // the real count is the first element
		count = ne.Uint64(hdr[boltPageHeader:])
		first += 8
	}
	span := int64(overflow+1) * ps
	if m.freelist+overflow >= m.pgid || count > uint64(span/8) || first+int64(count)*8 > span {
		return fmt.Errorf("its freelist (page %d, %d ids over %d pages) does not fit its %d pages", m.freelist, count, overflow+1, m.pgid)
	}
	ids := make([]byte, count*8)
	if _, err := f.ReadAt(ids, int64(m.freelist)*ps+first); err != nil {
		return err
	}
	for i := 0; i < len(ids); i += 8 {
		if id := ne.Uint64(ids[i:]); id < 2 || id >= m.pgid {
			return fmt.Errorf("its freelist lists page %d, outside its %d pages", id, m.pgid)
		}
	}
	return nil
}

// readBoltMeta reads and checks the meta page at off.
func readBoltMeta(r io.ReaderAt, off int64) (boltMeta, bool) {
	var b [boltPageHeader + boltMetaSumSize + 8]byte
	if _, err := r.ReadAt(b[:], off); err != nil {
		return boltMeta{}, false
	}
	le := binary.NativeEndian // bbolt writes its structs in the machine's byte order
	if le.Uint16(b[8:]) != boltMetaFlag {
		return boltMeta{}, false
	}
	meta := b[boltPageHeader:]
	h := fnv.New64a()
	_, _ = h.Write(meta[:boltMetaSumSize])
	if le.Uint32(meta[0:]) != boltMagic || le.Uint32(meta[4:]) != boltVersion || le.Uint64(meta[boltMetaSumSize:]) != h.Sum64() {
		return boltMeta{}, false
	}
	m := boltMeta{pageSize: le.Uint32(meta[8:]), root: le.Uint64(meta[16:]), freelist: le.Uint64(meta[32:]), pgid: le.Uint64(meta[40:]), txid: le.Uint64(meta[48:])}
	if m.pageSize < boltMinPage || m.pageSize > boltMaxPage || m.pageSize&(m.pageSize-1) != 0 {
		return boltMeta{}, false
	}
	return m, true
}
