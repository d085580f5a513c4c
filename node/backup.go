package node

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/veilchain/veil/storage"
	"golang.org/x/sync/semaphore"
)

// Files of a backup directory.
const (
	// BackupFile is the backup stream (package storage's format v1).
	BackupFile = "chain.vbk"
	// ManifestFile describes it (BackupManifest, JSON).
	ManifestFile = "manifest.json"
	// backupFormat is the manifest's format number.
	backupFormat = 1
)

// ErrBadBackup is wrapped by every refusal of a backup directory: a
// missing or unreadable manifest, a stream that does not match it (size,
// checksum, chain, head, records) or that does not decode
// (storage.ErrBadBackup is wrapped as well then).
var ErrBadBackup = errors.New("backup refused")

// BackupManifest describes a backup directory: what `veil node backup`
// downloaded and checked, and what `veil node restore` checks again.
type BackupManifest struct {
	Format   int       `json:"format"`
	ChainID  string    `json:"chain_id"`
	Node     string    `json:"node,omitempty"` // the node it was taken from
	Height   uint64    `json:"height"`
	HeadHash string    `json:"head_hash"` // hex
	Records  uint64    `json:"records"`   // LevelDB keys
	Bytes    int64     `json:"bytes"`     // of BackupFile
	SHA256   string    `json:"sha256"`    // of BackupFile, hex
	Schema   uint32    `json:"schema"`    // chain database schema version
	Created  time.Time `json:"created"`
}

// backupNodeHeader names the node a backup stream comes from.
const backupNodeHeader = "X-Veil-Node"

// backupHandler serves GET /admin/backup: a backup stream of the chain
// database taken from one LevelDB snapshot while the node runs on. One
// backup at a time: a second is answered 409 with Retry-After. A failure
// mid-stream aborts the response, so the client never sees a clean end.
func (n *Node) backupHandler() http.Handler {
	busy := semaphore.NewWeighted(1)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !busy.TryAcquire(1) {
			w.Header().Set("Retry-After", "10")
			writeOpsError(w, http.StatusConflict, "backup_running", "a backup of this node is already being taken")
			return
		}
		defer busy.Release(1)
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set(backupNodeHeader, n.cfg.NodeID)
		start := time.Now()
		sum, err := n.db.Backup(w, n.ledger.ChainID())
		if err != nil {
			n.log.Warn("backup failed", "remote", r.RemoteAddr, "err", err)
			panic(http.ErrAbortHandler)
		}
		n.log.Info("backup taken", "remote", r.RemoteAddr, "height", sum.Header.Height, "records", sum.Records,
			"bytes", sum.Bytes, "took", time.Since(start).Round(time.Millisecond))
	})
}

// WriteBackup reads a backup stream from r (GET /admin/backup; fromNode
// names its node), checks it to its end and writes it into dir, which
// must not exist or be empty, as BackupFile and ManifestFile. Only a
// whole, checked stream gets a manifest; on error dir holds no manifest.
func WriteBackup(dir string, r io.Reader, fromNode string) (*BackupManifest, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	if ents, err := os.ReadDir(dir); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	} else if len(ents) > 0 {
		return nil, fmt.Errorf("backup: %s is not empty", dir)
	}
	tmp := filepath.Join(dir, BackupFile+".part")
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	defer os.Remove(tmp) // gone after the rename, or left by a failure
	sum, err := checkStream(io.TeeReader(r, f))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, BackupFile)); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	m := &BackupManifest{Format: backupFormat, ChainID: sum.Header.Label, Node: fromNode, Height: sum.Header.Height,
		HeadHash: hex.EncodeToString(sum.Header.Head[:]), Records: sum.Records, Bytes: sum.Bytes,
		SHA256: hex.EncodeToString(sum.SHA256[:]), Schema: sum.Header.Schema, Created: time.Now().UTC()}
	b, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, ManifestFile), append(b, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("backup: write manifest: %w", err)
	}
	return m, nil
}

// checkStream decodes a whole backup stream.
func checkStream(r io.Reader) (storage.BackupSummary, error) {
	d, err := storage.NewBackupReader(r)
	if err != nil {
		return storage.BackupSummary{}, err
	}
	for {
		if _, _, err := d.Next(); err == io.EOF {
			return d.Summary(), nil
		} else if err != nil {
			return storage.BackupSummary{}, err
		}
	}
}

// ReadBackupManifest reads dir's manifest.
func ReadBackupManifest(dir string) (*BackupManifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadBackup, err)
	}
	var m BackupManifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrBadBackup, ManifestFile, err)
	}
	if m.Format != backupFormat {
		return nil, fmt.Errorf("%w: %s: format %d, this build reads %d", ErrBadBackup, ManifestFile, m.Format, backupFormat)
	}
	return &m, nil
}

// RestoreOptions says where `veil node restore` installs a backup.
type RestoreOptions struct {
	From    string // backup directory
	DataDir string // the node's data_dir
	RaftDir string // the node's raft_dir; "" means DataDir
	ChainID string // if set, the backup must be of this chain
	// Force replaces what the data directory holds: its chain database
	// and the raft log and snapshots (nothing else is touched).
	Force bool
}

// Restore installs a backup as a node's chain database, after checking
// the stream's size and SHA-256 against the manifest and, as it is
// written, its chain id, head and record count. The raft log and
// snapshots are left empty: on start the node bootstraps (a validator)
// or waits (an observer) like a new one, the leader sends it its log or
// a snapshot, and the FSM skips every height the restored database
// already holds (chain.ErrAlreadyApplied) or, restoring a snapshot,
// fetches only the blocks above them; it catches up from the backup's
// height, not from genesis.
func Restore(opt RestoreOptions) (*BackupManifest, error) {
	m, err := ReadBackupManifest(opt.From)
	if err != nil {
		return nil, err
	}
	if opt.ChainID != "" && m.ChainID != opt.ChainID {
		return nil, fmt.Errorf("%w: backup of chain %q, this node is of %q", ErrBadBackup, m.ChainID, opt.ChainID)
	}
	path := filepath.Join(opt.From, BackupFile)
	if err := checkFile(path, m); err != nil {
		return nil, err
	}
	raftDir := opt.RaftDir
	if raftDir == "" {
		raftDir = opt.DataDir
	}
	chainDir := filepath.Join(opt.DataDir, "chain")
	raftState := []string{filepath.Join(raftDir, "raft-log"), filepath.Join(raftDir, "raft")}
	// A node running on these directories holds their locks: restoring
	// under it would replace its database while it writes.
	for _, d := range uniqueDirs(opt.DataDir, raftDir) {
		lock, err := storage.LockDir(d)
		if err != nil {
			return nil, fmt.Errorf("restore: %w", err)
		}
		defer lock.Close()
	}
	// With Force the old chain database is moved aside, not removed, until
	// the new one is in: a backup refused half-way leaves the node as it was.
	aside := chainDir + ".replaced"
	installed := false
	if opt.Force {
		if err := os.RemoveAll(aside); err != nil {
			return nil, fmt.Errorf("restore: %w", err)
		}
		if err := os.Rename(chainDir, aside); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("restore: %w", err)
		}
		defer func() {
			if installed {
				_ = os.RemoveAll(aside)
			} else if _, err := os.Stat(aside); err == nil {
				_ = os.RemoveAll(chainDir)
				_ = os.Rename(aside, chainDir)
			}
		}()
	} else {
		for _, d := range []string{opt.DataDir, raftDir} {
			if ents, err := os.ReadDir(d); err == nil && len(withoutLock(ents)) > 0 {
				return nil, fmt.Errorf("restore: %s is not empty (holds %s): a node's data would be replaced; use --force to replace its chain database and raft state", d, withoutLock(ents)[0].Name())
			} else if err != nil && !errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("restore: %w", err)
			}
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadBackup, err)
	}
	defer f.Close()
	sum, err := storage.RestoreBackup(chainDir, f, func(h storage.BackupHeader) error {
		if h.Label != m.ChainID || h.Height != m.Height || hex.EncodeToString(h.Head[:]) != m.HeadHash || h.Schema != m.Schema {
			return fmt.Errorf("%w: the stream's header (chain %q, height %d, head %x) is not the manifest's (chain %q, height %d, head %.16s)",
				ErrBadBackup, h.Label, h.Height, h.Head[:8], m.ChainID, m.Height, m.HeadHash)
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, storage.ErrBadBackup) {
			err = fmt.Errorf("%w: %w", ErrBadBackup, err)
		}
		return nil, fmt.Errorf("restore: %w", err)
	}
	if sum.Records != m.Records {
		// The checksum matched, so only a forged manifest gets here.
		_ = os.RemoveAll(chainDir)
		return nil, fmt.Errorf("%w: %d records, the manifest says %d", ErrBadBackup, sum.Records, m.Records)
	}
	installed = true
	// Raft state beside a restored database would be older or newer than
	// it for no gain: the node starts with none (see Restore).
	for _, d := range raftState {
		if err := os.RemoveAll(d); err != nil {
			return nil, fmt.Errorf("restore: chain database installed, but the raft state is not removed: %w", err)
		}
	}
	return m, nil
}

// checkFile compares the backup file's size and SHA-256 with the
// manifest's before anything is written.
func checkFile(path string, m *BackupManifest) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadBackup, err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return fmt.Errorf("%w: read %s: %w", ErrBadBackup, path, err)
	}
	if n != m.Bytes {
		return fmt.Errorf("%w: %s has %d bytes, the manifest says %d (truncated or replaced)", ErrBadBackup, path, n, m.Bytes)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != m.SHA256 {
		return fmt.Errorf("%w: %s: checksum mismatch: sha256 %.16s…, the manifest says %.16s… (corrupted)", ErrBadBackup, path, got, m.SHA256)
	}
	return nil
}

// uniqueDirs is dirs without repeats (raft_dir is often data_dir).
func uniqueDirs(dirs ...string) []string {
	var out []string
	seen := map[string]bool{}
	for _, d := range dirs {
		key := filepath.Clean(d)
		if abs, err := filepath.Abs(d); err == nil {
			key = abs
		}
		if !seen[key] { // a directory is never dropped: each one kept is locked
			seen[key] = true
			out = append(out, d)
		}
	}
	return out
}

// withoutLock is a directory's entries but the lock file, which Restore
// itself holds.
func withoutLock(ents []os.DirEntry) []os.DirEntry {
	var out []os.DirEntry
	for _, e := range ents {
		if e.Name() != storage.LockFile {
			out = append(out, e)
		}
	}
	return out
}
