package client

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"
)

// TLSFiles names the files of a client's TLS: the chain CA certificate
// to trust a node's certificate by (CA, empty: the system roots, for a
// node with api_cert from a public PKI) and a client certificate and key
// to present (Cert and Key, both or neither: an operator certificate for
// the admin endpoints).
type TLSFiles struct {
	CA, Cert, Key string
}

// Config reads the files into a client TLS configuration.
func (f TLSFiles) Config() (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if f.CA != "" {
		pemData, err := os.ReadFile(f.CA)
		if err != nil {
			return nil, fmt.Errorf("read CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pemData) {
			return nil, fmt.Errorf("CA %s holds no PEM certificate", f.CA)
		}
		c.RootCAs = pool
	}
	if (f.Cert == "") != (f.Key == "") {
		return nil, errors.New("a client certificate needs both its certificate and its key")
	}
	if f.Cert != "" {
		kp, err := tls.LoadX509KeyPair(f.Cert, f.Key)
		if err != nil {
			return nil, fmt.Errorf("client certificate: %w", err)
		}
		c.Certificates = []tls.Certificate{kp}
	}
	return c, nil
}

// HTTPClient returns an http.Client for NewWithHTTPClient that speaks
// TLS with tc, HTTP/1.1 only, as a node's listeners are
// (p2p.Identity.HTTPSConfig): the event stream's websocket needs an
// HTTP/1.1 upgrade, and a proxy in front of a node may offer HTTP/2.
func HTTPClient(tc *tls.Config) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = tc
	t.ForceAttemptHTTP2 = false
	return &http.Client{Timeout: 30 * time.Second, Transport: t}
}

// NewTLS returns a client for the node at baseURL (https://…) with tc.
func NewTLS(baseURL string, tc *tls.Config) *Client {
	return NewWithHTTPClient(baseURL, HTTPClient(tc))
}
