package storage

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/raft"
)

// buildClosedDB writes enough blocks through a tiny write buffer that the
// database holds several .ldb tables, then closes it.
func buildClosedDB(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	db, err := Open(dir, Options{WriteBufferSize: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for h := uint64(0); h < 40; h++ {
		blk := make([]byte, 32<<10)
		for i := range blk {
			blk[i] = byte(rng.Uint32())
		}
		b := db.NewBatch()
		hash := hashOf("block", h)
		b.PutBlock(h, hash, blk[:100], [][]byte{blk[100:]})
		b.PutTx(hashOf("tx", h), h, 0)
		b.SetHead(h, hash)
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func globOne(t *testing.T, dir, pattern string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil || len(m) == 0 {
		t.Fatalf("no %s in %s (%v)", pattern, dir, err)
	}
	return m
}

func truncateHalf(t *testing.T, name string) {
	t.Helper()
	fi, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(name, fi.Size()/2); err != nil {
		t.Fatal(err)
	}
}

func TestOpenCorrupt(t *testing.T) {
	cases := []struct {
		name   string
		damage func(t *testing.T, dir string)
	}{
		{"truncated MANIFEST", func(t *testing.T, dir string) {
			truncateHalf(t, globOne(t, dir, "MANIFEST-*")[0])
		}},
		{"garbage MANIFEST tail", func(t *testing.T, dir string) {
			m := globOne(t, dir, "MANIFEST-*")[0]
			b, err := os.ReadFile(m)
			if err != nil {
				t.Fatal(err)
			}
			for i := len(b) / 2; i < len(b); i++ {
				b[i] ^= 0x5a
			}
			if err := os.WriteFile(m, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{"garbage CURRENT", func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, "CURRENT"), []byte("\x00garbage\xff"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{"CURRENT names a missing manifest", func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, "CURRENT"), []byte("MANIFEST-999999\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{"truncated table", func(t *testing.T, dir string) {
			truncateHalf(t, globOne(t, dir, "*.ldb")[0])
		}},
		{"table footer overwritten", func(t *testing.T, dir string) {
			name := globOne(t, dir, "*.ldb")[0]
			f, err := os.OpenFile(name, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			fi, _ := f.Stat()
			if _, err := f.WriteAt(make([]byte, 8), fi.Size()-8); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}},
		{"table deleted", func(t *testing.T, dir string) {
			if err := os.Remove(globOne(t, dir, "*.ldb")[0]); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := buildClosedDB(t)
			tc.damage(t, dir)
			db, err := Open(dir, DefaultOptions())
			if err == nil {
				db.Close()
				t.Fatal("Open succeeded on a damaged database")
			}
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "corrupt") || !strings.Contains(err.Error(), dir) {
				t.Fatalf("Open error does not say corrupt and name the dir: %v", err)
			}
			t.Logf("%v", err)
		})
	}
}

// A flipped byte inside a data block is only seen when read; the read must
// fail with ErrCorrupt, not return wrong bytes.
func TestReadCorruptBlock(t *testing.T) {
	dir := buildClosedDB(t)
	for _, name := range globOne(t, dir, "*.ldb") {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		b[100] ^= 0xff // inside the first data block
		if err := os.WriteFile(name, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db, err := Open(dir, DefaultOptions())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	var sawCorrupt bool
	for h := uint64(0); h < 40; h++ {
		_, err := db.BlockByHeight(h)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("block %d: %v, want ErrCorrupt", h, err)
			}
			sawCorrupt = true
		}
	}
	if !sawCorrupt {
		t.Fatal("no read reported corruption")
	}
}

func TestOpenRaftStoreCorrupt(t *testing.T) {
	dir := t.TempDir()
	s := testRaftStore(t, dir)
	if err := s.StoreLog(testRaftLog(1, "a")); err != nil {
		t.Fatal(err)
	}
	// A value that is not a log: GetLog must say corrupt, not decode junk.
	if err := s.ldb.Put(logKey(2), []byte{9, 9, 9}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.GetLog(2, new(raft.Log)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("GetLog of a junk value: %v, want ErrCorrupt", err)
	}
	s.Close()
	if err := os.WriteFile(filepath.Join(dir, "CURRENT"), []byte("junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := OpenRaftStore(dir)
	if err == nil {
		s.Close()
		t.Fatal("OpenRaftStore succeeded on a damaged database")
	}
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("OpenRaftStore error: %v", err)
	}
}
