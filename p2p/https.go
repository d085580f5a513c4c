package p2p

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"time"
)

// HTTPSConfig returns a TLS server configuration for the node's HTTP
// listeners (the API and the operations port): it presents the node's
// current certificate (a reload takes effect on the next handshake) and
// asks for, but does not require, a client certificate, so that clients
// without one (curl, Prometheus) still connect; handlers that need one
// check it with VerifyClient.
func (id *Identity) HTTPSConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12, // HTTP clients are not all TLS 1.3 yet; the gossip and raft transports stay 1.3
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return id.cur.Load().cert, nil
		},
		ClientAuth: tls.RequestClientCert, // verified per request against the current pool (VerifyClient)
		// HTTP/1.1 only: a websocket (the API's event stream) needs an
		// HTTP/1.1 upgrade, and a browser that finds h2 may try its
		// websocket over it, which the server does not take.
		NextProtos: []string{"http/1.1"},
	}
}

// VerifyClient checks a client certificate chain (leaf first, as in
// tls.ConnectionState.PeerCertificates) against the current chain CA for
// client authentication, now, and against the revoked serials, and
// returns the verified leaf.
func (id *Identity) VerifyClient(certs []*x509.Certificate) (*x509.Certificate, error) {
	if len(certs) == 0 {
		return nil, fmt.Errorf("%w: no client certificate presented", ErrPeerRefused)
	}
	raw := make([][]byte, len(certs))
	for i, c := range certs {
		raw[i] = c.Raw
	}
	leaf := certs[0]
	if _, err := verifyChain(id.cur.Load().pool, raw, leaf, x509.ExtKeyUsageClientAuth, time.Now()); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPeerRefused, err)
	}
	if id.isSerialRevoked(leaf.SerialNumber) {
		return nil, fmt.Errorf("%w: certificate serial %s is revoked", ErrPeerRefused, leaf.SerialNumber.Text(16))
	}
	return leaf, nil
}
