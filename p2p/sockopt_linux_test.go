//go:build linux

package p2p

import (
	"crypto/tls"
	"net"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
	"golang.org/x/sys/unix"
)

// TestPacketConnUserTimeout: the persistent packet connection a transport
// dials carries TCP_USER_TIMEOUT = packetWriteTimeout (so a connection cut
// off by a partition is aborted, not left to deliver stale probes after
// the heal), and stream connections, bounded by their own deadlines, do
// not. The faults package's partition tests measure the effect.
func TestPacketConnUserTimeout(t *testing.T) {
	ca := newTestCA(t, "veil test CA")
	var trs []*transport
	for _, name := range []string{"n1", "n2"} {
		tr, err := newTransport(transportConfig{identity: newIdentity(t, ca, name, certOpts{}), bindAddr: "127.0.0.1:0", logger: testLogger(), maxPacket: 64 << 10, dialTimeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tr.Shutdown() })
		trs = append(trs, tr)
	}
	a, b := trs[0], trs[1]
	to := memberlist.Address{Addr: b.advertise.String(), Name: "n2"}
	if _, err := a.WriteToAddress([]byte("ping"), to); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-b.PacketCh():
		if string(p.Buf) != "ping" {
			t.Fatalf("n2 received %q", p.Buf)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("n2 received no packet")
	}
	stream, err := a.DialAddressTimeout(to, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()

	a.mu.Lock()
	var conns []net.Conn
	for c, peer := range a.conns {
		if peer == "n2" {
			conns = append(conns, c)
		}
	}
	a.mu.Unlock()
	if len(conns) != 2 {
		t.Fatalf("n1 holds %d connections to n2, want 2 (packets, stream)", len(conns))
	}
	var packet, other int
	for _, c := range conns {
		ms := userTimeout(t, c)
		if c == stream {
			other = ms
		} else {
			packet = ms
		}
	}
	if want := int(packetWriteTimeout.Milliseconds()); packet != want {
		t.Errorf("packet connection: TCP_USER_TIMEOUT %d ms, want %d", packet, want)
	}
	if other != 0 {
		t.Errorf("stream connection: TCP_USER_TIMEOUT %d ms, want the kernel's default (0)", other)
	}
}

func userTimeout(t *testing.T, c net.Conn) int {
	t.Helper()
	tcp, ok := c.(*trackedConn).Conn.(*tls.Conn).NetConn().(*net.TCPConn)
	if !ok {
		t.Fatalf("%T is not over TCP", c)
	}
	rc, err := tcp.SyscallConn()
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
	return ms
}
