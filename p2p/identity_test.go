package p2p

import (
	"crypto/tls"
	"errors"
	"math/big"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// handshakePair runs a TLS handshake between a server using srv's
// ServerTLSConfig and a client using cli.ClientTLSConfig(expected), and
// returns both sides' errors after one byte of application data.
func handshakePair(t *testing.T, srv, cli *Identity, expected string) (serverErr, clientErr error, server, client tls.ConnectionState) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			serverErr = err
			return
		}
		defer c.Close()
		tc := tls.Server(c, srv.ServerTLSConfig())
		tc.SetDeadline(time.Now().Add(5 * time.Second))
		if serverErr = tc.Handshake(); serverErr == nil {
			server = tc.ConnectionState()
			_, serverErr = tc.Write([]byte{1})
		}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tc := tls.Client(c, cli.ClientTLSConfig(expected))
	tc.SetDeadline(time.Now().Add(5 * time.Second))
	if clientErr = tc.Handshake(); clientErr == nil {
		client = tc.ConnectionState()
		var b [1]byte
		_, clientErr = tc.Read(b[:]) // TLS 1.3: a refused client certificate surfaces here
	}
	<-done
	return serverErr, clientErr, server, client
}

func TestIdentityHandshake(t *testing.T) {
	ca := newTestCA(t, "ca")
	a := newIdentity(t, ca, "alpha", certOpts{})
	b := newIdentity(t, ca, "beta", certOpts{ecdsa: true})

	sErr, cErr, s, c := handshakePair(t, a, b, "alpha")
	if sErr != nil || cErr != nil {
		t.Fatalf("valid pair: server %v, client %v", sErr, cErr)
	}
	if PeerNodeID(s) != "beta" || PeerNodeID(c) != "alpha" || s.Version != tls.VersionTLS13 {
		t.Fatalf("peer ids %q %q version %#x", PeerNodeID(s), PeerNodeID(c), s.Version)
	}
	if a.NodeID() != "alpha" {
		t.Fatalf("NodeID %q", a.NodeID())
	}

	// The client expects someone else: refused at handshake.
	if _, cErr, _, _ = handshakePair(t, a, b, "gamma"); !errors.Is(cErr, ErrPeerRefused) {
		t.Fatalf("unexpected server accepted: %v", cErr)
	}

	// Revoked client, by id and by serial.
	a.Revoke("beta")
	if !a.IsRevoked("beta") {
		t.Fatal("IsRevoked")
	}
	if sErr, _, _, _ = handshakePair(t, a, b, ""); !errors.Is(sErr, ErrPeerRefused) || !strings.Contains(sErr.Error(), "revoked") {
		t.Fatalf("revoked client accepted: %v", sErr)
	}
	c2 := newIdentity(t, ca, "delta", certOpts{serial: big.NewInt(777)})
	a.RevokeSerial(big.NewInt(777))
	if sErr, _, _, _ = handshakePair(t, a, c2, ""); !errors.Is(sErr, ErrPeerRefused) {
		t.Fatalf("revoked serial accepted: %v", sErr)
	}

	// Another CA.
	other := newTestCA(t, "other")
	x := newIdentity(t, other, "xeno", certOpts{}, other.pem, ca.pem)
	if sErr, _, _, _ = handshakePair(t, c2, x, ""); !errors.Is(sErr, ErrPeerRefused) {
		t.Fatalf("foreign client accepted: %v", sErr)
	}
	if _, cErr, _, _ = handshakePair(t, x, c2, ""); !errors.Is(cErr, ErrPeerRefused) {
		t.Fatalf("foreign server accepted: %v", cErr)
	}

	// A certificate whose common name is not a node id.
	if _, err := LoadIdentity(identityFiles(t, ca, "not a node id", certOpts{})); err == nil {
		t.Fatal("loaded a certificate with an invalid node id")
	}

	// TLS 1.2 is refused.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	defer ln.Close()
	go func() {
		conn, err := ln.Accept()
		if err == nil {
			tls.Server(conn, a.ServerTLSConfig()).Handshake()
			conn.Close()
		}
	}()
	cfg := c2.ClientTLSConfig("")
	cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
	if conn, err := tls.Dial("tcp", ln.Addr().String(), cfg); err == nil {
		conn.Close()
		t.Fatal("TLS 1.2 handshake succeeded")
	}
}

func TestLoadIdentityErrors(t *testing.T) {
	ca := newTestCA(t, "ca")
	other := newTestCA(t, "other")
	certFile, keyFile, _ := identityFiles(t, other, "n1", certOpts{})
	_, _, caFile := identityFiles(t, ca, "n2", certOpts{})
	if _, err := LoadIdentity(certFile, keyFile, caFile); err == nil {
		t.Error("loaded a certificate from another CA")
	}
	if _, err := LoadIdentity(identityFiles(t, ca, "n3", certOpts{notAfter: time.Now().Add(-time.Minute)})); err == nil {
		t.Error("loaded an expired certificate")
	}
	if _, err := LoadIdentity(certFile, keyFile, "/nonexistent/ca.pem"); err == nil {
		t.Error("loaded without a CA")
	}
}

// TestReload renews a running node's certificate on disk; new connections
// see the new certificate without a restart.
func TestReload(t *testing.T) {
	ca := newTestCA(t, "ca")
	certFile, keyFile, caFile := identityFiles(t, ca, "n1", certOpts{serial: big.NewInt(501)})
	id, err := LoadIdentity(certFile, keyFile, caFile)
	if err != nil {
		t.Fatal(err)
	}
	id.SetLogger(testLogger())
	c := startNode(t, testConfig(id))
	client := newIdentity(t, ca, "n2", certOpts{})
	serverSerial := func() *big.Int {
		t.Helper()
		conn, err := tls.Dial("tcp", c.Addr(), client.ClientTLSConfig("n1"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.Write([]byte{connProbe})
		return conn.ConnectionState().PeerCertificates[0].SerialNumber
	}
	if s := serverSerial(); s.Int64() != 501 {
		t.Fatalf("serial %v", s)
	}

	renew := func(nodeID string, serial int64, issuer *testCA) {
		certPEM, keyPEM := issuer.issue(t, nodeID, certOpts{serial: big.NewInt(serial), ecdsa: true})
		if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	renew("n1", 502, ca)
	if err := id.Reload(); err != nil {
		t.Fatal(err)
	}
	if s := serverSerial(); s.Int64() != 502 {
		t.Fatalf("after reload: serial %v", s)
	}
	if id.Certificate().SerialNumber.Int64() != 502 {
		t.Fatal("Certificate() not renewed")
	}

	// A renewal that changes the node id, or comes from another CA, is
	// refused and the current certificate stays.
	renew("n9", 503, ca)
	if err := id.Reload(); err == nil {
		t.Fatal("reload changed the node id")
	}
	renew("n1", 504, newTestCA(t, "other"))
	if err := id.Reload(); err == nil {
		t.Fatal("reload accepted another CA's certificate")
	}
	if s := serverSerial(); s.Int64() != 502 {
		t.Fatalf("after failed reloads: serial %v", s)
	}
}
