//go:build !linux

package p2p

import (
	"syscall"
	"time"
)

// UserTimeoutControl returns a net.Dialer Control function that does
// nothing here: TCP_USER_TIMEOUT is Linux's (see sockopt_linux.go).
func UserTimeoutControl(time.Duration) func(network, address string, c syscall.RawConn) error {
	return func(string, string, syscall.RawConn) error { return nil }
}

// setUserTimeout is a no-op where TCP_USER_TIMEOUT does not exist: a dead
// packet connection is then noticed by packetWriteTimeout alone.
func setUserTimeout(syscall.RawConn, time.Duration) error { return nil }
