package genesis

import (
	"bytes"
	"crypto/ed25519"
	cryptorand "crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/veilchain/veil/chain"
)

// Validity defaults and the clock-skew allowance.
const (
	// DefaultCAValidity is the chain CA's lifetime when NewCA is given 0.
	DefaultCAValidity = 10 * 365 * 24 * time.Hour
	// DefaultNodeValidity is a node certificate's lifetime when IssueNode
	// is given 0.
	DefaultNodeValidity = 365 * 24 * time.Hour
	// clockSkew backdates NotBefore so that a peer whose clock runs a
	// little behind does not refuse a freshly issued certificate.
	clockSkew = 5 * time.Minute
)

const pemCertificate = "CERTIFICATE"

var nodeIDRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)

// ValidNodeID reports whether s can name a node: 1 to 64 characters of
// [a-z0-9-], starting with a letter or digit. The id is the CN of the
// node's certificate and the proposer name in blocks.
func ValidNodeID(s string) bool { return nodeIDRE.MatchString(s) }

// CA is the chain certificate authority: a self-signed Ed25519 certificate
// that may sign node certificates only (path length 0), and its key. The
// key never leaves the value except through Save; CA prints it as REDACTED.
type CA struct {
	cert *x509.Certificate
	key  ed25519.PrivateKey
}

// NewCA creates a chain CA for chainID valid for validity (0 means
// DefaultCAValidity). rand nil means crypto/rand.
func NewCA(chainID string, validity time.Duration, rand io.Reader) (*CA, error) {
	if chainID == "" || len(chainID) > chain.MaxChainIDLen {
		return nil, fmt.Errorf("new CA: chain id must be 1 to %d bytes", chain.MaxChainIDLen)
	}
	if validity < 0 {
		return nil, errors.New("new CA: negative validity")
	}
	if validity == 0 {
		validity = DefaultCAValidity
	}
	now := time.Now()
	return newCA(chainID, now.Add(-clockSkew), now.Add(validity), rand)
}

func newCA(chainID string, notBefore, notAfter time.Time, rand io.Reader) (*CA, error) {
	rand = orDefault(rand)
	pub, key, err := ed25519.GenerateKey(rand)
	if err != nil {
		return nil, fmt.Errorf("new CA: generate key: %w", err)
	}
	serial, err := randomSerial(rand)
	if err != nil {
		return nil, fmt.Errorf("new CA: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{
			CommonName:         "veil chain CA " + chainID,
			Organization:       []string{"veil"},
			OrganizationalUnit: []string{chainID},
		},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLen:            0,
		MaxPathLenZero:        true, // node certificates only, no intermediate CAs
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand, tmpl, tmpl, pub, key)
	if err != nil {
		return nil, fmt.Errorf("new CA: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("new CA: %w", err)
	}
	return &CA{cert: cert, key: key}, nil
}

// LoadCA reads a CA written by Save and checks that the key matches the
// certificate and that the certificate is a CA.
func LoadCA(certPath, keyPath string) (*CA, error) {
	data, err := os.ReadFile(certPath)
	if err != nil {
		return nil, fmt.Errorf("read CA cert: %w", err)
	}
	cert, err := ParseCertificatePEM(data)
	if err != nil {
		return nil, fmt.Errorf("read CA cert %s: %w", certPath, err)
	}
	if err := checkCACert(cert); err != nil {
		return nil, fmt.Errorf("read CA cert %s: %w", certPath, err)
	}
	key, err := ReadPrivateKey(keyPath)
	if err != nil {
		return nil, fmt.Errorf("read CA key: %w", err)
	}
	pub, ok := cert.PublicKey.(ed25519.PublicKey)
	if !ok || !pub.Equal(key.Public()) {
		return nil, fmt.Errorf("load CA: key %s does not match certificate %s", keyPath, certPath)
	}
	return &CA{cert: cert, key: key}, nil
}

// Save writes the certificate (PEM, 0644) and the key (PEM PKCS#8, 0600),
// each atomically. It replaces existing files; Init is what refuses to
// overwrite a layout.
func (ca *CA) Save(certPath, keyPath string) error {
	if err := WriteFileAtomic(certPath, ca.CertPEM(), 0o644); err != nil {
		return fmt.Errorf("write CA cert %s: %w", certPath, err)
	}
	if err := WritePrivateKey(keyPath, ca.key); err != nil {
		return fmt.Errorf("save CA: %w", err)
	}
	return nil
}

// Certificate returns the CA certificate.
func (ca *CA) Certificate() *x509.Certificate { return ca.cert }

// CertPEM returns the CA certificate as one PEM block.
func (ca *CA) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: pemCertificate, Bytes: ca.cert.Raw})
}

// Pool returns a certificate pool holding only this CA, for tls.Config
// RootCAs and ClientCAs.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// Format prints the CA's subject and never its key, under every verb.
func (ca CA) Format(f fmt.State, verb rune) {
	subject := "<nil>"
	if ca.cert != nil {
		subject = ca.cert.Subject.String()
	}
	fmt.Fprintf(f, "genesis.CA{%s, key: REDACTED}", subject)
}

// IssueNode creates a key and a certificate for node nodeID, valid for
// validity (0 means DefaultNodeValidity, capped at the CA's expiry). The
// certificate names nodeID as CN, serves both ends of mutual TLS, and
// carries SANs for 127.0.0.1, ::1, localhost and hosts (IP literals as IP
// SANs, anything else as DNS names). The key is PEM PKCS#8.
func (ca *CA) IssueNode(nodeID string, hosts []string, validity time.Duration, rand io.Reader) (certPEM, keyPEM []byte, err error) {
	if validity < 0 {
		return nil, nil, fmt.Errorf("issue node %q: negative validity", nodeID)
	}
	if validity == 0 {
		validity = DefaultNodeValidity
	}
	now := time.Now()
	return ca.issueNode(nodeID, hosts, now.Add(-clockSkew), now.Add(validity), rand)
}

func (ca *CA) issueNode(nodeID string, hosts []string, notBefore, notAfter time.Time, rand io.Reader) (certPEM, keyPEM []byte, err error) {
	rand = orDefault(rand)
	pub, key, err := ed25519.GenerateKey(rand)
	if err != nil {
		return nil, nil, fmt.Errorf("issue node %q: generate key: %w", nodeID, err)
	}
	if certPEM, err = ca.signNode(nodeID, hosts, pub, notBefore, notAfter, rand); err != nil {
		return nil, nil, err
	}
	keyPEM, err = MarshalPrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("issue node %q: %w", nodeID, err)
	}
	return certPEM, keyPEM, nil
}

// RenewNode issues a new certificate for the node of old, a node
// certificate this CA signed (expired or not): the same node id, key and
// host names, a new serial number and validity from now (0 means
// DefaultNodeValidity, capped at the CA's expiry). Peers identify a node
// by its id (the common name) and check the certificate's chain, so the
// renewed certificate is accepted where the old one was; revocation by
// node id covers both.
func (ca *CA) RenewNode(old *x509.Certificate, validity time.Duration, rand io.Reader) (certPEM []byte, err error) {
	id := old.Subject.CommonName
	if validity < 0 {
		return nil, fmt.Errorf("renew node %q: negative validity", id)
	}
	if validity == 0 {
		validity = DefaultNodeValidity
	}
	if err := old.CheckSignatureFrom(ca.cert); err != nil {
		return nil, fmt.Errorf("renew node %q: the certificate is not signed by this CA: %w", id, err)
	}
	if _, _, err := VerifyNode(old, ca.cert, old.NotBefore.Add(clockSkew)); err != nil {
		return nil, fmt.Errorf("renew: %w", err)
	}
	pub := old.PublicKey.(ed25519.PublicKey) // VerifyNode checked
	var hosts []string
	for _, ip := range old.IPAddresses {
		hosts = append(hosts, ip.String())
	}
	hosts = append(hosts, old.DNSNames...)
	now := time.Now()
	return ca.signNode(id, hosts, pub, now.Add(-clockSkew), now.Add(validity), rand)
}

// signNode signs a node certificate for pub (see IssueNode).
func (ca *CA) signNode(nodeID string, hosts []string, pub ed25519.PublicKey, notBefore, notAfter time.Time, rand io.Reader) (certPEM []byte, err error) {
	if !ValidNodeID(nodeID) {
		return nil, fmt.Errorf("issue node %q: node id must be 1 to 64 characters of [a-z0-9-], starting with a letter or digit", nodeID)
	}
	ips := []net.IP{net.IPv4(127, 0, 0, 1).To4(), net.IPv6loopback}
	dns := []string{"localhost"}
	for _, h := range hosts {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		if ip := net.ParseIP(h); ip != nil {
			if v4 := ip.To4(); v4 != nil {
				ip = v4
			}
			if !slices.ContainsFunc(ips, ip.Equal) {
				ips = append(ips, ip)
			}
			continue
		}
		h = strings.ToLower(strings.TrimSuffix(h, "."))
		if !validDNSName(h) {
			return nil, fmt.Errorf("issue node %q: host %q is neither an IP address nor a DNS name", nodeID, h)
		}
		if !slices.Contains(dns, h) {
			dns = append(dns, h)
		}
	}
	if notAfter.After(ca.cert.NotAfter) {
		notAfter = ca.cert.NotAfter // a leaf outliving its CA would fail to verify anyway
	}
	rand = orDefault(rand)
	serial, err := randomSerial(rand)
	if err != nil {
		return nil, fmt.Errorf("issue node %q: %w", nodeID, err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{
			CommonName:         nodeID,
			Organization:       ca.cert.Subject.Organization,
			OrganizationalUnit: ca.cert.Subject.OrganizationalUnit,
		},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		IPAddresses:           ips,
		DNSNames:              dns,
	}
	der, err := x509.CreateCertificate(rand, tmpl, ca.cert, pub, ca.key)
	if err != nil {
		return nil, fmt.Errorf("issue node %q: %w", nodeID, err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemCertificate, Bytes: der}), nil
}

// NodePublicKey parses a node certificate, checks that it chains to ca, is
// valid now and is a node certificate (server and client auth, not a CA,
// a valid node id as CN), and returns its node id and Ed25519 key.
func NodePublicKey(certPEM []byte, ca *x509.Certificate) (nodeID string, key ed25519.PublicKey, err error) {
	cert, err := ParseCertificatePEM(certPEM)
	if err != nil {
		return "", nil, fmt.Errorf("node cert: %w", err)
	}
	return VerifyNode(cert, ca, time.Now())
}

// VerifyNode is NodePublicKey for a parsed certificate at time at. The
// network layer calls it on a peer's TLS certificate; File.Chain calls it
// at the genesis time.
func VerifyNode(cert, ca *x509.Certificate, at time.Time) (nodeID string, key ed25519.PublicKey, err error) {
	if ca == nil {
		return "", nil, errors.New("node cert: no CA certificate")
	}
	id := cert.Subject.CommonName
	if !ValidNodeID(id) {
		return "", nil, fmt.Errorf("node cert: CN %q is not a valid node id", id)
	}
	if cert.IsCA {
		return "", nil, fmt.Errorf("node cert %q: is a CA certificate", id)
	}
	if !slices.Contains(cert.ExtKeyUsage, x509.ExtKeyUsageServerAuth) || !slices.Contains(cert.ExtKeyUsage, x509.ExtKeyUsageClientAuth) {
		return "", nil, fmt.Errorf("node cert %q: extended key usage must include both server and client auth", id)
	}
	pub, ok := cert.PublicKey.(ed25519.PublicKey)
	if !ok {
		return "", nil, fmt.Errorf("node cert %q: key is %T, want Ed25519", id, cert.PublicKey)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	if _, err := cert.Verify(x509.VerifyOptions{
		Roots:       roots,
		CurrentTime: at,
		KeyUsages:   []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}); err != nil {
		return "", nil, fmt.Errorf("node cert %q: %w", id, err)
	}
	return id, pub, nil
}

// onePEMBlock returns the bytes of data's one PEM block, which must be of
// type typ with nothing but space after it; what names it in errors.
// Errors never quote the input (a private key is a secret).
func onePEMBlock(data []byte, typ, what string) ([]byte, error) {
	block, rest := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	if block.Type != typ {
		return nil, fmt.Errorf("PEM block is %q, want %q", block.Type, typ)
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, fmt.Errorf("data after the %s block", what)
	}
	return block.Bytes, nil
}

// ParseCertificatePEM parses exactly one PEM CERTIFICATE block.
func ParseCertificatePEM(data []byte) (*x509.Certificate, error) {
	der, err := onePEMBlock(data, pemCertificate, "certificate")
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return cert, nil
}

// checkCACert checks what NewCA promises: a self-signed Ed25519 CA that
// may sign certificates and CRLs.
func checkCACert(cert *x509.Certificate) error {
	if !cert.IsCA || !cert.BasicConstraintsValid {
		return errors.New("not a CA certificate")
	}
	if cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		return errors.New("CA certificate may not sign certificates")
	}
	if _, ok := cert.PublicKey.(ed25519.PublicKey); !ok {
		return fmt.Errorf("CA key is %T, want Ed25519", cert.PublicKey)
	}
	if err := cert.CheckSignatureFrom(cert); err != nil {
		return fmt.Errorf("CA certificate is not self-signed: %w", err)
	}
	return nil
}

// randomSerial returns a random positive 128-bit serial number.
func randomSerial(rand io.Reader) (*big.Int, error) {
	limit := new(big.Int).Lsh(big.NewInt(1), 128)
	for {
		n, err := cryptorand.Int(rand, limit)
		if err != nil {
			return nil, fmt.Errorf("serial number: %w", err)
		}
		if n.Sign() > 0 {
			return n, nil
		}
	}
}

func orDefault(rand io.Reader) io.Reader {
	if rand == nil {
		return cryptorand.Reader
	}
	return rand
}

var dnsLabelRE = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?|\*)$`)

func validDNSName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	labels := strings.Split(s, ".")
	for i, l := range labels {
		if !dnsLabelRE.MatchString(l) || (l == "*" && i != 0) {
			return false
		}
	}
	return true
}
