package console

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// LogEntry is one line of the regulator's log: an opening the console
// did, or a threshold opening's evidence it assembled.
type LogEntry struct {
	Time      time.Time `json:"time"`
	Tx        string    `json:"tx"`
	Group     string    `json:"group"`
	Epoch     uint64    `json:"epoch"`
	Label     string    `json:"label"`
	Org       string    `json:"org,omitempty"`
	Threshold bool      `json:"threshold"` // opened on chain by the group's committee, not with a key here
	// EvidenceSHA256 is the SHA-256 of the evidence file as the console
	// offered it for download (evidence-<tx>.json).
	EvidenceSHA256 string `json:"evidence_sha256"`
	CertChecked    bool   `json:"cert_checked"` // checked against the CA, down to the certificate
}

// ErrLog: the regulator's log could not be written; the opening it
// would record is not answered.
var ErrLog = errors.New("the regulator's log could not be written")

// Log is the regulator's log: a file of JSON lines, 0600, each appended
// and fsynced before the opening it records is answered.
type Log struct {
	mu   sync.Mutex
	path string
}

// OpenLog opens (creating it, and its directory 0700, if need be) the log
// at path. A log that others than its owner may read or write is refused:
// it names who signed what.
func OpenLog(path string) (*Log, error) {
	if path == "" {
		return nil, errors.New("no log file given")
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("log directory: %w", err)
	}
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("log: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("log: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("log %s is not a regular file", path)
	}
	if m := fi.Mode().Perm(); m&0o077 != 0 {
		return nil, fmt.Errorf("log %s is open to others (mode %04o): it names who signed what; chmod 600 it", path, m)
	}
	if errors.Is(statErr, fs.ErrNotExist) {
		if err := syncDir(dir); err != nil {
			return nil, fmt.Errorf("log: %w", err)
		}
	}
	return &Log{path: path}, nil
}

// Path is the log's file.
func (l *Log) Path() string { return l.path }

// Append writes e as a line and syncs it to disk.
func (l *Log) Append(e LogEntry) error {
	line, err := json.Marshal(e)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	f, err := os.OpenFile(l.path, os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrLog, err)
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("%w: %w", ErrLog, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("%w: %w", ErrLog, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("%w: %w", ErrLog, err)
	}
	return nil
}

// Entries reads the log, oldest first. Lines that do not decode (a line
// torn by a crash, a hand edit) are counted in bad and skipped.
func (l *Log) Entries() (entries []LogEntry, bad int, err error) {
	l.mu.Lock()
	data, err := os.ReadFile(l.path)
	l.mu.Unlock()
	if err != nil {
		return nil, 0, fmt.Errorf("log: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var e LogEntry
		if json.Unmarshal(line, &e) != nil || e.Tx == "" {
			bad++
			continue
		}
		entries = append(entries, e)
	}
	if sc.Err() != nil {
		bad++
	}
	return entries, bad, nil
}

// syncDir makes a new file's directory entry durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
