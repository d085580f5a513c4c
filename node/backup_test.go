package node

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/veilchain/veil/client"
	"github.com/veilchain/veil/storage"
)

// stalledWriter is a ResponseWriter whose body writes block until
// released, to hold a backup open.
type stalledWriter struct {
	h       http.Header
	started chan struct{}
	release chan struct{}
	once    bool
}

func (s *stalledWriter) Header() http.Header { return s.h }
func (s *stalledWriter) WriteHeader(int)     {}
func (s *stalledWriter) Write(b []byte) (int, error) {
	if !s.once {
		s.once = true
		close(s.started)
	}
	<-s.release
	return len(b), nil
}

// TestBackupRestoreNode: a backup of a running node, taken through its
// handler and written by WriteBackup, restores into the emptied data
// directory of another node (its disk lost), which starts at the backup's
// height, catches up and agrees on the head with the others. A second
// backup while one runs is refused with 409.
func TestBackupRestoreNode(t *testing.T) {
	ln := startLocalWith(t, 3, netOptions{members: []string{"alice"}, tweak: withOps})
	k := newKit(t, ln, "alice")
	admin, _, bare := adminHTTP(t, ln)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	k.waitLeader(ctx, 1, 2, 3)
	for i := 0; i < 3; i++ {
		k.commit(ctx, 1+i%3, k.anon(ctx, 1, "acme", "alice", "t", "before backup", false))
	}

	ops := "https://" + ln.nodes[1].OpsAddr()
	if _, _, err := client.NewWithHTTPClient(ops, bare).Backup(ctx); !client.IsCode(err, "forbidden") {
		t.Fatalf("backup without an admin certificate: %v, want 403 forbidden", err)
	}
	stream, from, err := client.NewWithHTTPClient(ops, admin).Backup(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "backup")
	m, err := WriteBackup(dir, stream, from)
	stream.Close()
	if err != nil {
		t.Fatal(err)
	}
	if m.Node != "node-1" || m.ChainID != "veil-local" || m.Height < 3 || m.Records == 0 {
		t.Fatalf("manifest %+v", m)
	}
	b, _ := os.ReadFile(filepath.Join(dir, BackupFile))
	if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != m.SHA256 || int64(len(b)) != m.Bytes {
		t.Fatalf("manifest sha256 %s / %d bytes; file %x / %d", m.SHA256, m.Bytes, sum[:8], len(b))
	}
	if blk, err := ln.nodes[1].ledger.Block(m.Height); err != nil || hex.EncodeToString(func() []byte { h := blk.Hash(); return h[:] }()) != m.HeadHash {
		t.Fatalf("manifest head %d/%s is not node 1's block there (%v)", m.Height, m.HeadHash, err)
	}

	// One at a time.
	h := ln.nodes[1].backupHandler()
	sw := &stalledWriter{h: http.Header{}, started: make(chan struct{}), release: make(chan struct{})}
	first := make(chan struct{})
	go func() { defer close(first); h.ServeHTTP(sw, httptest.NewRequest(http.MethodGet, "/admin/backup", nil)) }()
	<-sw.started
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/admin/backup", nil))
	if rec.Code != http.StatusConflict || rec.Header().Get("Retry-After") == "" || !strings.Contains(rec.Body.String(), "backup_running") {
		t.Fatalf("second backup: %d %q %s", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}
	close(sw.release)
	<-first

	// The network goes on; node 3 loses its disk.
	for i := 0; i < 3; i++ {
		k.commit(ctx, 2, k.anon(ctx, 2, "acme", "alice", "t", "after backup", false))
	}
	cfg3, err := ReadConfig(ConfigPath(ln.layout, 3))
	if err != nil {
		t.Fatal(err)
	}
	ln.stop(3)
	if err := os.RemoveAll(cfg3.DataDir); err != nil {
		t.Fatal(err)
	}
	got, err := Restore(RestoreOptions{From: dir, DataDir: cfg3.DataDir, ChainID: "veil-local"})
	if err != nil {
		t.Fatal(err)
	}
	if *got != *m {
		t.Fatalf("restore read manifest %+v, wrote %+v", got, m)
	}
	for _, sub := range []string{"raft-log", "raft"} {
		if _, err := os.Stat(filepath.Join(cfg3.DataDir, sub)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("restore left raft state %s: %v", sub, err)
		}
	}
	ln.start(3)
	if h := ln.nodes[3].ledger.Head().Height; h < m.Height {
		t.Fatalf("restored node starts at height %d, below the backup's %d", h, m.Height)
	}
	k.waitLeader(ctx, 1, 2, 3)
	k.commit(ctx, 3, k.anon(ctx, 3, "acme", "alice", "t", "after restore", false))
	k.waitSameHead(ctx, 1, 2, 3)
}

// copyBackup copies a backup directory.
func copyBackup(t *testing.T, dir string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "copy")
	if err := os.CopyFS(dst, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestRestoreRefusesBadBackups: a truncated or corrupted backup file, a
// manifest of another chain, and a corrupted file whose manifest was
// rewritten to match are each refused with ErrBadBackup, naming why, and
// install nothing; a data directory that holds anything is refused
// without Force and replaced with it.
func TestRestoreRefusesBadBackups(t *testing.T) {
	db, err := storage.Open(filepath.Join(t.TempDir(), "chain"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := db.NewBatch()
	b.PutBlock(1, [32]byte{1}, []byte("head"), [][]byte{[]byte("tx")})
	b.SetHead(1, [32]byte{1})
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	go func() { _, err := db.Backup(pw, "veil-local"); pw.CloseWithError(err) }()
	good := filepath.Join(t.TempDir(), "backup")
	if _, err := WriteBackup(good, pr, "node-1"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	for _, tc := range []struct {
		name, want string
		damage     func(dir string)
		opt        RestoreOptions
	}{
		{"truncated", "the manifest says", func(d string) {
			p := filepath.Join(d, BackupFile)
			st, _ := os.Stat(p)
			_ = os.Truncate(p, st.Size()-10)
		}, RestoreOptions{}},
		{"corrupted", "checksum mismatch", func(d string) { flipByte(t, filepath.Join(d, BackupFile), 40) }, RestoreOptions{}},
		{"other chain", "backup of chain", nil, RestoreOptions{ChainID: "another-chain"}},
		{"corrupted, manifest rewritten to match", "bad backup", func(d string) {
			flipByte(t, filepath.Join(d, BackupFile), 60)
			rewriteManifest(t, d)
		}, RestoreOptions{}},
		{"no manifest", "manifest.json", func(d string) { os.Remove(filepath.Join(d, ManifestFile)) }, RestoreOptions{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyBackup(t, good)
			if tc.damage != nil {
				tc.damage(dir)
			}
			opt := tc.opt
			opt.From, opt.DataDir = dir, filepath.Join(t.TempDir(), "data")
			_, err := Restore(opt)
			if !errors.Is(err, ErrBadBackup) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want ErrBadBackup saying %q", err, tc.want)
			}
			if _, err := os.Stat(filepath.Join(opt.DataDir, "chain")); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("a refused backup installed a chain database (%v)", err)
			}
		})
	}

	// A directory a node holds (its lock) is refused, even with --force.
	held := t.TempDir()
	lock, err := storage.LockDir(held)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Restore(RestoreOptions{From: good, DataDir: held, Force: true}); !errors.Is(err, storage.ErrLocked) {
		t.Fatalf("restore into a running node's data directory: %v", err)
	}
	lock.Close()
	if _, err := Restore(RestoreOptions{From: good, DataDir: held}); err != nil {
		t.Fatalf("restore into a directory whose node stopped (only its lock file left): %v", err)
	}

	data := t.TempDir()
	if err := os.MkdirAll(filepath.Join(data, "raft-log"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "keep.txt"), []byte("operator's"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Restore(RestoreOptions{From: good, DataDir: data}); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("restore into a non-empty data directory: %v", err)
	}
	if _, err := Restore(RestoreOptions{From: good, DataDir: data, Force: true}); err != nil {
		t.Fatalf("forced restore: %v", err)
	}
	if _, err := os.Stat(filepath.Join(data, "raft-log")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("forced restore kept the raft log: %v", err)
	}
	if _, err := os.Stat(filepath.Join(data, "keep.txt")); err != nil {
		t.Fatalf("forced restore removed a file that is not the node's data: %v", err)
	}
	// A forced restore of a backup refused half-way (its manifest forged
	// to match) leaves the chain database that was there.
	bad := copyBackup(t, good)
	flipByte(t, filepath.Join(bad, BackupFile), 60)
	rewriteManifest(t, bad)
	if err := os.MkdirAll(filepath.Join(data, "raft"), 0o750); err != nil {
		t.Fatal(err)
	}
	if _, err := Restore(RestoreOptions{From: bad, DataDir: data, Force: true}); !errors.Is(err, ErrBadBackup) {
		t.Fatalf("forced restore of a bad backup: %v", err)
	}
	db, err = storage.Open(filepath.Join(data, "chain"), storage.Options{})
	if err != nil {
		t.Fatalf("the chain database there before is gone: %v", err)
	}
	defer db.Close()
	if h, hash, ok, err := db.Head(); err != nil || !ok || h != 1 || hash != [32]byte{1} {
		t.Fatalf("the chain database there before: head %d %x %v %v", h, hash[:4], ok, err)
	}
	if _, err := os.Stat(filepath.Join(data, "raft")); err != nil {
		t.Fatalf("a refused forced restore removed the raft state: %v", err)
	}
}

func flipByte(t *testing.T, path string, at int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[at] ^= 0x55
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// rewriteManifest makes the manifest's size and checksum match the file.
func rewriteManifest(t *testing.T, dir string) {
	t.Helper()
	m, err := ReadBackupManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, BackupFile))
	sum := sha256.Sum256(b)
	m.SHA256, m.Bytes = hex.EncodeToString(sum[:]), int64(len(b))
	out, _ := json.Marshal(m)
	if err := os.WriteFile(filepath.Join(dir, ManifestFile), out, 0o644); err != nil {
		t.Fatal(err)
	}
}
