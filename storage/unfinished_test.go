package storage

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestOpenAfterAnUnfinishedCreate: a process killed while goleveldb was
// creating the database leaves a manifest and no CURRENT; the next open
// starts a new database. With a journal or a table beside it, the
// database is corrupt and stays so.
func TestOpenAfterAnUnfinishedCreate(t *testing.T) {
	fresh := func(t *testing.T) (dir string, manifest []byte) {
		src := t.TempDir()
		db, err := Open(src, DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		names, _ := filepath.Glob(filepath.Join(src, "MANIFEST-*"))
		if len(names) == 0 {
			t.Fatal("no manifest in a new database")
		}
		manifest, _ = os.ReadFile(names[0])
		dir = t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(names[0])), manifest, 0o644); err != nil {
			t.Fatal(err)
		}
		return dir, manifest
	}
	dir, _ := fresh(t)
	db, err := Open(dir, DefaultOptions())
	if err != nil {
		t.Fatalf("open after an unfinished create: %v", err)
	}
	db.Close()

	dir, _ = fresh(t)
	if err := os.WriteFile(filepath.Join(dir, "000005.log"), []byte("journal"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, DefaultOptions()); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("a journal without CURRENT: %v, want corrupt", err)
	}
}
