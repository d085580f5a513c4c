package storage

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// LockFile is the name of the lock file LockDir takes in a directory.
const LockFile = "veil.lock"

// ErrLocked is wrapped by LockDir's error when another process (or
// another open lock in this one) holds the directory.
var ErrLocked = errors.New("in use by another veil node")

// DirLock is an exclusive lock on a directory, held until Close.
type DirLock struct {
	f   *os.File
	dir string
}

// LockDir creates dir if needed and takes an exclusive, non-blocking
// flock on dir/veil.lock, writing this process's pid into it. When the
// lock is held elsewhere it fails at once with an error wrapping
// ErrLocked that names the directory and the holder's pid as the file
// records it. The kernel drops the lock when the holder exits, however
// it exits (kill -9 included), so a stale file never blocks a restart.
func LockDir(dir string) (*DirLock, error) {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs // the operator's message names the directory in full
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			holder := ""
			if b, rerr := os.ReadFile(path); rerr == nil {
				if pid, perr := strconv.Atoi(string(bytes.TrimSpace(b))); perr == nil {
					holder = fmt.Sprintf(" (pid %d)", pid)
				}
			}
			return nil, fmt.Errorf("directory %s is %w%s", dir, ErrLocked, holder)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	// The pid is for the operator's message only; the flock is the lock.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &DirLock{f: f, dir: dir}, nil
}

// Dir is the locked directory.
func (l *DirLock) Dir() string { return l.dir }

// Close releases the lock. The file stays: removing it would let a third
// process lock a new file of the same name while a second still waits on
// the old one.
func (l *DirLock) Close() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the descriptor drops the flock
	l.f = nil
	return err
}
