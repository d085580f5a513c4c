package p2p

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
)

const (
	kindGossip  byte = 1
	kindDirect  byte = 2
	kindEcho    byte = 10
	kindBig     byte = 11
	kindFail    byte = 12
	kindBlock   byte = 13
	bigRespSize      = 5 << 20
)

// recorder counts deliveries per message hash.
type recorder struct {
	mu    sync.Mutex
	count map[[32]byte]int
	from  map[[32]byte]string
	total int
}

func newRecorder() *recorder {
	return &recorder{count: make(map[[32]byte]int), from: make(map[[32]byte]string)}
}

func (r *recorder) handle(from string, msg []byte) {
	h := sha256.Sum256(msg)
	r.mu.Lock()
	r.count[h]++
	r.from[h] = from
	r.total++
	r.mu.Unlock()
}

func (r *recorder) snapshot() (map[[32]byte]int, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := make(map[[32]byte]int, len(r.count))
	for k, v := range r.count {
		m[k] = v
	}
	return m, r.total
}

type testNode struct {
	*Cluster
	meta   atomic.Value // []byte
	gossip *recorder
	direct *recorder
}

// TestCluster runs one 4-node cluster (Ed25519 and ECDSA identities) through
// membership, metadata, gossip, direct sends, requests, and admission.
func TestCluster(t *testing.T) {
	ca := newTestCA(t, "veil test CA")
	// Loaded now, valid for a few seconds, expired by the time it is used.
	expiring := newIdentity(t, ca, "n7", certOpts{notAfter: time.Now().Add(3 * time.Second)})

	var nodes []*testNode
	for i := 1; i <= 4; i++ {
		id := newIdentity(t, ca, fmt.Sprintf("n%d", i), certOpts{ecdsa: i == 4})
		n := &testNode{gossip: newRecorder(), direct: newRecorder()}
		n.meta.Store([]byte(fmt.Sprintf("meta-n%d-v1", i)))
		cfg := testConfig(id)
		cfg.Meta = func() []byte { return n.meta.Load().([]byte) }
		n.Cluster = startNode(t, cfg)
		n.Handle(kindGossip, n.gossip.handle)
		n.Handle(kindDirect, n.direct.handle)
		n.HandleRequest(kindEcho, func(_ context.Context, from string, req []byte) ([]byte, error) {
			return append([]byte(from+":"), req...), nil
		})
		n.HandleRequest(kindBig, func(context.Context, string, []byte) ([]byte, error) {
			b := make([]byte, bigRespSize)
			for i := range b {
				b[i] = byte(i * 7)
			}
			return b, nil
		})
		n.HandleRequest(kindFail, func(context.Context, string, []byte) ([]byte, error) {
			return nil, errors.New("block 42 not found")
		})
		n.HandleRequest(kindBlock, func(ctx context.Context, _ string, _ []byte) ([]byte, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		})
		nodes = append(nodes, n)
	}
	start := time.Now()
	for _, n := range nodes[1:] {
		if _, err := n.Join([]string{nodes[0].Addr()}); err != nil {
			t.Fatalf("%s join: %v", n.NodeID(), err)
		}
	}

	t.Run("Members", func(t *testing.T) {
		waitFor(t, 10*time.Second, "4 members everywhere", func() bool {
			for _, n := range nodes {
				if len(aliveIDs(n.Cluster)) != 4 {
					return false
				}
			}
			return true
		})
		t.Logf("cluster formed in %v", time.Since(start))
		for _, n := range nodes {
			for _, o := range nodes {
				m := aliveIDs(n.Cluster)[o.NodeID()]
				if m.Addr != o.Addr() || !bytes.Equal(m.Meta, o.meta.Load().([]byte)) {
					t.Errorf("%s sees %s as %+v", n.NodeID(), o.NodeID(), m)
				}
			}
		}
	})

	t.Run("MetaUpdate", func(t *testing.T) {
		nodes[1].meta.Store([]byte("meta-n2-v2"))
		if err := nodes[1].UpdateMeta(2 * time.Second); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 5*time.Second, "meta update everywhere", func() bool {
			for _, n := range nodes {
				if string(aliveIDs(n.Cluster)["n2"].Meta) != "meta-n2-v2" {
					return false
				}
			}
			return true
		})
		// The update reached n1's event stream (after the joins).
		waitFor(t, 2*time.Second, "update event on n1", func() bool {
			for {
				select {
				case ev := <-nodes[0].Events():
					if ev.Type == EventUpdate && ev.Member.ID == "n2" && string(ev.Member.Meta) == "meta-n2-v2" {
						return true
					}
				default:
					return false
				}
			}
		})
		nodes[1].meta.Store(bytes.Repeat([]byte{1}, MaxMetaSize+1))
		if err := nodes[1].UpdateMeta(time.Second); !errors.Is(err, ErrTooLarge) {
			t.Errorf("oversized meta: got %v, want ErrTooLarge", err)
		}
		nodes[1].meta.Store([]byte("meta-n2-v2"))
	})

	t.Run("Broadcast", func(t *testing.T) {
		const total = 200
		want := make(map[string]map[[32]byte]string) // receiver → hash → origin
		for _, n := range nodes {
			want[n.NodeID()] = make(map[[32]byte]string)
		}
		sent := time.Now()
		for i := 0; i < total; i++ {
			from := nodes[i%len(nodes)]
			msg := make([]byte, 1+mrand.IntN(70<<10))
			rand.Read(msg)
			h := sha256.Sum256(msg)
			for _, n := range nodes {
				if n != from {
					want[n.NodeID()][h] = from.NodeID()
				}
			}
			if err := from.Broadcast(kindGossip, msg); err != nil {
				t.Fatal(err)
			}
		}
		waitFor(t, 30*time.Second, "all broadcasts delivered", func() bool {
			for _, n := range nodes {
				if _, tot := n.gossip.snapshot(); tot < len(want[n.NodeID()]) {
					return false
				}
			}
			return true
		})
		took := time.Since(sent)
		time.Sleep(300 * time.Millisecond) // let retransmissions land: none may reach a handler
		var dups uint64
		for _, n := range nodes {
			got, tot := n.gossip.snapshot()
			if tot != len(want[n.NodeID()]) {
				t.Errorf("%s: %d deliveries, want %d", n.NodeID(), tot, len(want[n.NodeID()]))
			}
			for h, origin := range want[n.NodeID()] {
				if got[h] != 1 {
					t.Errorf("%s: message from %s delivered %d times", n.NodeID(), origin, got[h])
				}
				if n.gossip.from[h] != origin {
					t.Errorf("%s: message from %s reported from %q", n.NodeID(), origin, n.gossip.from[h])
				}
			}
			st := n.Stats()
			dups += st.GossipDuplicates
			if st.GossipDropped != 0 || st.PacketsDropped != 0 {
				t.Errorf("%s: stats %+v", n.NodeID(), st)
			}
		}
		t.Logf("%d broadcasts (≤70 KB) delivered to 3 peers each in %v; %d retransmitted copies dropped as duplicates", total, took, dups)

		tooBig := make([]byte, nodes[0].MaxBroadcastSize()+1)
		if err := nodes[0].Broadcast(kindGossip, tooBig); !errors.Is(err, ErrTooLarge) {
			t.Errorf("oversized broadcast: got %v", err)
		}
	})

	t.Run("SendTo", func(t *testing.T) {
		if err := nodes[2].SendTo("n4", kindDirect, []byte("anti-entropy reply")); err != nil {
			t.Fatal(err)
		}
		h := sha256.Sum256([]byte("anti-entropy reply"))
		waitFor(t, 2*time.Second, "direct message", func() bool {
			got, _ := nodes[3].direct.snapshot()
			return got[h] == 1
		})
		nodes[3].direct.mu.Lock()
		from := nodes[3].direct.from[h]
		nodes[3].direct.mu.Unlock()
		if from != "n3" {
			t.Errorf("direct message from %q, want n3", from)
		}
		if err := nodes[2].SendTo("n4", 99, []byte("x")); err == nil {
			t.Error("SendTo of a kind without handler succeeded")
		}
		if err := nodes[2].SendTo("nobody", kindDirect, nil); !errors.Is(err, ErrUnknownNode) {
			t.Errorf("SendTo unknown node: %v", err)
		}
	})

	t.Run("Request", func(t *testing.T) {
		ctx := context.Background()
		resp, err := nodes[0].Request(ctx, "n3", kindEcho, []byte("ping"))
		if err != nil || string(resp) != "n1:ping" {
			t.Fatalf("echo: %q, %v", resp, err)
		}
		// Reused connection.
		if resp, err = nodes[0].Request(ctx, "n3", kindEcho, []byte("again")); err != nil || string(resp) != "n1:again" {
			t.Fatalf("echo again: %q, %v", resp, err)
		}
		t0 := time.Now()
		resp, err = nodes[1].Request(ctx, "n4", kindBig, nil)
		if err != nil || len(resp) != bigRespSize || resp[bigRespSize-1] != byte((bigRespSize-1)*7%256) {
			t.Fatalf("5 MB response: %d bytes, %v", len(resp), err)
		}
		t.Logf("5 MB response in %v", time.Since(t0))
		_, err = nodes[1].Request(ctx, "n2", kindFail, nil)
		var re *RemoteError
		if !errors.As(err, &re) || re.NodeID != "n2" || re.Message != "block 42 not found" {
			t.Fatalf("error reply: %v", err)
		}
		if _, err = nodes[1].Request(ctx, "n2", 77, nil); !errors.As(err, &re) {
			t.Fatalf("unknown kind: %v", err)
		}
		// The error left the connection usable.
		if _, err := nodes[1].Request(ctx, "n2", kindEcho, nil); err != nil {
			t.Fatal(err)
		}

		cctx, cancel := context.WithCancel(ctx)
		time.AfterFunc(100*time.Millisecond, cancel)
		t0 = time.Now()
		_, err = nodes[0].Request(cctx, "n2", kindBlock, nil)
		if !errors.Is(err, context.Canceled) || time.Since(t0) > time.Second {
			t.Fatalf("cancelled request: %v after %v", err, time.Since(t0))
		}
		dctx, dcancel := context.WithTimeout(ctx, 150*time.Millisecond)
		defer dcancel()
		_, err = nodes[0].Request(dctx, "n2", kindBlock, nil)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("deadline: %v", err)
		}
		if _, err := nodes[0].Request(ctx, "n2", kindEcho, make([]byte, 16<<20)); !errors.Is(err, ErrTooLarge) {
			t.Fatalf("oversized request: %v", err)
		}
	})

	seed := []string{nodes[0].Addr()}
	refusedOnSeed := func() uint64 { return nodes[0].Stats().RefusedConns }
	neverMember := func(t *testing.T, id string) {
		t.Helper()
		time.Sleep(500 * time.Millisecond)
		for _, n := range nodes {
			for _, m := range n.Members() {
				if m.ID == id {
					t.Errorf("%s lists %s", n.NodeID(), id)
				}
			}
		}
	}

	t.Run("ForeignCA", func(t *testing.T) {
		other := newTestCA(t, "another CA")
		// It trusts our CA too, so it is our side that must refuse it.
		id := newIdentity(t, other, "n8", certOpts{}, other.pem, ca.pem)
		c := startNode(t, testConfig(id))
		before := refusedOnSeed()
		if _, err := c.Join(seed); err == nil {
			t.Error("join with a foreign certificate succeeded")
		}
		waitFor(t, 2*time.Second, "seed to count a refused connection", func() bool { return refusedOnSeed() > before })
		if len(aliveIDs(c)) != 1 {
			t.Errorf("foreign node sees %v", aliveIDs(c))
		}
		neverMember(t, "n8")
	})

	t.Run("Expired", func(t *testing.T) {
		time.Sleep(time.Until(expiring.Certificate().NotAfter.Add(100 * time.Millisecond)))
		c := startNode(t, testConfig(expiring))
		before := refusedOnSeed()
		if _, err := c.Join(seed); err == nil {
			t.Error("join with an expired certificate succeeded")
		}
		waitFor(t, 2*time.Second, "seed to count a refused connection", func() bool { return refusedOnSeed() > before })
		neverMember(t, "n7")
	})

	t.Run("Impersonation", func(t *testing.T) {
		// A valid certificate for n5 driving a memberlist that calls itself
		// n1 (present) or n9 (absent), through the real transport.
		id := newIdentity(t, ca, "n5", certOpts{})
		for _, name := range []string{"n1", "n9"} {
			tr, err := newTransport(transportConfig{identity: id, bindAddr: "127.0.0.1:0", logger: testLogger(), maxPacket: 132 << 10, dialTimeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			mc := memberlist.DefaultLANConfig()
			mc.Name, mc.Transport, mc.Label = name, tr, testLabel
			mc.UDPBufferSize = 128 << 10
			mc.LogOutput = discard{}
			ml, err := memberlist.Create(mc)
			if err != nil {
				t.Fatal(err)
			}
			before := nodes[1].Stats().RefusedAlive
			ml.Join([]string{nodes[1].Addr()})
			waitFor(t, 5*time.Second, name+" claim by n5 refused", func() bool {
				return nodes[1].Stats().RefusedAlive > before
			})
			time.Sleep(300 * time.Millisecond) // let any wrongly accepted claim spread
			for _, n := range nodes {
				for _, m := range n.Members() {
					if m.Addr == tr.advertise.String() || m.ID == "n9" || m.ID == "n5" {
						t.Errorf("%s lists impostor %+v", n.NodeID(), m)
					}
				}
				if m := aliveIDs(n.Cluster)["n1"]; m.Addr != nodes[0].Addr() {
					t.Errorf("%s: n1 moved to %s", n.NodeID(), m.Addr)
				}
			}
			ml.Shutdown()
		}
	})

	t.Run("Revoked", func(t *testing.T) {
		id := newIdentity(t, ca, "n6", certOpts{})
		c := startNode(t, testConfig(id))
		if _, err := c.Join(seed); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 5*time.Second, "n6 everywhere", func() bool {
			for _, n := range nodes {
				if _, ok := aliveIDs(n.Cluster)["n6"]; !ok {
					return false
				}
			}
			return true
		})
		for _, n := range nodes {
			n.RemoveNode("n6")
		}
		for _, n := range nodes {
			if _, ok := aliveIDs(n.Cluster)["n6"]; ok {
				t.Errorf("%s still lists n6", n.NodeID())
			}
		}
		if _, err := nodes[0].Request(context.Background(), "n6", kindEcho, nil); !errors.Is(err, ErrUnknownNode) {
			t.Errorf("request to removed node: %v", err)
		}
		// n6 still believes in its peers for a while, but cannot reach them.
		if _, err := c.Request(context.Background(), "n1", kindEcho, nil); err == nil {
			t.Error("revoked node's request served")
		}
		before := refusedOnSeed()
		if _, err := c.Join(seed); err == nil {
			t.Error("revoked node rejoined")
		}
		waitFor(t, 2*time.Second, "seed to count a refused connection", func() bool { return refusedOnSeed() > before })
		neverMember(t, "n6")
		if err := nodes[0].Broadcast(kindGossip, []byte("after revocation")); err != nil {
			t.Fatal(err)
		}
	})

	for _, n := range nodes {
		t.Logf("%s stats: %+v", n.NodeID(), n.Stats())
	}
	// Graceful leave is seen by the others.
	if err := nodes[3].Leave(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "n4 left", func() bool {
		_, ok := aliveIDs(nodes[0].Cluster)["n4"]
		return !ok
	})
	nodes[3].Shutdown()
	if _, ok := <-nodes[3].Events(); ok {
		for range nodes[3].Events() {
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func TestConfigValidation(t *testing.T) {
	ca := newTestCA(t, "ca")
	id := newIdentity(t, ca, "n1", certOpts{})
	cfg := testConfig(id)
	cfg.NodeID = "n2"
	if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), "differs") {
		t.Errorf("mismatched NodeID: %v", err)
	}
	cfg = testConfig(id)
	cfg.BindAddr = "0.0.0.0:0"
	if _, err := New(cfg); err == nil {
		t.Error("wildcard bind without AdvertiseAddr accepted")
	}
	if _, err := New(Config{}); err == nil {
		t.Error("empty config accepted")
	}
}
