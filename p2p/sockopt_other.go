//go:build !linux

package p2p

import (
	"syscall"
	"time"
)

// setUserTimeout is a no-op where TCP_USER_TIMEOUT does not exist: a dead
// packet connection is then noticed by packetWriteTimeout alone.
func setUserTimeout(syscall.RawConn, time.Duration) error { return nil }
