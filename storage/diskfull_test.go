package storage

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/hashicorp/raft"
)

// tmpfs mounts a tmpfs of size (mount's syntax: "2m") on a new directory,
// unmounted in t.Cleanup; it skips the test where mounting is not allowed.
// It returns the directory and a func that remounts it with a new size.
func tmpfs(t *testing.T, size string) (string, func(size string)) {
	t.Helper()
	dir, err := os.MkdirTemp("", fmt.Sprintf("veil-storage-full-%d-", os.Getpid()))
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		os.Remove(dir)
		t.Skipf("cannot mount a tmpfs (needs root): %v %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
			_ = exec.Command("umount", "-l", dir).Run()
		}
		os.Remove(dir)
	})
	return dir, func(size string) {
		t.Helper()
		if out, err := exec.Command("mount", "-o", "remount,size="+size, dir).CombinedOutput(); err != nil {
			t.Fatalf("remount %s: %v %s", dir, err, out)
		}
	}
}

// TestChainDBDiskFull fills the chain database's disk with block-sized
// batches: the failing Commit names the directory and ENOSPC, the Fault
// latches it and refuses later writes, and after a remount with room the
// database opens uncorrupted with every block committed before the
// failure whole, the head at the last of them, and takes new blocks.
func TestChainDBDiskFull(t *testing.T) {
	dir, remount := tmpfs(t, "2m")
	db, err := Open(dir, Options{WriteBufferSize: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	part := make([]byte, 16<<10)
	put := func(db *DB, h uint64) error {
		b := db.NewBatch()
		var parts [][]byte
		for range 4 {
			rand.Read(part) // incompressible
			parts = append(parts, append([]byte(nil), part...))
		}
		hash := sha256.Sum256(binary.BigEndian.AppendUint64(nil, h))
		b.PutBlock(h, hash, []byte("head"), parts)
		b.SetHead(h, hash)
		return b.Commit()
	}
	var last uint64
	for h := uint64(1); ; h++ {
		err = put(db, h)
		if err != nil {
			break
		}
		last = h
		if h > 1000 {
			t.Fatal("2 MiB took 64 MiB of blocks")
		}
	}
	var we *WriteError
	if !errors.As(err, &we) || we.Dir != dir || !IsDiskFull(err) {
		t.Fatalf("commit on a full disk: %v (%T), want a disk-full *WriteError of %s", err, err, dir)
	}
	t.Logf("block %d failed: %v", last+1, err)
	if db.Fault().Err() == nil {
		t.Fatal("Fault not latched")
	}
	select {
	case <-db.Fault().Done():
	default:
		t.Fatal("Fault.Done not closed")
	}
	remount("8m")
	if err2 := put(db, last+1); err2 == nil || err2.Error() != err.Error() {
		t.Fatalf("commit after the fault: %v, want the latched %v", err2, err)
	}
	if err := db.Close(); err != nil {
		t.Logf("close after the fault: %v", err)
	}

	db, err = Open(dir, Options{WriteBufferSize: 64 << 10})
	if err != nil {
		t.Fatalf("reopen with room: %v", err)
	}
	defer db.Close()
	h, _, _, err := db.Head()
	if err != nil || h != last {
		t.Fatalf("head after reopen: %d %v, want %d (the last committed block)", h, err, last)
	}
	for k := uint64(1); k <= last; k++ {
		if _, err := db.BlockByHeight(k); err != nil {
			t.Fatalf("block %d after reopen: %v", k, err)
		}
	}
	if _, err := db.BlockByHeight(last + 1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the failed block %d: %v, want ErrNotFound (no half block)", last+1, err)
	}
	if err := put(db, last+1); err != nil {
		t.Fatalf("commit with room: %v", err)
	}
}

// TestRaftStoreDiskFull does the same for the raft store: a failed
// StoreLogs latches the Fault and names the directory; every later write
// (logs, stable keys, truncation) returns it; after a remount the store
// opens with every entry stored before the failure.
func TestRaftStoreDiskFull(t *testing.T) {
	dir, remount := tmpfs(t, "2m")
	s, err := OpenRaftStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 64<<10)
	var last uint64
	for i := uint64(1); ; i++ {
		rand.Read(data)
		if err = s.StoreLogs([]*raft.Log{{Index: i, Term: 1, Type: raft.LogCommand, Data: append([]byte(nil), data...)}}); err != nil {
			break
		}
		last = i
		if i > 1000 {
			t.Fatal("2 MiB took 64 MiB of entries")
		}
	}
	var we *WriteError
	if !errors.As(err, &we) || we.Dir != dir || !IsDiskFull(err) {
		t.Fatalf("StoreLogs on a full disk: %v (%T), want a disk-full *WriteError of %s", err, err, dir)
	}
	t.Logf("entry %d failed: %v", last+1, err)
	remount("8m")
	for what, werr := range map[string]error{
		"SetUint64":   s.SetUint64([]byte("CurrentTerm"), 2),
		"StoreLog":    s.StoreLog(&raft.Log{Index: last + 1, Term: 1, Type: raft.LogCommand}),
		"DeleteRange": s.DeleteRange(1, 1),
	} {
		if werr == nil || werr.Error() != err.Error() {
			t.Errorf("%s after the fault: %v, want the latched %v", what, werr, err)
		}
	}
	if err := s.Close(); err != nil {
		t.Logf("close after the fault: %v", err)
	}
	s, err = OpenRaftStore(dir)
	if err != nil {
		t.Fatalf("reopen with room: %v", err)
	}
	defer s.Close()
	if first, _ := s.FirstIndex(); first != 1 {
		t.Errorf("first index %d, want 1", first)
	}
	if got, _ := s.LastIndex(); got != last {
		t.Fatalf("last index %d, want %d (the last stored entry)", got, last)
	}
	var l raft.Log
	for i := uint64(1); i <= last; i++ {
		if err := s.GetLog(i, &l); err != nil || len(l.Data) != len(data) {
			t.Fatalf("entry %d after reopen: %v (%d bytes)", i, err, len(l.Data))
		}
	}
	if err := s.SetUint64([]byte("CurrentTerm"), 2); err != nil {
		t.Fatalf("stable write with room: %v", err)
	}
}
