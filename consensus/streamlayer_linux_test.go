//go:build linux

package consensus

import (
	"crypto/tls"
	"net"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"golang.org/x/sys/unix"
)

// TestStreamLayerDialUserTimeout: raft's outbound connections carry
// TCP_USER_TIMEOUT = connUserTimeout, so one cut off by a partition is
// aborted rather than left in TCP's retransmission backoff past the heal
// (the faults package's partition tests measure the effect).
func TestStreamLayerDialUserTimeout(t *testing.T) {
	ca := newTestCA(t)
	cert, _ := ca.issue(t, "node-1", time.Now().Add(time.Hour))
	server, client := tlsConfigs(ca, cert)
	layer, err := NewTLSStreamLayer("127.0.0.1:0", nil, server, client)
	if err != nil {
		t.Fatal(err)
	}
	defer layer.Close()
	go func() {
		if c, err := layer.Accept(); err == nil {
			defer c.Close()
			_ = c.(*servedConn).Conn.(*tls.Conn).Handshake()
			var b [1]byte
			_, _ = c.Read(b[:])
		}
	}()
	out, err := layer.Dial(raft.ServerAddress(layer.Addr().String()), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	rc, err := out.(*tls.Conn).NetConn().(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var ms int
	var gerr error
	if err := rc.Control(func(fd uintptr) { ms, gerr = unix.GetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT) }); err != nil {
		t.Fatal(err)
	}
	if gerr != nil {
		t.Fatal(gerr)
	}
	if want := int(connUserTimeout.Milliseconds()); ms != want {
		t.Errorf("raft connection: TCP_USER_TIMEOUT %d ms, want %d", ms, want)
	}
}
