package genesis

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/veilchain/veil/groupsig"
)

func testCA(t *testing.T, chainID string) *CA {
	t.Helper()
	ca, err := NewCA(chainID, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func issue(t *testing.T, ca *CA, id string) (certPEM []byte, key ed25519.PrivateKey) {
	t.Helper()
	certPEM, keyPEM, err := ca.IssueNode(id, nil, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	key, err = ParsePrivateKey(keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return certPEM, key
}

func mustContain(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", want)
	}
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not contain %q", err, want)
	}
}

func checkMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != want {
		t.Errorf("%s: mode %o, want %o", path, got, want)
	}
}

func TestCAAndNodeCertRoundTrip(t *testing.T) {
	ca := testCA(t, "testnet")
	c := ca.Certificate()
	if !c.IsCA || !c.BasicConstraintsValid || c.MaxPathLen != 0 || !c.MaxPathLenZero {
		t.Fatalf("CA constraints: IsCA=%v BCV=%v MaxPathLen=%d Zero=%v", c.IsCA, c.BasicConstraintsValid, c.MaxPathLen, c.MaxPathLenZero)
	}
	if c.KeyUsage != x509.KeyUsageCertSign|x509.KeyUsageCRLSign {
		t.Fatalf("CA key usage %v", c.KeyUsage)
	}
	if !strings.Contains(c.Subject.String(), "testnet") {
		t.Fatalf("CA subject %q does not name the chain", c.Subject)
	}

	dir := t.TempDir()
	certPath, keyPath := filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key")
	if err := ca.Save(certPath, keyPath); err != nil {
		t.Fatal(err)
	}
	checkMode(t, keyPath, 0o600)
	ca2, err := LoadCA(certPath, keyPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ca2.CertPEM(), ca.CertPEM()) {
		t.Fatal("loaded CA certificate differs")
	}

	// A certificate issued by the loaded CA verifies under the original.
	certPEM, keyPEM, err := ca2.IssueNode("node-7", []string{"10.1.2.3", "Node7.Example.com", "::1", ""}, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ParsePrivateKey(keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	id, pub, err := NodePublicKey(certPEM, ca.Certificate())
	if err != nil {
		t.Fatal(err)
	}
	if id != "node-7" || !pub.Equal(key.Public()) {
		t.Fatalf("NodePublicKey = %q, key match %v", id, pub.Equal(key.Public()))
	}
	cert, err := ParseCertificatePEM(certPEM)
	if err != nil {
		t.Fatal(err)
	}
	wantIPs := []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1"), net.ParseIP("10.1.2.3")}
	if len(cert.IPAddresses) != len(wantIPs) {
		t.Fatalf("IP SANs %v, want %v", cert.IPAddresses, wantIPs)
	}
	for i := range wantIPs {
		if !cert.IPAddresses[i].Equal(wantIPs[i]) {
			t.Fatalf("IP SANs %v, want %v", cert.IPAddresses, wantIPs)
		}
	}
	if fmt.Sprint(cert.DNSNames) != "[localhost node7.example.com]" {
		t.Fatalf("DNS SANs %v", cert.DNSNames)
	}
	if cert.SerialNumber.Sign() <= 0 || cert.SerialNumber.BitLen() > 128 {
		t.Fatalf("serial %v", cert.SerialNumber)
	}
	if life := cert.NotAfter.Sub(cert.NotBefore); life < DefaultNodeValidity || life > DefaultNodeValidity+time.Hour {
		t.Fatalf("validity %v, want about %v", life, DefaultNodeValidity)
	}
	// The certificate works for TLS server names too.
	if err := cert.VerifyHostname("node7.example.com"); err != nil {
		t.Fatal(err)
	}

	// Two certificates never share a serial.
	other, _ := issue(t, ca, "node-7")
	oc, _ := ParseCertificatePEM(other)
	if oc.SerialNumber.Cmp(cert.SerialNumber) == 0 {
		t.Fatal("repeated serial")
	}
}

func TestIssueNodeRefusesBadInput(t *testing.T) {
	ca := testCA(t, "testnet")
	for _, id := range []string{"", "Node-1", "-node", "node_1", strings.Repeat("a", 65), "node 1"} {
		if _, _, err := ca.IssueNode(id, nil, 0, nil); err == nil {
			t.Errorf("IssueNode(%q) succeeded", id)
		}
	}
	if _, _, err := ca.IssueNode("node-1", []string{"bad host!"}, 0, nil); err == nil {
		t.Error("bad host accepted")
	}
	if _, _, err := ca.IssueNode("node-1", nil, -time.Hour, nil); err == nil {
		t.Error("negative validity accepted")
	}
	if !ValidNodeID(strings.Repeat("a", 64)) || !ValidNodeID("0") || ValidNodeID("a.b") {
		t.Error("ValidNodeID boundaries")
	}
	if _, err := NewCA("", 0, nil); err == nil {
		t.Error("empty chain id accepted")
	}
}

func TestLoadCARefusesMismatchedKey(t *testing.T) {
	a, b := testCA(t, "x"), testCA(t, "x")
	dir := t.TempDir()
	if err := a.Save(filepath.Join(dir, "a.crt"), filepath.Join(dir, "a.key")); err != nil {
		t.Fatal(err)
	}
	if err := b.Save(filepath.Join(dir, "b.crt"), filepath.Join(dir, "b.key")); err != nil {
		t.Fatal(err)
	}
	_, err := LoadCA(filepath.Join(dir, "a.crt"), filepath.Join(dir, "b.key"))
	mustContain(t, err, "does not match")
}

func TestNodeCertFromOtherCARefused(t *testing.T) {
	ca, rogue := testCA(t, "testnet"), testCA(t, "testnet") // same subject, other key
	certPEM, _ := issue(t, rogue, "node-1")
	if _, _, err := NodePublicKey(certPEM, ca.Certificate()); err == nil {
		t.Fatal("certificate of another CA accepted")
	}
	// A CA certificate is not a node certificate, even under itself.
	if _, _, err := NodePublicKey(ca.CertPEM(), ca.Certificate()); err == nil {
		t.Fatal("CA certificate accepted as a node certificate")
	}

	f := testFile(t, ca, 2)
	f.Validators[1].Cert = string(certPEM)
	f.Validators[1].ID = "node-1x"
	_, err := f.Chain()
	mustContain(t, err, "validators[1]")
}

func TestExpiredCertRefused(t *testing.T) {
	now := time.Now()
	ca, err := newCA("testnet", now.Add(-100*time.Hour), now.Add(time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	certPEM, _, err := ca.issueNode("node-1", nil, now.Add(-48*time.Hour), now.Add(-24*time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = NodePublicKey(certPEM, ca.Certificate())
	mustContain(t, err, "expired")

	// In genesis, certificates are judged at genesis_time: valid then,
	// expired now is fine; expired at genesis_time is not.
	f := testFile(t, ca, 1)
	f.Validators[0].Cert = string(certPEM)
	f.GenesisTime = now.Add(-36 * time.Hour).UTC()
	if _, err := f.Chain(); err != nil {
		t.Fatalf("cert valid at genesis time refused: %v", err)
	}
	f.GenesisTime = now.UTC()
	_, err = f.Chain()
	mustContain(t, err, "expired")
	// Not yet valid at genesis time.
	f.GenesisTime = now.Add(-72 * time.Hour).UTC()
	if _, err := f.Chain(); err == nil {
		t.Fatal("cert not yet valid at genesis time accepted")
	}
}

func TestCNMismatchRefused(t *testing.T) {
	ca := testCA(t, "testnet")
	f := testFile(t, ca, 2)
	f.Validators[0].Cert, f.Validators[1].Cert = f.Validators[1].Cert, f.Validators[0].Cert
	_, err := f.Chain()
	mustContain(t, err, "does not match id")
}

func TestCRL(t *testing.T) {
	ca := testCA(t, "testnet")
	revoked, _ := issue(t, ca, "node-1")
	kept, _ := issue(t, ca, "node-2")
	rc, _ := ParseCertificatePEM(revoked)
	kc, _ := ParseCertificatePEM(kept)

	crlPEM, err := ca.RevokeNodes([]*big.Int{rc.SerialNumber}, 3, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	crl, err := ParseCRL(crlPEM, ca.Certificate())
	if err != nil {
		t.Fatal(err)
	}
	if !crl.IsRevoked(rc) || crl.IsRevoked(kc) || crl.Number.Int64() != 3 || len(crl.Serials) != 1 {
		t.Fatalf("CRL: revoked %v kept %v number %v serials %d", crl.IsRevoked(rc), crl.IsRevoked(kc), crl.Number, len(crl.Serials))
	}
	if !crl.NextUpdate.After(time.Now().Add(DefaultCRLValidity - time.Hour)) {
		t.Fatalf("NextUpdate %v", crl.NextUpdate)
	}

	// Same subject, another key: the issuer name matches, the signature
	// must not.
	forger := testCA(t, "testnet")
	forged, err := forger.RevokeNodes([]*big.Int{kc.SerialNumber}, 4, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = ParseCRL(forged, ca.Certificate())
	mustContain(t, err, "signature")
	// Another chain's CA: the issuer does not match.
	other, _ := testCA(t, "otherchain").RevokeNodes(nil, 1, 0, nil)
	_, err = ParseCRL(other, ca.Certificate())
	mustContain(t, err, "issuer")
	// Garbage and a certificate are not CRLs.
	if _, err := ParseCRL([]byte("junk"), ca.Certificate()); err == nil {
		t.Fatal("junk CRL accepted")
	}
	if _, err := ParseCRL(ca.CertPEM(), ca.Certificate()); err == nil {
		t.Fatal("certificate accepted as CRL")
	}
	if _, err := ca.RevokeNodes([]*big.Int{big.NewInt(0)}, 1, 0, nil); err == nil {
		t.Fatal("serial 0 accepted")
	}
}

func TestPrivateKeyFiles(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(nil)
	path := filepath.Join(t.TempDir(), "k.key")
	if err := WritePrivateKey(path, key); err != nil {
		t.Fatal(err)
	}
	checkMode(t, path, 0o600)
	got, err := ReadPrivateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(key) {
		t.Fatal("key changed in a round trip")
	}
	// Overwriting keeps 0600 and leaves no temporary files.
	if err := WritePrivateKey(path, key); err != nil {
		t.Fatal(err)
	}
	checkMode(t, path, 0o600)
	if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 1 {
		t.Fatalf("%d files in the directory, want 1", len(ents))
	}
	// A certificate is not a key, and the error does not quote the file.
	ca := testCA(t, "x")
	os.WriteFile(path, ca.CertPEM(), 0o600)
	_, err = ReadPrivateKey(path)
	mustContain(t, err, "CERTIFICATE")
	if _, err := ReadPrivateKey(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Fatal("missing file read")
	}
}

func TestCANeverPrintsKey(t *testing.T) {
	ca := testCA(t, "testnet")
	secrets := []string{hex.EncodeToString(ca.key), hex.EncodeToString(ca.key.Seed()), fmt.Sprint([]byte(ca.key))}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x"} {
		for _, v := range []any{ca, *ca} {
			out := fmt.Sprintf(verb, v)
			for _, s := range secrets {
				if strings.Contains(out, s) || strings.Contains(out, s[:20]) {
					t.Fatalf("%s printed the key: %s", verb, out)
				}
			}
			if !strings.Contains(out, "REDACTED") {
				t.Fatalf("%s: %s", verb, out)
			}
		}
	}
}

func TestInitLoadLayoutChain(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "net")
	l, err := Init(dir, InitOptions{ChainID: "testnet", Nodes: 4, Validators: 3, Groups: []string{"bank", "insurer"}, Hosts: []string{"192.0.2.10", "veil.example"}})
	if err != nil {
		t.Fatal(err)
	}
	l2, err := LoadLayout(dir)
	if err != nil {
		t.Fatal(err)
	}
	if l2.Nodes != 4 || fmt.Sprint(l2.Groups) != "[bank insurer]" || l2.Genesis() != l.Genesis() {
		t.Fatalf("LoadLayout = %+v", l2)
	}
	f, err := Read(l2.Genesis())
	if err != nil {
		t.Fatal(err)
	}
	g, err := f.Chain()
	if err != nil {
		t.Fatal(err)
	}
	if g.ChainID != "testnet" || len(g.Validators) != 3 || len(g.Groups) != 2 || g.ExpiryWindow == 0 {
		t.Fatalf("genesis %+v", g)
	}
	ca, err := LoadCA(l2.CACert(), l2.CAKey())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ca.CertPEM(), []byte(f.CACert)) {
		t.Fatal("ca_cert is not ca/ca.crt")
	}
	for i := 1; i <= l2.Nodes; i++ {
		key, err := ReadPrivateKey(l2.NodeKey(i))
		if err != nil {
			t.Fatal(err)
		}
		certPEM, err := os.ReadFile(l2.NodeCert(i))
		if err != nil {
			t.Fatal(err)
		}
		id, pub, err := NodePublicKey(certPEM, ca.Certificate())
		if err != nil {
			t.Fatal(err)
		}
		if id != l2.NodeID(i) || !pub.Equal(key.Public()) {
			t.Fatalf("node %d: cert id %q, key matches %v", i, id, pub.Equal(key.Public()))
		}
		if i <= 3 {
			v := g.Validators[i-1]
			if v.ID != id || !v.PublicKey.Equal(key.Public()) {
				t.Fatalf("validator %d: %q key does not match %s", i, v.ID, l2.NodeKey(i))
			}
		}
		c, _ := ParseCertificatePEM(certPEM)
		if err := c.VerifyHostname("veil.example"); err != nil {
			t.Fatal(err)
		}
		checkMode(t, l2.NodeKey(i), 0o600)
	}
	admin, err := ReadPrivateKey(l2.AdminKey())
	if err != nil {
		t.Fatal(err)
	}
	if !g.AdminKey.Equal(admin.Public()) {
		t.Fatal("admin key does not match genesis")
	}
	for i, name := range l2.Groups {
		gd := l2.GroupDir(name)
		pk, _, _, err := groupsig.ReadGroupFile(gd.GroupKeyPath())
		if err != nil {
			t.Fatal(err)
		}
		b, _ := pk.MarshalBinary()
		if g.Groups[i].Name != name || !bytes.Equal(g.Groups[i].GroupKey, b) || pk.Epoch() != 0 {
			t.Fatalf("group %q: genesis key differs from %s", name, gd.GroupKeyPath())
		}
		if _, _, err := gd.Load(); err != nil {
			t.Fatal(err)
		}
		ak, err := ReadPrivateKey(l2.GroupAdminKey(name))
		if err != nil {
			t.Fatal(err)
		}
		if !g.Groups[i].AdminKey.Equal(ak.Public()) {
			t.Fatalf("group %q admin key does not match", name)
		}
		for _, p := range []string{gd.IssuerKeyPath(), gd.OpenerKeyPath(), l2.GroupAdminKey(name)} {
			checkMode(t, p, 0o600)
		}
		checkMode(t, gd.RegistryPath(), 0o644) // public: no member secret in it
	}
	for _, p := range []string{l2.CAKey(), l2.AdminKey()} {
		checkMode(t, p, 0o600)
	}
	// Every file whose name ends in .key is a secret.
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".key") {
			checkMode(t, p, 0o600)
		}
		return err
	})

	// The layout is never overwritten.
	before, _ := os.ReadFile(l.CAKey())
	_, err = Init(dir, InitOptions{ChainID: "testnet", Nodes: 1})
	mustContain(t, err, "already exists")
	after, _ := os.ReadFile(l.CAKey())
	if !bytes.Equal(before, after) {
		t.Fatal("CA key changed")
	}
}

func TestInitRefusesBadOptions(t *testing.T) {
	dir := t.TempDir()
	for _, o := range []InitOptions{
		{ChainID: "x", Nodes: 0},
		{ChainID: "x", Nodes: 2, Validators: 3},
		{ChainID: "x", Nodes: 1, Groups: []string{"Bad Name"}},
		{ChainID: "x", Nodes: 1, Groups: []string{"g", "g"}},
		{ChainID: "", Nodes: 1},
	} {
		if _, err := Init(dir, o); err == nil {
			t.Errorf("Init(%+v) succeeded", o)
		}
	}
	// A failed Init leaves nothing behind, so it can be run again.
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("failed Init left %d entries", len(ents))
	}
	if _, err := Init(dir, InitOptions{ChainID: "x", Nodes: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadLayout(t.TempDir()); err == nil {
		t.Fatal("LoadLayout of an empty directory succeeded")
	}
}

// testFile returns a valid genesis file with n validators node-1..node-n
// and one group.
func testFile(t *testing.T, ca *CA, n int) *File {
	t.Helper()
	adminPub, _, _ := ed25519.GenerateKey(nil)
	gk, _, _, ip, op, err := groupsig.Setup(groupsig.SuiteBLS12381, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	hx := func(v interface{ MarshalBinary() ([]byte, error) }) string {
		b, _ := v.MarshalBinary()
		return hex.EncodeToString(b)
	}
	f := &File{
		ChainID:      "testnet",
		GenesisTime:  time.Now().UTC().Truncate(time.Second),
		AdminKey:     hex.EncodeToString(adminPub),
		CACert:       string(ca.CertPEM()),
		Groups:       []Group{{Name: "bank", GroupKey: hx(gk), IssuerProof: hx(ip), OpenerProof: hx(op), AdminKey: hex.EncodeToString(adminPub)}},
		ExpiryWindow: 1000,
	}
	for i := 1; i <= n; i++ {
		id := fmt.Sprintf("node-%d", i)
		certPEM, _ := issue(t, ca, id)
		f.Validators = append(f.Validators, Validator{ID: id, Cert: string(certPEM)})
	}
	return f
}

func TestFileWriteReadRoundTrip(t *testing.T) {
	ca := testCA(t, "testnet")
	f := testFile(t, ca, 3)
	path := filepath.Join(t.TempDir(), "genesis.json")
	if err := f.Write(path); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	g1, err := f.Chain()
	if err != nil {
		t.Fatal(err)
	}
	g2, err := got.Chain()
	if err != nil {
		t.Fatal(err)
	}
	if g1.Hash() != g2.Hash() {
		t.Fatal("genesis hash changed in a write/read round trip")
	}
	// Order of validators and groups does not change the hash.
	got.Validators[0], got.Validators[2] = got.Validators[2], got.Validators[0]
	g3, err := got.Chain()
	if err != nil {
		t.Fatal(err)
	}
	if g3.Hash() != g1.Hash() {
		t.Fatal("validator order changed the hash")
	}
	// Write refuses an invalid file.
	got.AdminKey = "zz"
	if err := got.Write(path); err == nil {
		t.Fatal("Write of an invalid file succeeded")
	}
}

// TestGenesisStrict edits a valid genesis.json and checks that each fault
// is refused with an error naming the field.
func TestGenesisStrict(t *testing.T) {
	ca := testCA(t, "testnet")
	data, err := json.Marshal(testFile(t, ca, 2))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse(data); err != nil {
		t.Fatal(err)
	}
	edit := func(fn func(m map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		fn(m)
		b, _ := json.Marshal(m)
		return b
	}
	validator := func(m map[string]any, i int) map[string]any { return m["validators"].([]any)[i].(map[string]any) }
	group := func(m map[string]any) map[string]any { return m["groups"].([]any)[0].(map[string]any) }
	otherCA := testCA(t, "other")
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"unknown field", edit(func(m map[string]any) { m["chainid"] = "x" }), `unknown field "chainid"`},
		{"unknown nested field", edit(func(m map[string]any) { validator(m, 0)["key"] = "x" }), `unknown field "key"`},
		{"admin key not hex", edit(func(m map[string]any) { m["admin_key"] = "xyz" }), "admin_key: not hex"},
		{"admin key short", edit(func(m map[string]any) { m["admin_key"] = "abcd" }), "admin_key: 2 bytes"},
		{"group key not hex", edit(func(m map[string]any) { group(m)["group_key"] = "0g" }), "groups[0].group_key: not hex"},
		{"group key missing", edit(func(m map[string]any) { group(m)["group_key"] = "" }), "groups[0].group_key: missing"},
		{"group key huge", edit(func(m map[string]any) { group(m)["group_key"] = strings.Repeat("00", 5000) }), "groups[0].group_key: 5000 bytes"},
		{"issuer proof missing", edit(func(m map[string]any) { group(m)["issuer_proof"] = "" }), "groups[0].issuer_proof: missing"},
		{"group admin key", edit(func(m map[string]any) { group(m)["admin_key"] = "" }), "groups[0].admin_key: missing"},
		{"group name", edit(func(m map[string]any) { group(m)["name"] = "Bad Name" }), "groups[0].name"},
		{"validator id", edit(func(m map[string]any) { validator(m, 1)["id"] = "Node_2" }), "validators[1].id"},
		{"validator repeated", edit(func(m map[string]any) { validator(m, 1)["id"] = "node-1" }), "validators[1].id"},
		{"validator cert", edit(func(m map[string]any) {
			validator(m, 0)["cert"] = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
		}), "validators[0].cert"},
		{"no validators", edit(func(m map[string]any) { m["validators"] = []any{} }), "validators: missing"},
		{"ca not a CA", edit(func(m map[string]any) { m["ca_cert"] = validator(m, 0)["cert"] }), "ca_cert: not a CA"},
		{"ca missing", edit(func(m map[string]any) { delete(m, "ca_cert") }), "ca_cert: missing"},
		{"chain id missing", edit(func(m map[string]any) { m["chain_id"] = "" }), "chain_id: missing"},
		{"time missing", edit(func(m map[string]any) { delete(m, "genesis_time") }), "genesis_time: missing"},
		{"time bad", edit(func(m map[string]any) { m["genesis_time"] = "yesterday" }), "genesis_time: not an RFC 3339"},
		{"time far", edit(func(m map[string]any) { m["genesis_time"] = "9999-01-01T00:00:00Z" }), "genesis_time: year"},
		{"expiry window negative", edit(func(m map[string]any) { m["expiry_window"] = -1 }), "expiry_window"},
		{"expiry window huge", edit(func(m map[string]any) { m["expiry_window"] = uint64(1) << 40 }), "expiry_window"},
		{"wrong type", edit(func(m map[string]any) { m["validators"] = "node-1" }), "validators: string where an array was expected"},
		{"trailing data", append(append([]byte(nil), data...), []byte(" {}")...), "data after"},
		{"empty", nil, "empty file"},
		{"not an object", []byte(`[1,2]`), "where an object was expected"},
		{"syntax", []byte("{\n  \"chain_id\": x\n}"), "line 2"},
		{"truncated", data[:len(data)/2], "truncated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.data)
			mustContain(t, err, tc.want)
			if strings.Contains(err.Error(), "fileJSON") || strings.Contains(err.Error(), "genesis.") {
				t.Fatalf("error mentions Go types: %v", err)
			}
		})
	}
	// A valid-looking file whose validator comes from another CA parses,
	// but Chain refuses it.
	certPEM, _ := issue(t, otherCA, "node-2")
	f, err := Parse(edit(func(m map[string]any) { validator(m, 1)["cert"] = string(certPEM) }))
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Chain()
	mustContain(t, err, "validators[1] (node-2)")

	// A group key of the right form that is not a key parses, but Chain
	// refuses it and names the group.
	for _, bad := range []string{"01", hex.EncodeToString(make([]byte, 234))} {
		f, err := Parse(edit(func(m map[string]any) { group(m)["group_key"] = bad }))
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.Chain()
		mustContain(t, err, `group "bank"`)
	}

	// Every prefix of a valid file is refused, never a panic.
	for n := 0; n < len(data); n += 7 {
		if _, err := Parse(data[:n]); err == nil {
			t.Fatalf("prefix of %d bytes accepted", n)
		}
	}
	// Read names the file.
	path := filepath.Join(t.TempDir(), "genesis.json")
	os.WriteFile(path, data[:100], 0o644)
	_, err = Read(path)
	mustContain(t, err, path)
}

var writeExample = flag.Bool("write-example", false, "rewrite testdata/genesis.json with Init (then update exampleGenesisHash)")

func TestWriteExampleGenesis(t *testing.T) {
	if !*writeExample {
		t.Skip("run with -write-example to regenerate testdata/genesis.json")
	}
	l, err := Init(filepath.Join(t.TempDir(), "net"), InitOptions{ChainID: "example", Nodes: 2, Groups: []string{"bank"}, Members: []string{"alice"}})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(l.Genesis())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("testdata", "genesis.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestExampleGenesis pins the format: testdata/genesis.json, written once
// by Init, must keep parsing and keep its block 0 hash.
func TestExampleGenesis(t *testing.T) {
	f, err := Read(filepath.Join("testdata", "genesis.json"))
	if err != nil {
		t.Fatal(err)
	}
	g, err := f.Chain()
	if err != nil {
		t.Fatal(err)
	}
	h := g.Hash()
	if got := hex.EncodeToString(h[:]); got != exampleGenesisHash {
		t.Fatalf("example genesis hash %s, want %s", got, exampleGenesisHash)
	}
}

const exampleGenesisHash = "69a4a9cdf70e96e8e46e6d5a60d96918a7c3f669cc932b0503567fe6bc294a19"
