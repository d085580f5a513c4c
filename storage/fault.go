package storage

import (
	"errors"
	"sync"
	"syscall"
)

// WriteError is a failed write to one of the databases (or, in package
// consensus, to raft's snapshot store): Dir names the directory, Err is
// the error the write returned. A full disk reads "disk full: <dir>: …".
type WriteError struct {
	Dir string
	Err error
}

func (e *WriteError) Error() string {
	if IsDiskFull(e.Err) {
		return "disk full: " + e.Dir + ": " + e.Err.Error()
	}
	return "write failed: " + e.Dir + ": " + e.Err.Error()
}

// Unwrap returns the write's error.
func (e *WriteError) Unwrap() error { return e.Err }

// IsDiskFull reports whether err is, or wraps, ENOSPC (no space left on
// the device) or EDQUOT (a quota reached).
func IsDiskFull(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// Fault latches the first error that stops a node's writes. A database
// latches its first failed write: a write that fails may have left a torn
// record in LevelDB's journal (discarded on the next open) and leaves the
// caller's view of the database behind what it meant to write, so after
// the first failure a database takes no more writes: each returns that
// first error. Package consensus latches its own (a block it cannot
// apply, a failed snapshot write) in one too. The node stops on it and,
// once the disk has room, restarts from what is on disk. The zero Fault
// is not usable: use NewFault.
type Fault struct {
	once sync.Once
	done chan struct{}
	err  error
}

// NewFault returns a Fault with nothing latched.
func NewFault() *Fault { return &Fault{done: make(chan struct{})} }

// Set latches err unless an error is latched already, and returns the
// latched error.
func (f *Fault) Set(err error) error {
	f.once.Do(func() {
		f.err = err
		close(f.done)
	})
	return f.err
}

// fail latches err as a WriteError of dir (unless it is one already).
func (f *Fault) fail(dir string, err error) error {
	var we *WriteError
	if !errors.As(err, &we) {
		we = &WriteError{Dir: dir, Err: err}
	}
	return f.Set(we)
}

// Done is closed once an error is latched.
func (f *Fault) Done() <-chan struct{} { return f.done }

// Err returns the latched error (from a database, a *WriteError), or nil.
func (f *Fault) Err() error {
	select {
	case <-f.done:
		return f.err
	default:
		return nil
	}
}
