package storage

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/syndtr/goleveldb/leveldb"
	lerrors "github.com/syndtr/goleveldb/leveldb/errors"
	"github.com/syndtr/goleveldb/leveldb/filter"
	"github.com/syndtr/goleveldb/leveldb/journal"
	"github.com/syndtr/goleveldb/leveldb/opt"
	lstorage "github.com/syndtr/goleveldb/leveldb/storage"
)

// ErrNotFound is returned (wrapped) by readers when a block, hash, transaction
// or state key is absent. Test with errors.Is.
var ErrNotFound = errors.New("not found")

// ErrCorrupt is wrapped by every error that reports on-disk corruption. The
// package never repairs a database by itself: repairing LevelDB drops
// whatever it cannot read, which for a chain means silently losing blocks.
var ErrCorrupt = errors.New("database is corrupt (not repaired automatically; restore a backup or resync from peers)")

// tableMagic ends every LevelDB table file (leveldb/table/table.go).
const tableMagic = "\x57\xfb\x80\x8b\x24\x75\x47\xdb"

// isCorrupt reports whether err is one of goleveldb's corruption errors. The
// library's own IsCorrupted misses the journal package's type, which is what
// a damaged MANIFEST yields under StrictManifest.
func isCorrupt(err error) bool {
	var (
		e1 *lerrors.ErrCorrupted
		e2 *lstorage.ErrCorrupted
		e3 *journal.ErrCorrupted
	)
	return errors.As(err, &e1) || errors.As(err, &e2) || errors.As(err, &e3)
}

// wrapCorrupt adds ErrCorrupt to err's chain if err reports corruption.
func wrapCorrupt(err error) error {
	if err != nil && isCorrupt(err) && !errors.Is(err, ErrCorrupt) {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return err
}

// levelOptions are the goleveldb settings shared by both databases.
type levelOptions struct {
	blockCache int
	writeBuf   int
	bloomBits  int
	openFiles  int
}

// openLevel opens (creating if needed) the LevelDB in dir, refusing damaged
// databases. what names the database in errors ("chain database").
func openLevel(what, dir string, lo levelOptions) (*leveldb.DB, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		if IsDiskFull(err) {
			return nil, &WriteError{Dir: dir, Err: fmt.Errorf("open %s: %w", what, err)}
		}
		return nil, fmt.Errorf("open %s %s: %w", what, dir, err)
	}
	o := &opt.Options{
		BlockCacheCapacity:     lo.blockCache,
		WriteBuffer:            lo.writeBuf,
		OpenFilesCacheCapacity: lo.openFiles,
		// Without StrictManifest goleveldb skips damaged MANIFEST records and
		// then deletes the table files they named as unreferenced: silent
		// data loss. With it, a damaged MANIFEST is an error.
		Strict: opt.DefaultStrict | opt.StrictManifest,
		// Reads should not trigger compactions; write churn is enough.
		DisableSeeksCompaction: true,
		// A batch larger than the write buffer (a follower's StoreLogs of
		// many entries) would otherwise go through a goleveldb
		// transaction, whose failed commit (a full disk) keeps the write
		// lock: DB.Write never discards it, so every later write and
		// Close block for ever (TestChainDBDiskFull hung so under -race).
		// Through the journal such a batch is as atomic.
		DisableLargeBatchTransaction: true,
	}
	if lo.bloomBits > 0 {
		o.Filter = filter.NewBloomFilter(lo.bloomBits)
	}
	db, err := leveldb.OpenFile(dir, o)
	if err != nil && unfinishedCreate(dir) {
		// Killed while goleveldb was creating the database: a manifest
		// with no CURRENT naming it, and nothing else. Nothing was ever
		// stored, so start again rather than call it corrupt.
		if rerr := removeManifests(dir); rerr != nil {
			return nil, fmt.Errorf("open %s %s: clear an unfinished creation: %w", what, dir, rerr)
		}
		db, err = leveldb.OpenFile(dir, o)
	}
	if err != nil {
		if isCorrupt(err) {
			var ce *lerrors.ErrCorrupted
			if errors.As(err, &ce) {
				if missing, ok := ce.Err.(*lerrors.ErrMissingFiles); ok {
					// goleveldb's text is just "file missing"; name them.
					return nil, fmt.Errorf("open %s %s: %w: %w %v", what, dir, ErrCorrupt, err, missing.Fds)
				}
			}
			return nil, fmt.Errorf("open %s %s: %w: %w", what, dir, ErrCorrupt, err)
		}
		if IsDiskFull(err) {
			// Opening writes: a new manifest, the journal replayed into a
			// table.
			return nil, &WriteError{Dir: dir, Err: fmt.Errorf("open %s: %w", what, err)}
		}
		return nil, fmt.Errorf("open %s %s: %w", what, dir, err)
	}
	if err := checkTables(db, dir); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open %s %s: %w: %w", what, dir, ErrCorrupt, err)
	}
	return db, nil
}

// unfinishedCreate reports whether dir holds what goleveldb leaves when it
// is killed creating a database: manifests, but no CURRENT file (it is
// written, by rename, right after the first manifest), no journal and no
// table. A database that ever committed has a CURRENT; one whose CURRENT
// is gone but holds a journal or tables is corrupt, not unfinished.
func unfinishedCreate(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	manifests := 0
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, "MANIFEST-"):
			manifests++
		case name == "LOG" || name == "LOG.old" || name == "LOCK":
		default: // CURRENT, CURRENT.*, journals, tables, temp files
			return false
		}
	}
	return manifests > 0
}

func removeManifests(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "MANIFEST-") {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkTables verifies cheaply that every table the manifest names exists,
// has the size the manifest records and ends with the table magic. goleveldb
// opens tables lazily, so without this a truncated or deleted table would
// only surface on the first read that touches it.
func checkTables(db *leveldb.DB, dir string) error {
	tables, err := liveTables(db)
	if err != nil {
		return err
	}
	for num, size := range tables {
		if err := checkTable(dir, num, size); err != nil {
			// A background compaction started by the open may have retired
			// the table since we listed it; only a still-live table counts.
			now, lerr := liveTables(db)
			if lerr != nil {
				return lerr
			}
			if _, live := now[num]; live {
				return err
			}
		}
	}
	return nil
}

// liveTables parses goleveldb's "leveldb.sstables" property: file number to
// size in bytes, for every table of the current version.
func liveTables(db *leveldb.DB) (map[int64]int64, error) {
	prop, err := db.GetProperty("leveldb.sstables")
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	tables := make(map[int64]int64)
	sc := bufio.NewScanner(strings.NewReader(prop))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "---") || line == "" {
			continue
		}
		// "num:size[imin .. imax]"
		numStr, rest, ok1 := strings.Cut(line, ":")
		sizeStr, _, ok2 := strings.Cut(rest, "[")
		num, err1 := strconv.ParseInt(numStr, 10, 64)
		size, err2 := strconv.ParseInt(sizeStr, 10, 64)
		if !ok1 || !ok2 || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("list tables: unexpected line %q", line)
		}
		tables[num] = size
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	return tables, nil
}

func checkTable(dir string, num, size int64) error {
	name := filepath.Join(dir, fmt.Sprintf("%06d.ldb", num))
	f, err := os.Open(name)
	if errors.Is(err, os.ErrNotExist) {
		// goleveldb still reads the pre-1.0 ".sst" name.
		name = filepath.Join(dir, fmt.Sprintf("%06d.sst", num))
		f, err = os.Open(name)
	}
	if err != nil {
		return fmt.Errorf("table %06d: %w", num, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("table %s: %w", name, err)
	}
	if fi.Size() != size {
		return fmt.Errorf("table %s: size %d, manifest records %d", name, fi.Size(), size)
	}
	if size < int64(len(tableMagic)) {
		return fmt.Errorf("table %s: too short (%d bytes)", name, size)
	}
	magic := make([]byte, len(tableMagic))
	if _, err := f.ReadAt(magic, size-int64(len(magic))); err != nil && err != io.EOF {
		return fmt.Errorf("table %s: read footer: %w", name, err)
	}
	if string(magic) != tableMagic {
		return fmt.Errorf("table %s: bad footer magic", name)
	}
	return nil
}
