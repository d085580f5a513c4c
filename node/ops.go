package node

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/http/pprof"
	"sync/atomic"

	"github.com/veilchain/veil/api"
	"github.com/veilchain/veil/genesis"
)

// newOps builds the node's operations server: TLS with the node's
// certificate when it has a listener of its own (ops_addr, ops_tls), and
// operator certificates (genesis.VerifyOperator) for its admin endpoints.
func (n *Node) newOps() *api.Operations {
	oc := api.DefaultOpsConfig()
	oc.Logger = n.log
	oc.Admin = n.authorizeOperator
	if n.cfg.OpsAddr != "" && n.cfg.OpsTLS {
		oc.TLS = n.identity.HTTPSConfig()
	}
	return api.NewOperations(oc)
}

// authorizeOperator decides who may use the admin endpoints
// (api.OpsConfig.Admin): an operator certificate ('veil ca
// issue-operator') that chains to the chain CA for client
// authentication, is valid now and is not revoked. A node certificate is
// refused: its key belongs to one node, and one node must not be able to
// change another's log levels or profile it.
func (n *Node) authorizeOperator(certs []*x509.Certificate) error {
	leaf, err := n.identity.VerifyClient(certs)
	if err != nil {
		return err
	}
	return genesis.VerifyOperator(leaf)
}

// registerOps mounts the node's own operations endpoints: pprof (admin,
// with the pprof setting).
func (n *Node) registerOps() {
	if !n.cfg.Pprof {
		return
	}
	// pprof.Index also serves the named profiles (heap, goroutine, …)
	// under /debug/pprof/{name}. pprof answers its errors (an unknown
	// profile, a bad seconds=) as text: api.JSONErrors makes them JSON.
	for pattern, h := range map[string]http.HandlerFunc{
		"GET /debug/pprof/":        pprof.Index,
		"GET /debug/pprof/cmdline": pprof.Cmdline,
		"GET /debug/pprof/profile": pprof.Profile,
		"GET /debug/pprof/symbol":  pprof.Symbol,
		"POST /debug/pprof/symbol": pprof.Symbol,
		"GET /debug/pprof/trace":   pprof.Trace,
	} {
		n.ops.HandleAdmin(pattern, api.JSONErrors(h))
	}
}

// keyPair is a certificate and key read from files, re-read by reload
// (SIGHUP); handshakes use the newest that loaded.
type keyPair struct {
	certFile, keyFile string
	cur               atomic.Pointer[tls.Certificate]
}

func loadKeyPair(certFile, keyFile string) (*keyPair, error) {
	kp := &keyPair{certFile: certFile, keyFile: keyFile}
	return kp, kp.reload()
}

func (kp *keyPair) reload() error {
	c, err := tls.LoadX509KeyPair(kp.certFile, kp.keyFile)
	if err != nil {
		return fmt.Errorf("api certificate: %w", err)
	}
	kp.cur.Store(&c)
	return nil
}

// apiTLSConfig is the API listener's TLS configuration (api_tls): the node's
// identity, or api_cert and api_key when given (e.g. a certificate of the
// organisation's web PKI). Either way client certificates are asked for,
// not required, and checked against the chain CA only by admin endpoints
// (the operations routes when they share this listener).
func (n *Node) apiTLSConfig() (*tls.Config, error) {
	c := n.identity.HTTPSConfig()
	if n.cfg.APICert == "" && n.cfg.APIKey == "" {
		return c, nil
	}
	if n.cfg.APICert == "" || n.cfg.APIKey == "" {
		return nil, fmt.Errorf("config: api_cert and api_key go together")
	}
	kp, err := loadKeyPair(n.cfg.APICert, n.cfg.APIKey)
	if err != nil {
		return nil, err
	}
	n.apiCert = kp
	c.GetCertificate = func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return kp.cur.Load(), nil }
	return c, nil
}
