package storage

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// These follow raft-boltdb's bolt_store_test.go and raft's InmemStore
// semantics, so RaftStore is a drop-in for either.

func testRaftStore(t testing.TB, dir string) *RaftStore {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	s, err := OpenRaftStore(dir)
	if err != nil {
		t.Fatalf("OpenRaftStore: %v", err)
	}
	return s
}

func testRaftLog(idx uint64, data string) *raft.Log {
	return &raft.Log{Data: []byte(data), Index: idx}
}

func TestRaftStore_FirstIndex(t *testing.T) {
	s := testRaftStore(t, "")
	defer s.Close()
	if idx, err := s.FirstIndex(); err != nil || idx != 0 {
		t.Fatalf("FirstIndex on empty = %d, %v", idx, err)
	}
	logs := []*raft.Log{testRaftLog(1, "log1"), testRaftLog(2, "log2"), testRaftLog(3, "log3")}
	if err := s.StoreLogs(logs); err != nil {
		t.Fatal(err)
	}
	if idx, err := s.FirstIndex(); err != nil || idx != 1 {
		t.Fatalf("FirstIndex = %d, %v", idx, err)
	}
}

func TestRaftStore_LastIndex(t *testing.T) {
	s := testRaftStore(t, "")
	defer s.Close()
	if idx, err := s.LastIndex(); err != nil || idx != 0 {
		t.Fatalf("LastIndex on empty = %d, %v", idx, err)
	}
	logs := []*raft.Log{testRaftLog(1, "log1"), testRaftLog(2, "log2"), testRaftLog(3, "log3")}
	if err := s.StoreLogs(logs); err != nil {
		t.Fatal(err)
	}
	if idx, err := s.LastIndex(); err != nil || idx != 3 {
		t.Fatalf("LastIndex = %d, %v", idx, err)
	}
}

func TestRaftStore_GetLog(t *testing.T) {
	s := testRaftStore(t, "")
	defer s.Close()
	log := new(raft.Log)
	if err := s.GetLog(1, log); err != raft.ErrLogNotFound {
		t.Fatalf("GetLog missing: %v, want raft.ErrLogNotFound", err)
	}
	logs := []*raft.Log{testRaftLog(1, "log1"), testRaftLog(2, "log2"), testRaftLog(3, "log3")}
	if err := s.StoreLogs(logs); err != nil {
		t.Fatal(err)
	}
	if err := s.GetLog(2, log); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(log, logs[1]) {
		t.Fatalf("GetLog(2) = %+v, want %+v", log, logs[1])
	}
}

func TestRaftStore_SetLog(t *testing.T) {
	s := testRaftStore(t, "")
	defer s.Close()
	in := &raft.Log{
		Index:      1,
		Term:       7,
		Type:       raft.LogConfiguration,
		Data:       []byte("log1"),
		Extensions: []byte{0, 1, 2},
		AppendedAt: time.Date(2025, 3, 4, 5, 6, 7, 891011, time.UTC),
	}
	if err := s.StoreLog(in); err != nil {
		t.Fatal(err)
	}
	out := new(raft.Log)
	if err := s.GetLog(1, out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", out, in)
	}
}

func TestRaftStore_SetLogs(t *testing.T) {
	s := testRaftStore(t, "")
	defer s.Close()
	logs := []*raft.Log{testRaftLog(1, "log1"), testRaftLog(2, "log2")}
	if err := s.StoreLogs(logs); err != nil {
		t.Fatal(err)
	}
	for _, want := range logs {
		got := new(raft.Log)
		if err := s.GetLog(want.Index, got); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("log %d: got %+v", want.Index, got)
		}
	}
	if err := s.StoreLogs(nil); err != nil {
		t.Fatalf("StoreLogs(nil): %v", err)
	}
}

func TestRaftStore_DeleteRange(t *testing.T) {
	s := testRaftStore(t, "")
	defer s.Close()
	logs := []*raft.Log{testRaftLog(1, "log1"), testRaftLog(2, "log2"), testRaftLog(3, "log3")}
	if err := s.StoreLogs(logs); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRange(1, 2); err != nil {
		t.Fatal(err)
	}
	for _, i := range []uint64{1, 2} {
		if err := s.GetLog(i, new(raft.Log)); err != raft.ErrLogNotFound {
			t.Fatalf("log %d after delete: %v", i, err)
		}
	}
	if first, _ := s.FirstIndex(); first != 3 {
		t.Fatalf("FirstIndex after delete = %d, want 3", first)
	}
	if last, _ := s.LastIndex(); last != 3 {
		t.Fatalf("LastIndex after delete = %d, want 3", last)
	}
}

// Raft stores logs with gaps after a snapshot restore and deletes ranges
// that span gaps or reach past either end.
func TestRaftStore_DeleteRangeGaps(t *testing.T) {
	s := testRaftStore(t, "")
	defer s.Close()
	var logs []*raft.Log
	for _, i := range []uint64{5, 6, 7, 20, 21, 22, 100} {
		logs = append(logs, testRaftLog(i, fmt.Sprint("log", i)))
	}
	if err := s.StoreLogs(logs); err != nil {
		t.Fatal(err)
	}
	bounds := func(wantFirst, wantLast uint64) {
		t.Helper()
		f, _ := s.FirstIndex()
		l, _ := s.LastIndex()
		if f != wantFirst || l != wantLast {
			t.Fatalf("bounds = %d..%d, want %d..%d", f, l, wantFirst, wantLast)
		}
	}
	bounds(5, 100)
	if err := s.DeleteRange(6, 21); err != nil { // inner, across a gap
		t.Fatal(err)
	}
	bounds(5, 100)
	for i, want := range map[uint64]bool{5: true, 6: false, 7: false, 20: false, 21: false, 22: true, 100: true} {
		err := s.GetLog(i, new(raft.Log))
		if want != (err == nil) {
			t.Fatalf("log %d: present=%v, err=%v", i, want, err)
		}
	}
	if err := s.DeleteRange(50, 1000); err != nil { // suffix, past the end
		t.Fatal(err)
	}
	bounds(5, 22)
	if err := s.DeleteRange(0, 5); err != nil { // prefix, from below the start
		t.Fatal(err)
	}
	bounds(22, 22)
	if err := s.DeleteRange(8, 7); err != nil { // empty range is a no-op
		t.Fatal(err)
	}
	if err := s.DeleteRange(0, ^uint64(0)); err != nil {
		t.Fatal(err)
	}
	bounds(0, 0)
	// After emptying, appending restarts the bounds.
	if err := s.StoreLogs([]*raft.Log{testRaftLog(300, "a"), testRaftLog(301, "b")}); err != nil {
		t.Fatal(err)
	}
	bounds(300, 301)
}

func TestRaftStore_Set_Get(t *testing.T) {
	s := testRaftStore(t, "")
	defer s.Close()
	_, err := s.Get([]byte("bad"))
	if err == nil || err.Error() != "not found" {
		t.Fatalf("Get missing: %v, want text \"not found\"", err)
	}
	if !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("Get missing: %v is not ErrKeyNotFound", err)
	}
	k, v := []byte("hello"), []byte("world")
	if err := s.Set(k, v); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(k)
	if err != nil || !bytes.Equal(got, v) {
		t.Fatalf("Get = %q, %v", got, err)
	}
}

func TestRaftStore_SetUint64_GetUint64(t *testing.T) {
	s := testRaftStore(t, "")
	defer s.Close()
	if v, err := s.GetUint64([]byte("bad")); err == nil || err.Error() != "not found" || v != 0 {
		t.Fatalf("GetUint64 missing = %d, %v", v, err)
	}
	k := []byte("abc")
	if err := s.SetUint64(k, 123); err != nil {
		t.Fatal(err)
	}
	if v, err := s.GetUint64(k); err != nil || v != 123 {
		t.Fatalf("GetUint64 = %d, %v", v, err)
	}
}

func TestRaftStore_Reopen(t *testing.T) {
	dir := t.TempDir()
	s := testRaftStore(t, dir)
	for i := uint64(10); i < 20; i++ {
		if err := s.StoreLog(testRaftLog(i, fmt.Sprint("log", i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteRange(10, 12); err != nil {
		t.Fatal(err)
	}
	if err := s.SetUint64([]byte("CurrentTerm"), 4); err != nil {
		t.Fatal(err)
	}
	if err := s.Set([]byte("LastVoteCand"), []byte("node1")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = testRaftStore(t, dir)
	defer s.Close()
	f, _ := s.FirstIndex()
	l, _ := s.LastIndex()
	if f != 13 || l != 19 {
		t.Fatalf("bounds after reopen = %d..%d, want 13..19", f, l)
	}
	got := new(raft.Log)
	if err := s.GetLog(15, got); err != nil || string(got.Data) != "log15" {
		t.Fatalf("GetLog(15) after reopen = %+v, %v", got, err)
	}
	if v, err := s.GetUint64([]byte("CurrentTerm")); err != nil || v != 4 {
		t.Fatalf("CurrentTerm after reopen = %d, %v", v, err)
	}
	if v, err := s.Get([]byte("LastVoteCand")); err != nil || string(v) != "node1" {
		t.Fatalf("LastVoteCand after reopen = %q, %v", v, err)
	}
}

// Logs and stable keys live under different prefixes: a stable key that
// looks like a log key must not show up as a log.
func TestRaftStore_KeySpaces(t *testing.T) {
	s := testRaftStore(t, "")
	defer s.Close()
	if err := s.Set(logKey(5), []byte("x")); err != nil {
		t.Fatal(err)
	}
	if f, _ := s.FirstIndex(); f != 0 {
		t.Fatalf("stable key counted as log: first=%d", f)
	}
	if err := s.GetLog(5, new(raft.Log)); err != raft.ErrLogNotFound {
		t.Fatalf("GetLog(5) = %v", err)
	}
}

type countFSM struct{ n int }

func (f *countFSM) Apply(*raft.Log) any                 { f.n++; return nil }
func (f *countFSM) Snapshot() (raft.FSMSnapshot, error) { return nil, errors.New("no snapshots") }
func (f *countFSM) Restore(io.ReadCloser) error         { return errors.New("no snapshots") }

// A real single-node raft on RaftStore: bootstrap, apply, restart on the same
// directory and find the term, vote and log where they were.
func TestRaftStore_WithRaft(t *testing.T) {
	if testing.Short() {
		t.Skip("starts raft")
	}
	dir := t.TempDir()
	run := func(bootstrap bool, applies int) (last uint64) {
		store := testRaftStore(t, dir)
		defer store.Close()
		conf := raft.DefaultConfig()
		conf.LocalID = "n1"
		conf.HeartbeatTimeout = 50 * time.Millisecond
		conf.ElectionTimeout = 50 * time.Millisecond
		conf.LeaderLeaseTimeout = 50 * time.Millisecond
		conf.CommitTimeout = 5 * time.Millisecond
		conf.LogOutput = io.Discard
		addr, trans := raft.NewInmemTransport("n1")
		snaps := raft.NewInmemSnapshotStore()
		if bootstrap {
			cfg := raft.Configuration{Servers: []raft.Server{{ID: "n1", Address: addr}}}
			if err := raft.BootstrapCluster(conf, store, store, snaps, trans, cfg); err != nil {
				t.Fatalf("bootstrap: %v", err)
			}
		}
		r, err := raft.NewRaft(conf, &countFSM{}, store, store, snaps, trans)
		if err != nil {
			t.Fatalf("NewRaft: %v", err)
		}
		defer func() {
			if err := r.Shutdown().Error(); err != nil {
				t.Fatalf("shutdown: %v", err)
			}
		}()
		deadline := time.Now().Add(5 * time.Second)
		for r.State() != raft.Leader {
			if time.Now().After(deadline) {
				t.Fatal("no leader")
			}
			time.Sleep(10 * time.Millisecond)
		}
		for i := 0; i < applies; i++ {
			if err := r.Apply([]byte(fmt.Sprint("cmd", i)), time.Second).Error(); err != nil {
				t.Fatalf("apply: %v", err)
			}
		}
		if err := r.Barrier(time.Second).Error(); err != nil {
			t.Fatal(err)
		}
		return r.LastIndex()
	}
	last1 := run(true, 50)
	last2 := run(false, 10)
	if last2 <= last1+10-1 {
		t.Fatalf("after restart last index %d, before %d: log not kept", last2, last1)
	}
	store := testRaftStore(t, dir)
	defer store.Close()
	if term, err := store.GetUint64([]byte("CurrentTerm")); err != nil || term < 2 {
		t.Fatalf("CurrentTerm = %d, %v; want >= 2 after a restart", term, err)
	}
}

// TestRaftLogSize: LogSize counts the encoded bytes of the stored entries
// through stores, overwrites, truncations and a reopen, and a truncation's
// disk is reclaimed (the background compaction drops the deleted blocks).
func TestRaftLogSize(t *testing.T) {
	dir := t.TempDir()
	s := testRaftStore(t, dir)
	data := make([]byte, 256<<10)
	for i := range data {
		data[i] = byte(i*131 + i>>8) // no long runs: snappy cannot shrink it much
	}
	var logs []*raft.Log
	want := map[uint64]uint64{}
	for i := uint64(1); i <= 40; i++ {
		l := &raft.Log{Index: i, Term: 1, Type: raft.LogCommand, Data: data[:len(data)-int(i)], AppendedAt: time.Unix(1, 0)}
		enc, _ := appendLog(nil, l)
		want[i] = uint64(len(enc))
		logs = append(logs, l)
	}
	if err := s.StoreLogs(logs); err != nil {
		t.Fatal(err)
	}
	sum := func(lo, hi uint64) (n uint64) {
		for i := lo; i <= hi; i++ {
			n += want[i]
		}
		return n
	}
	check := func(s *RaftStore, lo, hi uint64) {
		t.Helper()
		if n, b := s.LogSize(); n != hi-lo+1 || b != sum(lo, hi) {
			t.Fatalf("LogSize = %d entries, %d bytes; want %d, %d", n, b, hi-lo+1, sum(lo, hi))
		}
	}
	check(s, 1, 40)
	// Storing an index again replaces its bytes.
	if err := s.StoreLog(logs[39]); err != nil {
		t.Fatal(err)
	}
	check(s, 1, 40)
	if err := s.DeleteRange(0, 37); err != nil {
		t.Fatal(err)
	}
	check(s, 38, 40)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = testRaftStore(t, dir)
	defer s.Close()
	check(s, 38, 40)
	if err := s.DeleteRange(38, 39); err != nil {
		t.Fatal(err)
	}
	check(s, 40, 40)
	// The 39 deleted entries (about 10 MiB) leave the disk: poll, since
	// the compaction runs in the background.
	var size int64
	for range 300 {
		if size = testDirBytes(t, dir); size < 2<<20 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("raft database still holds %d bytes for one live 256 KiB entry", size)
}

func testDirBytes(t testing.TB, dir string) int64 {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, e := range ents {
		if fi, err := e.Info(); err == nil && fi.Mode().IsRegular() {
			n += fi.Size()
		}
	}
	return n
}

func TestRaftLogPolicy(t *testing.T) {
	p := RaftLogPolicy{MaxBytes: 4 << 20, KeepBytes: 2 << 20, MinEntries: 8}
	for _, c := range []struct {
		entries, size, keep uint64
		due                 bool
	}{
		{0, 0, 0, false},
		{10, 4 << 20, 0, false},     // at the limit, not over it
		{5, 5 << 20, 8, true},       // 1 MiB entries: 2 of them, but at least 8
		{5000, 5 << 20, 2001, true}, // 1,048 B entries: 2 MiB holds 2,001
		{1 << 20, (4 << 20) + 1, 1 << 19, true},
	} {
		keep, due := p.Compact(c.entries, c.size)
		if keep != c.keep || due != c.due {
			t.Errorf("Compact(%d, %d) = %d, %v; want %d, %v", c.entries, c.size, keep, due, c.keep, c.due)
		}
	}
}
