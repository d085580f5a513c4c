package p2p

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// testCA is a throwaway chain CA.
type testCA struct {
	cert *x509.Certificate
	key  ed25519.PrivateKey
	pem  []byte
}

var serialCounter atomic.Int64

func nextSerial() *big.Int { return big.NewInt(1000 + serialCounter.Add(1)) }

func newTestCA(t testing.TB, name string) *testCA {
	t.Helper()
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          nextSerial(),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

type certOpts struct {
	ecdsa    bool
	notAfter time.Time
	serial   *big.Int
}

// issue returns PEM certificate and key for nodeID.
func (ca *testCA) issue(t testing.TB, nodeID string, o certOpts) (certPEM, keyPEM []byte) {
	t.Helper()
	var pub crypto.PublicKey
	var priv crypto.Signer
	if o.ecdsa {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		pub, priv = &k.PublicKey, k
	} else {
		p, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		pub, priv = p, k
	}
	if o.notAfter.IsZero() {
		o.notAfter = time.Now().Add(12 * time.Hour)
	}
	if o.serial == nil {
		o.serial = nextSerial()
	}
	tmpl := &x509.Certificate{
		SerialNumber: o.serial,
		Subject:      pkix.Name{CommonName: nodeID},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     o.notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, pub, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
}

// identityFiles writes a node's PEM files into a fresh directory.
func identityFiles(t testing.TB, ca *testCA, nodeID string, o certOpts, caPEMs ...[]byte) (certFile, keyFile, caFile string) {
	t.Helper()
	dir := t.TempDir()
	certPEM, keyPEM := ca.issue(t, nodeID, o)
	certFile, keyFile, caFile = filepath.Join(dir, "node.crt"), filepath.Join(dir, "node.key"), filepath.Join(dir, "ca.crt")
	var bundle []byte
	if len(caPEMs) == 0 {
		bundle = ca.pem
	}
	for _, p := range caPEMs {
		bundle = append(bundle, p...)
	}
	for f, b := range map[string][]byte{certFile: certPEM, keyFile: keyPEM, caFile: bundle} {
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return certFile, keyFile, caFile
}

func newIdentity(t testing.TB, ca *testCA, nodeID string, o certOpts, caPEMs ...[]byte) *Identity {
	t.Helper()
	id, err := LoadIdentity(identityFiles(t, ca, nodeID, o, caPEMs...))
	if err != nil {
		t.Fatal(err)
	}
	id.SetLogger(testLogger())
	return id
}

// testLogger discards logs unless P2P_TEST_LOG is set.
func testLogger() *slog.Logger {
	if os.Getenv("P2P_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

const testLabel = "veil-test-chain"

func testConfig(id *Identity) Config {
	cfg := DefaultConfig()
	cfg.Identity = id
	cfg.Label = testLabel
	cfg.Logger = testLogger()
	cfg.Timing = FastTiming()
	cfg.RequestTimeout = 5 * time.Second
	return cfg
}

func startNode(t testing.TB, cfg Config) *Cluster {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Shutdown() })
	return c
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// aliveIDs lists the ids c sees alive, itself included.
func aliveIDs(c *Cluster) map[string]Member {
	out := make(map[string]Member)
	for _, m := range c.Members() {
		if m.Alive {
			out[m.ID] = m
		}
	}
	return out
}
