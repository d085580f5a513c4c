package p2p

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// ErrPeerRefused is wrapped by every error that refuses a peer's certificate:
// not chained to the chain CA, expired, revoked, not a node id, or not the
// node that was expected.
var ErrPeerRefused = errors.New("p2p: peer refused")

// maxNodeIDLen bounds a node id; memberlist names and the gossip envelope
// (one length byte) both need a small bound.
const maxNodeIDLen = 64

// ValidNodeID reports whether id can name a node: 1 to 64 bytes of ASCII
// letters, digits, '.', '_' and '-'.
func ValidNodeID(id string) bool {
	if len(id) == 0 || len(id) > maxNodeIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// Identity is a node's TLS identity: its certificate and private key, the
// chain CA pool that peers must chain to, and the set of revoked node ids and
// certificate serial numbers. The key material can be reloaded from disk
// while connections are served; all methods are safe for concurrent use.
type Identity struct {
	certFile, keyFile, caFile string

	cur    atomic.Pointer[identityState]
	logger atomic.Pointer[slog.Logger]

	mu             sync.RWMutex
	revokedIDs     map[string]struct{}
	revokedSerials map[string]struct{}
}

// identityState is one immutable generation of loaded key material.
type identityState struct {
	cert   *tls.Certificate // Leaf set
	pool   *x509.CertPool
	nodeID string
}

// LoadIdentity reads a node's certificate and key (PEM; Ed25519 or ECDSA) and
// the chain CA certificates (PEM, one or more). The node's own certificate
// must chain to the CA, be currently valid and carry a node id as its common
// name.
func LoadIdentity(certFile, keyFile, caFile string) (*Identity, error) {
	id := &Identity{
		certFile:       certFile,
		keyFile:        keyFile,
		caFile:         caFile,
		revokedIDs:     make(map[string]struct{}),
		revokedSerials: make(map[string]struct{}),
	}
	st, err := loadIdentityState(certFile, keyFile, caFile)
	if err != nil {
		return nil, err
	}
	id.cur.Store(st)
	return id, nil
}

func loadIdentityState(certFile, keyFile, caFile string) (*identityState, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("p2p: load node certificate %s and key %s: %w", certFile, keyFile, err)
	}
	switch cert.PrivateKey.(type) {
	case ed25519.PrivateKey, *ecdsa.PrivateKey:
	default:
		return nil, fmt.Errorf("p2p: node key %s: unsupported key type %T (want Ed25519 or ECDSA)", keyFile, cert.PrivateKey)
	}
	caPEM, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("p2p: read chain CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("p2p: chain CA %s holds no PEM certificate", caFile)
	}
	leaf := cert.Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return nil, fmt.Errorf("p2p: parse node certificate %s: %w", certFile, err)
		}
		cert.Leaf = leaf
	}
	if _, err := verifyChain(pool, cert.Certificate, leaf, x509.ExtKeyUsageAny, time.Now()); err != nil {
		return nil, fmt.Errorf("p2p: node certificate %s: %w", certFile, err)
	}
	nodeID := leaf.Subject.CommonName
	if !ValidNodeID(nodeID) {
		return nil, fmt.Errorf("p2p: node certificate %s: common name %q is not a valid node id", certFile, nodeID)
	}
	return &identityState{cert: &cert, pool: pool, nodeID: nodeID}, nil
}

// Reload re-reads the certificate, key and CA files, so that a renewed
// certificate (or an extended CA bundle) takes effect without a restart, for
// example on SIGHUP. New handshakes use the new material; established
// connections are kept. On error the previous material stays in force. The
// node id may not change.
func (id *Identity) Reload() error {
	st, err := loadIdentityState(id.certFile, id.keyFile, id.caFile)
	if err != nil {
		return fmt.Errorf("p2p: reload identity: %w", err)
	}
	if old := id.cur.Load(); old.nodeID != st.nodeID {
		return fmt.Errorf("p2p: reload identity: node id would change from %q to %q", old.nodeID, st.nodeID)
	}
	id.cur.Store(st)
	id.log().Info("p2p: identity reloaded", "node", st.nodeID,
		"serial", st.cert.Leaf.SerialNumber.Text(16), "not_after", st.cert.Leaf.NotAfter)
	return nil
}

// SetLogger sets where refusals and reloads are logged (slog.Default if
// never set).
func (id *Identity) SetLogger(l *slog.Logger) { id.logger.Store(l) }

func (id *Identity) log() *slog.Logger {
	if l := id.logger.Load(); l != nil {
		return l
	}
	return slog.Default()
}

// NodeID returns this node's id, the common name of its certificate.
func (id *Identity) NodeID() string { return id.cur.Load().nodeID }

// Certificate returns the node's current certificate (parsed leaf).
func (id *Identity) Certificate() *x509.Certificate { return id.cur.Load().cert.Leaf }

// Revoke refuses the node id from now on, in new handshakes. Dropping
// established connections is the caller's job (see [Cluster.RemoveNode]).
func (id *Identity) Revoke(nodeID string) {
	id.mu.Lock()
	id.revokedIDs[nodeID] = struct{}{}
	id.mu.Unlock()
}

// RevokeSerial refuses the certificate with this serial number from now on.
func (id *Identity) RevokeSerial(serial *big.Int) {
	id.mu.Lock()
	id.revokedSerials[serial.Text(16)] = struct{}{}
	id.mu.Unlock()
}

// IsRevoked reports whether the node id has been revoked.
func (id *Identity) IsRevoked(nodeID string) bool {
	id.mu.RLock()
	_, ok := id.revokedIDs[nodeID]
	id.mu.RUnlock()
	return ok
}

func (id *Identity) isSerialRevoked(serial *big.Int) bool {
	id.mu.RLock()
	_, ok := id.revokedSerials[serial.Text(16)]
	id.mu.RUnlock()
	return ok
}

// ServerTLSConfig returns a TLS 1.3 server configuration: it presents the
// current certificate and requires a client certificate that chains to the
// chain CA, is valid now, carries a node id that is not revoked and whose
// serial is not revoked. Refusals happen during the handshake and are logged
// with the remote address. Callers may set NextProtos on the result.
func (id *Identity) ServerTLSConfig() *tls.Config {
	base := id.baseConfig()
	base.ClientAuth = tls.RequireAnyClientCert // chain checked in VerifyConnection against the current pool
	base.GetCertificate = func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
		return id.cur.Load().cert, nil
	}
	base.VerifyConnection = id.verifier(x509.ExtKeyUsageClientAuth, "", "")
	base.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		// A per-connection copy, so refusals can name the remote address.
		c := base.Clone()
		c.GetConfigForClient = nil
		remote := ""
		if hello.Conn != nil {
			remote = hello.Conn.RemoteAddr().String()
		}
		c.VerifyConnection = id.verifier(x509.ExtKeyUsageClientAuth, "", remote)
		return c, nil
	}
	return base
}

// ClientTLSConfig returns a TLS 1.3 client configuration that presents the
// current certificate and accepts a server only if its certificate chains to
// the chain CA, is valid now, is not revoked, and carries a node id, which
// must equal expectedNodeID unless that is empty.
func (id *Identity) ClientTLSConfig(expectedNodeID string) *tls.Config {
	return id.clientConfig(expectedNodeID, "")
}

func (id *Identity) clientConfig(expectedNodeID, remote string) *tls.Config {
	c := id.baseConfig()
	// Go's built-in verification checks DNS names, which node certificates
	// need not carry; VerifyConnection below does the full check instead.
	c.InsecureSkipVerify = true
	c.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		return id.cur.Load().cert, nil
	}
	c.VerifyConnection = id.verifier(x509.ExtKeyUsageServerAuth, expectedNodeID, remote)
	return c
}

func (id *Identity) baseConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS13,
		// Resumption would skip presenting certificates again; every
		// connection re-proves its identity against the current CA and
		// revocation set.
		SessionTicketsDisabled: true,
	}
}

// verifier returns a VerifyConnection callback for peers acting in the given
// role.
func (id *Identity) verifier(usage x509.ExtKeyUsage, expected, remote string) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		peer, err := id.verifyPeer(cs, usage, expected)
		if err != nil {
			attrs := []any{"reason", err.Error(), "remote", remote}
			if peer != "" {
				attrs = append(attrs, "peer", peer)
			}
			if expected != "" {
				attrs = append(attrs, "expected", expected)
			}
			id.log().Warn("p2p: TLS peer refused", attrs...)
			return err
		}
		return nil
	}
}

// verifyPeer checks the peer's certificate chain and returns its node id.
func (id *Identity) verifyPeer(cs tls.ConnectionState, usage x509.ExtKeyUsage, expected string) (string, error) {
	if cs.Version != tls.VersionTLS13 {
		return "", fmt.Errorf("%w: TLS version %#x, want 1.3", ErrPeerRefused, cs.Version)
	}
	if len(cs.PeerCertificates) == 0 {
		return "", fmt.Errorf("%w: no certificate presented", ErrPeerRefused)
	}
	leaf := cs.PeerCertificates[0]
	peer := leaf.Subject.CommonName
	raw := make([][]byte, len(cs.PeerCertificates))
	for i, c := range cs.PeerCertificates {
		raw[i] = c.Raw
	}
	if _, err := verifyChain(id.cur.Load().pool, raw, leaf, usage, time.Now()); err != nil {
		return peer, fmt.Errorf("%w: %v", ErrPeerRefused, err)
	}
	if !ValidNodeID(peer) {
		return peer, fmt.Errorf("%w: common name %q is not a node id", ErrPeerRefused, peer)
	}
	if id.IsRevoked(peer) {
		return peer, fmt.Errorf("%w: node %q is revoked", ErrPeerRefused, peer)
	}
	if id.isSerialRevoked(leaf.SerialNumber) {
		return peer, fmt.Errorf("%w: certificate serial %s is revoked", ErrPeerRefused, leaf.SerialNumber.Text(16))
	}
	if expected != "" && peer != expected {
		return peer, fmt.Errorf("%w: peer is %q, expected %q", ErrPeerRefused, peer, expected)
	}
	return peer, nil
}

// verifyChain verifies leaf (with any intermediates in raw[1:]) against pool
// at time now.
func verifyChain(pool *x509.CertPool, raw [][]byte, leaf *x509.Certificate, usage x509.ExtKeyUsage, now time.Time) ([][]*x509.Certificate, error) {
	inter := x509.NewCertPool()
	for _, r := range raw[1:] {
		c, err := x509.ParseCertificate(r)
		if err != nil {
			return nil, fmt.Errorf("parse intermediate certificate: %w", err)
		}
		inter.AddCert(c)
	}
	chains, err := leaf.Verify(x509.VerifyOptions{
		Roots:         pool,
		Intermediates: inter,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{usage},
	})
	if err != nil {
		return nil, fmt.Errorf("certificate does not verify against the chain CA: %w", err)
	}
	return chains, nil
}

// PeerNodeID returns the node id (certificate common name) of the peer of a
// completed handshake, or "" if it presented no certificate. It is only
// meaningful on connections made with this package's TLS configurations,
// which verify the certificate.
func PeerNodeID(cs tls.ConnectionState) string {
	if len(cs.PeerCertificates) == 0 {
		return ""
	}
	return cs.PeerCertificates[0].Subject.CommonName
}
