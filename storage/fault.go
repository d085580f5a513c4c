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

// Fault latches the first write error of a database. A write that fails
// may have left a torn record in LevelDB's journal (discarded on the next
// open) and leaves the caller's view of the database behind what it
// meant to write, so after the first failure a database takes no more
// writes: each returns that first error. The node stops on it and, once
// the disk has room, restarts from what is on disk.
type Fault struct {
	once sync.Once
	done chan struct{}
	err  error
}

func newFault() *Fault { return &Fault{done: make(chan struct{})} }

// fail latches err as a WriteError of dir unless an error is latched
// already, and returns the latched error.
func (f *Fault) fail(dir string, err error) error {
	f.once.Do(func() {
		var we *WriteError
		if !errors.As(err, &we) {
			we = &WriteError{Dir: dir, Err: err}
		}
		f.err = we
		close(f.done)
	})
	return f.err
}

// Done is closed once a write has failed.
func (f *Fault) Done() <-chan struct{} { return f.done }

// Err returns the first failed write (a *WriteError), or nil.
func (f *Fault) Err() error {
	select {
	case <-f.done:
		return f.err
	default:
		return nil
	}
}
