package storage

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/syndtr/goleveldb/leveldb/util"
)

// backupTestDB is a database of blocks 1..heights with txs, topics and
// state, plus bulk state of bulk bytes.
func backupTestDB(t *testing.T, heights uint64, bulk int) *DB {
	t.Helper()
	db := openTestDB(t, t.TempDir())
	t.Cleanup(func() { db.Close() })
	for h := uint64(1); h <= heights; h++ {
		commitTestBlock(t, db, h, int(h%5))
	}
	for i := 0; bulk > 0; i++ {
		b := db.NewBatch()
		v := bytes.Repeat([]byte{byte(i)}, min(bulk, 8<<10))
		b.PutState([]byte(fmt.Sprintf("bulk/%06d", i)), v)
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
		bulk -= len(v)
	}
	return db
}

// dump is every key and value of a database, in order.
func dump(t *testing.T, db *DB) [][2][]byte {
	t.Helper()
	var out [][2][]byte
	it := db.ldb.NewIterator(&util.Range{}, nil)
	defer it.Release()
	for it.Next() {
		out = append(out, [2][]byte{bytes.Clone(it.Key()), bytes.Clone(it.Value())})
	}
	if err := it.Error(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestBackupRestoreRoundTrip(t *testing.T) {
	src := backupTestDB(t, 40, 100<<10)
	var buf bytes.Buffer
	sum, err := src.Backup(&buf, "veil-test")
	if err != nil {
		t.Fatal(err)
	}
	h, hash, _, _ := src.Head()
	if sum.Header.Height != h || sum.Header.Head != hash || sum.Header.Label != "veil-test" || sum.Header.Schema != schemaVersion {
		t.Fatalf("header %+v, head %d/%x", sum.Header, h, hash[:4])
	}
	want := dump(t, src)
	if sum.Records != uint64(len(want)) || sum.Bytes != int64(buf.Len()) || sum.SHA256 != sha256.Sum256(buf.Bytes()) {
		t.Fatalf("summary %d records %d bytes %x; stream has %d records, %d bytes, %x", sum.Records, sum.Bytes, sum.SHA256[:4], len(want), buf.Len(), sha256.Sum256(buf.Bytes()))
	}

	dir := filepath.Join(t.TempDir(), "chain")
	var seen BackupHeader
	got, err := RestoreBackup(dir, bytes.NewReader(buf.Bytes()), func(h BackupHeader) error { seen = h; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if got != sum || seen != sum.Header {
		t.Fatalf("restore summary %+v, header %+v; backup %+v", got, seen, sum)
	}
	dst := openTestDB(t, dir)
	defer dst.Close()
	have := dump(t, dst)
	if len(have) != len(want) {
		t.Fatalf("restored %d records, want %d", len(have), len(want))
	}
	for i := range want {
		if !bytes.Equal(have[i][0], want[i][0]) || !bytes.Equal(have[i][1], want[i][1]) {
			t.Fatalf("record %d: %q differs from %q", i, have[i][0], want[i][0])
		}
	}
	for h := uint64(1); h <= 40; h++ {
		a, err1 := src.BlockByHeight(h)
		b, err2 := dst.BlockByHeight(h)
		if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
			t.Fatalf("block %d: %v %v", h, err1, err2)
		}
	}
	if _, err := os.Stat(dir + ".restoring"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the restore's temporary directory is left: %v", err)
	}
}

// gatedWriter holds the backup after its first write until released.
type gatedWriter struct {
	w       io.Writer
	started chan struct{}
	release chan struct{}
	first   bool
}

func (g *gatedWriter) Write(b []byte) (int, error) {
	if !g.first {
		g.first = true
		close(g.started)
		<-g.release
	}
	return g.w.Write(b)
}

// TestBackupIsASnapshot: blocks committed while a backup is being written
// are not in it, and what it holds is whole at its own head.
func TestBackupIsASnapshot(t *testing.T) {
	db := backupTestDB(t, 20, 2<<20) // bigger than the encoder's buffer
	var buf bytes.Buffer
	g := &gatedWriter{w: &buf, started: make(chan struct{}), release: make(chan struct{})}
	done := make(chan error, 1)
	var sum BackupSummary
	go func() {
		var err error
		sum, err = db.Backup(g, "c")
		done <- err
	}()
	<-g.started // the backup iterates, past the blocks, into the bulk state
	for h := uint64(21); h <= 30; h++ {
		commitTestBlock(t, db, h, 4)
	}
	close(g.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if sum.Header.Height != 20 {
		t.Fatalf("backup head %d, want 20 (taken before blocks 21..30)", sum.Header.Height)
	}
	dir := filepath.Join(t.TempDir(), "chain")
	if _, err := RestoreBackup(dir, &buf, nil); err != nil {
		t.Fatal(err)
	}
	dst := openTestDB(t, dir)
	defer dst.Close()
	for h := uint64(21); h <= 30; h++ {
		if _, err := dst.BlockByHeight(h); !errors.Is(err, ErrNotFound) {
			t.Fatalf("block %d committed after the snapshot is in the backup: %v", h, err)
		}
		if _, _, err := dst.TxLocation(hashOf("tx", h, 0)); !errors.Is(err, ErrNotFound) {
			t.Fatalf("tx of block %d committed after the snapshot is in the backup: %v", h, err)
		}
	}
	for h := uint64(1); h <= 20; h++ {
		if _, err := dst.BlockByHeight(h); err != nil {
			t.Fatalf("block %d: %v", h, err)
		}
	}
}

// TestRestoreRefusesDamage: every truncation and a flipped byte anywhere
// is refused with ErrBadBackup, and nothing is left at the target.
func TestRestoreRefusesDamage(t *testing.T) {
	src := backupTestDB(t, 10, 0)
	var buf bytes.Buffer
	if _, err := src.Backup(&buf, "c"); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	base := t.TempDir()
	try := func(name string, b []byte) {
		t.Helper()
		dir := filepath.Join(base, name)
		_, err := RestoreBackup(dir, bytes.NewReader(b), nil)
		if !errors.Is(err, ErrBadBackup) {
			t.Fatalf("%s: %v, want ErrBadBackup", name, err)
		}
		for _, d := range []string{dir, dir + ".restoring"} {
			if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("%s: %s left behind (%v)", name, d, err)
			}
		}
	}
	step := max(1, len(good)/97)
	for n := 0; n < len(good); n += step {
		try(fmt.Sprintf("cut-%d", n), good[:n])
	}
	try("cut-last", good[:len(good)-1])
	for i := 0; i < len(good); i += step {
		bad := bytes.Clone(good)
		bad[i] ^= 0x20
		try(fmt.Sprintf("flip-%d", i), bad)
	}
	try("trailing", append(bytes.Clone(good), 0))
}

func TestRestoreRefusesNonEmptyDir(t *testing.T) {
	src := backupTestDB(t, 3, 0)
	var buf bytes.Buffer
	if _, err := src.Backup(&buf, "c"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "CURRENT"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := RestoreBackup(dir, &buf, nil); err == nil {
		t.Fatal("restored into a non-empty directory")
	}
	refuse := errors.New("wrong chain")
	if _, err := RestoreBackup(filepath.Join(t.TempDir(), "c"), bytes.NewReader(buf.Bytes()), func(BackupHeader) error { return refuse }); !errors.Is(err, refuse) {
		t.Fatalf("check's refusal: %v", err)
	}
}

// encodeBackup re-encodes what a reader decoded.
func encodeBackup(h BackupHeader, recs [][2][]byte) []byte {
	var buf bytes.Buffer
	e := newBackupEncoder(&buf)
	e.header(h)
	for _, r := range recs {
		e.record(r[0], r[1])
	}
	if _, err := e.finish(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// FuzzBackupReader: never panics; a stream it accepts whole re-encodes
// to the same bytes, with keys in ascending order and the summary's hash
// that of the input.
func FuzzBackupReader(f *testing.F) {
	f.Add(encodeBackup(BackupHeader{Schema: schemaVersion, Label: "veil-local", Height: 2, Head: hashOf("h")},
		[][2][]byte{{[]byte("a"), []byte("1")}, {[]byte("b"), nil}, {[]byte("ba"), bytes.Repeat([]byte{9}, 300)}}))
	f.Add(encodeBackup(BackupHeader{Schema: schemaVersion}, nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := NewBackupReader(bytes.NewReader(b))
		if err != nil {
			return
		}
		var recs [][2][]byte
		for {
			k, v, err := d.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				if !errors.Is(err, ErrBadBackup) {
					t.Fatalf("error not ErrBadBackup: %v", err)
				}
				return
			}
			if len(recs) > 0 && bytes.Compare(recs[len(recs)-1][0], k) >= 0 {
				t.Fatalf("keys out of order accepted")
			}
			recs = append(recs, [2][]byte{bytes.Clone(k), bytes.Clone(v)})
		}
		if enc := encodeBackup(d.Header(), recs); !bytes.Equal(enc, b) {
			t.Fatalf("not canonical:\n in %x\nout %x", b, enc)
		}
		if s := d.Summary(); s.SHA256 != sha256.Sum256(b) || s.Bytes != int64(len(b)) || s.Records != uint64(len(recs)) {
			t.Fatalf("summary %+v for %d bytes, %d records", s, len(b), len(recs))
		}
	})
}
