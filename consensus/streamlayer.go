package consensus

import (
	"crypto/tls"
	"fmt"
	"net"
	"time"

	"github.com/hashicorp/raft"
)

// TLSStreamLayer is a raft.StreamLayer whose connections are mutual TLS:
// the listener requires a client certificate that chains to the chain CA
// (serverTLS decides), and Dial checks the server's certificate with the
// config clientTLS returns for the target address.
type TLSStreamLayer struct {
	net.Listener
	advertise net.Addr
	clientTLS func(raft.ServerAddress) *tls.Config
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
	return &TLSStreamLayer{Listener: ln, advertise: advertise, clientTLS: clientTLS}, nil
}

// Addr is the advertised address.
func (s *TLSStreamLayer) Addr() net.Addr { return s.advertise }

// Dial opens a TLS connection to a raft server, completing the handshake
// within timeout so that a refused certificate fails here, not mid-RPC.
func (s *TLSStreamLayer) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	d := &net.Dialer{Timeout: timeout}
	conn, err := tls.DialWithDialer(d, "tcp", string(address), s.clientTLS(address))
	if err != nil {
		return nil, fmt.Errorf("dial raft peer %s: %w", address, err)
	}
	return conn, nil
}
