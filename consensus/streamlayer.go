package consensus

import (
	"crypto/tls"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/raft"
	"github.com/veilchain/veil/p2p"
)

// TLSStreamLayer is a raft.StreamLayer whose connections are mutual TLS:
// the listener requires a client certificate that chains to the chain CA
// (serverTLS decides), and Dial checks the server's certificate with the
// config clientTLS returns for the target address.
//
// Close also closes the accepted connections and waits (up to
// closeWait) until raft's handler of each has returned: raft's transport
// serves heartbeats on its connection goroutines, outside Raft.Shutdown,
// so a heartbeat under way when the node closed its raft store panicked
// the process ("failed to save current term: leveldb: closed").
type TLSStreamLayer struct {
	net.Listener
	advertise net.Addr
	clientTLS func(raft.ServerAddress) *tls.Config

	mu       sync.Mutex
	accepted map[*servedConn]struct{}
	handlers sync.WaitGroup
}

// closeWait bounds how long Close waits for raft's connection handlers.
const closeWait = 5 * time.Second

// servedConn is an accepted connection; raft's handler closes it when it
// returns, which is what Close waits for.
type servedConn struct {
	net.Conn
	layer *TLSStreamLayer
	once  sync.Once
}

// Close closes the connection and marks its handler done.
func (c *servedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.layer.mu.Lock()
		delete(c.layer.accepted, c)
		c.layer.mu.Unlock()
		c.layer.handlers.Done()
	})
	return err
}

// Accept waits for the next connection and tracks it until raft's
// handler closes it.
func (s *TLSStreamLayer) Accept() (net.Conn, error) {
	conn, err := s.Listener.Accept()
	if err != nil {
		return nil, err
	}
	c := &servedConn{Conn: conn, layer: s}
	s.mu.Lock()
	s.accepted[c] = struct{}{}
	s.handlers.Add(1)
	s.mu.Unlock()
	return c, nil
}

// Close stops accepting, closes every accepted connection and waits until
// raft's handlers of them have returned.
func (s *TLSStreamLayer) Close() error {
	err := s.Listener.Close()
	s.mu.Lock()
	for c := range s.accepted {
		c.Conn.Close() // the handler's read fails; it closes c on return
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.handlers.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(closeWait):
	}
	return err
}

// NewTLSStreamLayer listens on bind. advertise is the address other
// servers dial (nil: the listener's address).
func NewTLSStreamLayer(bind string, advertise net.Addr, serverTLS *tls.Config, clientTLS func(raft.ServerAddress) *tls.Config) (*TLSStreamLayer, error) {
	ln, err := tls.Listen("tcp", bind, serverTLS)
	if err != nil {
		return nil, fmt.Errorf("raft listener on %s: %w", bind, err)
	}
	if advertise == nil {
		advertise = ln.Addr()
	}
	return &TLSStreamLayer{Listener: ln, advertise: advertise, clientTLS: clientTLS, accepted: map[*servedConn]struct{}{}}, nil
}

// Addr is the advertised address.
func (s *TLSStreamLayer) Addr() net.Addr { return s.advertise }

// connUserTimeout is the TCP_USER_TIMEOUT of raft's outbound connections:
// above any round trip between data centres and the leader lease of both
// timing profiles, below raft's 10 s RPC timeout. Without it a connection
// in use when a partition began kept retransmitting with a doubling
// timeout, and after the heal the leader's appends and heartbeats to the
// healed node waited up to seconds for the next retransmission (seen with
// ss in TestNetworkPartitions: rto 1.6 s, backoff 3, after a 3 s cut).
const connUserTimeout = 2 * time.Second

// Dial opens a TLS connection to a raft server, completing the handshake
// within timeout so that a refused certificate fails here, not mid-RPC.
// The connection is aborted once data it sent stays unacknowledged for
// connUserTimeout, so raft re-dials instead of waiting out TCP's backoff.
func (s *TLSStreamLayer) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	d := &net.Dialer{Timeout: timeout, Control: p2p.UserTimeoutControl(connUserTimeout)}
	conn, err := tls.DialWithDialer(d, "tcp", string(address), s.clientTLS(address))
	if err != nil {
		return nil, fmt.Errorf("dial raft peer %s: %w", address, err)
	}
	return conn, nil
}
