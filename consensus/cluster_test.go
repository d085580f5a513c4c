package consensus

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/storage"
)

// testCA issues node certificates for raft's mutual TLS.
type testCA struct {
	cert *x509.Certificate
	key  ed25519.PrivateKey
	pool *x509.CertPool
}

func newTestCA(t testing.TB) *testCA {
	t.Helper()
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test chain CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, MaxPathLenZero: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

func (ca *testCA) issue(t testing.TB, id string, notAfter time.Time) (tls.Certificate, ed25519.PrivateKey) {
	t.Helper()
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: id},
		NotBefore: time.Now().Add(-2 * time.Hour), NotAfter: notAfter, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, pub, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, key
}

// tlsConfigs returns mutual TLS 1.3 configs that trust only ca.
func tlsConfigs(ca *testCA, cert tls.Certificate) (*tls.Config, func(raft.ServerAddress) *tls.Config) {
	server := &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{cert}, ClientCAs: ca.pool, ClientAuth: tls.RequireAndVerifyClientCert}
	client := func(raft.ServerAddress) *tls.Config {
		return &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{cert}, RootCAs: ca.pool, ServerName: "127.0.0.1"}
	}
	return server, client
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type testNode struct {
	id      string
	dir     string
	addr    string
	cert    tls.Certificate
	key     ed25519.PrivateKey
	db      *storage.DB
	logs    *storage.RaftStore
	ledger  *chain.Ledger
	pool    *chain.Mempool
	orderer *Orderer
}

// testCluster is a set of nodes sharing one genesis.
type testCluster struct {
	t     *testing.T
	ca    *testCA
	gen   *chain.Genesis
	vals  []Peer
	nodes map[string]*testNode
	admin ed25519.PrivateKey // consortium admin: signs the topic rules used as cheap transactions
	mu    sync.Mutex
	seq   int
	cfg   func(*Config)
}

func newTestCluster(t *testing.T, validators, observers int, tweak func(*Config)) *testCluster {
	ca := newTestCA(t)
	c := &testCluster{t: t, ca: ca, nodes: map[string]*testNode{}, cfg: tweak}
	_, c.admin, _ = ed25519.GenerateKey(rand.Reader)
	// No groups: ordering is what these tests are about, and topic rules
	// (Ed25519-signed by the consortium admin) are valid transactions
	// without any group.
	c.gen = &chain.Genesis{ChainID: "raft-test", Time: 1, AdminKey: c.admin.Public().(ed25519.PublicKey), CACert: ca.cert.Raw}
	for i := range validators + observers {
		id := fmt.Sprintf("node-%d", i+1)
		cert, key := ca.issue(t, id, time.Now().Add(time.Hour))
		n := &testNode{id: id, dir: t.TempDir(), addr: freeAddr(t), cert: cert, key: key}
		c.nodes[id] = n
		if i < validators {
			c.vals = append(c.vals, Peer{ID: id, Addr: n.addr})
			c.gen.Validators = append(c.gen.Validators, chain.Validator{ID: id, PublicKey: key.Public().(ed25519.PublicKey)})
		}
	}
	for _, n := range c.nodes {
		c.start(n)
	}
	t.Cleanup(func() {
		for _, n := range c.nodes {
			c.stop(n, false)
		}
	})
	return c
}

func (c *testCluster) start(n *testNode) {
	t := c.t
	var err error
	if n.db, err = storage.Open(filepath.Join(n.dir, "chain"), storage.DefaultOptions()); err != nil {
		t.Fatal(err)
	}
	if n.logs, err = storage.OpenRaftStore(filepath.Join(n.dir, "raft-log")); err != nil {
		t.Fatal(err)
	}
	if n.ledger, err = chain.Open(n.db, c.gen, chain.Config{}); err != nil {
		t.Fatal(err)
	}
	n.pool = chain.NewMempool(n.ledger, chain.MempoolConfig{})
	server, client := tlsConfigs(c.ca, n.cert)
	cfg := DefaultConfig()
	cfg.NodeID, cfg.Dir, cfg.BindAddr, cfg.NodeKey, cfg.Validators = n.id, filepath.Join(n.dir, "raft"), n.addr, n.key, c.vals
	cfg.ServerTLS, cfg.ClientTLS = server, client
	cfg.BlockInterval = 20 * time.Millisecond
	cfg.HeartbeatTimeout, cfg.ElectionTimeout, cfg.LeaderLeaseTimeout = 300*time.Millisecond, 300*time.Millisecond, 150*time.Millisecond
	cfg.CommitTimeout = 5 * time.Millisecond
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	if c.cfg != nil {
		c.cfg(&cfg)
	}
	pool := n.pool
	if n.orderer, err = New(cfg, n.ledger, n.pool, n.logs, c, func(a *chain.Applied) { pool.Update(a) }); err != nil {
		t.Fatal(err)
	}
}

// stop shuts a node down; abrupt skips the leadership transfer, as a crash.
func (c *testCluster) stop(n *testNode, abrupt bool) {
	if n.orderer == nil {
		return
	}
	if abrupt {
		n.orderer.stopOnce.Do(func() { close(n.orderer.stop) })
		n.orderer.wg.Wait()
		n.orderer.trans.Close()
		n.orderer.raft.Shutdown().Error()
	} else if err := n.orderer.Stop(); err != nil {
		c.t.Logf("stop %s: %v", n.id, err)
	}
	n.logs.Close()
	n.db.Close()
	n.orderer = nil
}

// FetchBlocks serves snapshot restores from the other nodes' ledgers.
func (c *testCluster) FetchBlocks(ctx context.Context, from, to uint64) ([][]byte, error) {
	for _, n := range c.nodes {
		if n.orderer == nil || n.ledger.Head().Height < from {
			continue
		}
		var out [][]byte
		for h := from; h <= min(to, n.ledger.Head().Height); h++ {
			raw, err := n.ledger.RawBlock(h)
			if err != nil {
				return nil, err
			}
			out = append(out, raw)
		}
		return out, nil
	}
	return nil, errors.New("no node has those blocks")
}

func (c *testCluster) leader() *testNode {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, n := range c.nodes {
			if n.orderer != nil && n.orderer.IsLeader() {
				return n
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.t.Fatal("no leader within 10 s")
	return nil
}

// ruleTx is a cheap valid transaction (Ed25519-signed): the rule of a
// topic of its own (a rule is set once per topic).
func (c *testCluster) ruleTx(expiryBase uint64) *chain.Tx {
	c.mu.Lock()
	c.seq++
	topic := fmt.Sprintf("t%06d", c.seq)
	c.mu.Unlock()
	tx := &chain.Tx{Kind: chain.KindTopicRule, ChainID: c.gen.ChainID, Expiry: expiryBase + 900, Topic: topic, Rule: chain.TopicRule{Tagged: true}}
	if err := tx.SignAdmin(c.admin); err != nil {
		c.t.Fatal(err)
	}
	return tx
}

// submit adds txs to the leader's mempool (gossip is the p2p layer's job).
func (c *testCluster) submit(n int) [][32]byte {
	var ids [][32]byte
	for range n {
		for attempt := 0; ; attempt++ {
			l := c.leader()
			tx := c.ruleTx(l.ledger.Head().Height)
			if err := l.pool.Add(tx); err != nil {
				if attempt > 50 {
					c.t.Fatalf("submit: %v", err)
				}
				time.Sleep(20 * time.Millisecond)
				continue
			}
			ids = append(ids, tx.ID())
			break
		}
	}
	return ids
}

// waitCommitted waits until every running node has every id committed.
func (c *testCluster) waitCommitted(ids [][32]byte, within time.Duration) {
	deadline := time.Now().Add(within)
	for _, n := range c.nodes {
		if n.orderer == nil {
			continue
		}
		for _, id := range ids {
			for {
				if _, _, err := n.ledger.Tx(id); err == nil {
					break
				}
				if time.Now().After(deadline) {
					c.t.Fatalf("%s: tx %x not committed within %v (head %d)", n.id, id[:6], within, n.ledger.Head().Height)
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
	}
}

// checkSameChain asserts every running node holds the same block hash at
// every height up to the lowest head.
func (c *testCluster) checkSameChain() uint64 {
	var low uint64 = 1 << 62
	for _, n := range c.nodes {
		if n.orderer != nil {
			low = min(low, n.ledger.Head().Height)
		}
	}
	for h := uint64(1); h <= low; h++ {
		var want [32]byte
		first := true
		for _, n := range c.nodes {
			if n.orderer == nil {
				continue
			}
			b, err := n.ledger.Block(h)
			if err != nil {
				c.t.Fatalf("%s block %d: %v", n.id, h, err)
			}
			if first {
				want, first = b.Hash(), false
			} else if b.Hash() != want {
				c.t.Fatalf("fork at height %d on %s", h, n.id)
			}
		}
	}
	return low
}
