//go:build linux

package p2p

import (
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// UserTimeoutControl returns a net.Dialer Control function that sets
// TCP_USER_TIMEOUT = d on the socket (Linux; elsewhere it does nothing):
// the kernel aborts the connection once data it sent has stayed
// unacknowledged (or unsent behind a zero window) for d, instead of
// retransmitting with a doubling timeout that, after a partition heals,
// holds everything queued behind it for seconds. Package consensus uses it
// for raft's connections.
func UserTimeoutControl(d time.Duration) func(network, address string, c syscall.RawConn) error {
	return func(_, _ string, c syscall.RawConn) error { return setUserTimeout(c, d) }
}

// setUserTimeout sets TCP_USER_TIMEOUT on a socket.
func setUserTimeout(c syscall.RawConn, d time.Duration) error {
	var serr error
	if err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT, int(d.Milliseconds()))
	}); err != nil {
		return err
	}
	return serr
}
