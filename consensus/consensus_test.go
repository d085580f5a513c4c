package consensus

import (
	"crypto/tls"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/veilchain/veil/storage"
)

func TestThreeValidatorsAndAnObserver(t *testing.T) {
	c := newTestCluster(t, 3, 1, nil)
	start := time.Now()
	l := c.leader()
	t.Logf("leader %s elected in %v", l.id, time.Since(start).Round(time.Millisecond))
	obs := c.nodes["node-4"]
	if err := l.orderer.AddObserver(obs.id, obs.addr); err != nil {
		t.Fatal(err)
	}
	ids := c.submit(40)
	c.waitCommitted(ids, 20*time.Second)
	if h := c.checkSameChain(); h == 0 {
		t.Fatal("no blocks")
	}
	servers, err := l.orderer.Servers()
	if err != nil {
		t.Fatal(err)
	}
	voters := 0
	for _, s := range servers {
		if s.Suffrage == raft.Voter {
			voters++
			if s.ID == "node-4" {
				t.Fatal("the observer votes")
			}
		}
	}
	if voters != 3 || len(servers) != 4 {
		t.Fatalf("%d voters of %d servers", voters, len(servers))
	}
}

func TestLeaderCrashElectsANewLeaderAndLosesNothing(t *testing.T) {
	c := newTestCluster(t, 3, 0, nil)
	ids := c.submit(20)
	c.waitCommitted(ids, 20*time.Second)
	old := c.leader()
	changes, term := map[*testNode]int64{}, old.orderer.Term()
	for _, n := range c.nodes {
		if n.orderer.LeaderChanges() < 1 {
			t.Fatalf("%s saw no leader take office", n.id)
		}
		changes[n] = n.orderer.LeaderChanges()
	}
	crashed := time.Now()
	c.stop(old, true)
	var next *testNode
	for next == nil || next == old {
		next = c.leader()
	}
	t.Logf("new leader %s after %v", next.id, time.Since(crashed).Round(time.Millisecond))
	if time.Since(crashed) > 5*time.Second {
		t.Fatalf("new leader took %v", time.Since(crashed))
	}
	if next.orderer.Term() <= term {
		t.Fatalf("new leader at term %d, the old one was at %d", next.orderer.Term(), term)
	}
	// Every survivor counts the new leader (veil_raft_leader_changes_total).
	for n, before := range changes {
		for n != old && n.orderer.LeaderChanges() == before && time.Since(crashed) < 20*time.Second {
			time.Sleep(10 * time.Millisecond)
		}
		if n != old && n.orderer.LeaderChanges() == before {
			t.Fatalf("%s did not count the new leader", n.id)
		}
	}
	more := c.submit(20)
	c.waitCommitted(append(ids, more...), 20*time.Second)
	c.checkSameChain()
	// The crashed node restarts and catches up to the same chain.
	c.start(old)
	c.waitCommitted(append(ids, more...), 20*time.Second)
	c.checkSameChain()
}

func TestFollowerCatchesUpThroughSnapshotAndBlockSync(t *testing.T) {
	blocks := 520
	if testing.Short() {
		blocks = 150
	}
	c := newTestCluster(t, 3, 0, func(cfg *Config) {
		cfg.MaxBlockTxs = 1 // one block per transaction: many blocks quickly
		// Sized by bytes, as a node's default is: one-tx blocks are a few
		// hundred bytes, so the log keeps tens of entries and the stopped
		// follower falls far behind it.
		cfg.LogPolicy = storage.RaftLogPolicy{MaxBytes: 32 << 10, KeepBytes: 8 << 10, MinEntries: 2}
		cfg.LogCheckInterval = 100 * time.Millisecond
	})
	l := c.leader()
	var follower *testNode
	for _, n := range c.nodes {
		if n != l {
			follower = n
			break
		}
	}
	c.stop(follower, false)
	ids := c.submit(blocks)
	c.waitCommitted(ids, 120*time.Second)
	// Make sure the leader has compacted its log past the follower.
	if err := c.leader().orderer.raft.Snapshot().Error(); err != nil {
		t.Logf("snapshot: %v", err)
	}
	t.Logf("%d blocks committed while %s was down", c.leader().ledger.Head().Height, follower.id)
	// The leader's log was compacted by bytes: far fewer entries than blocks.
	if entries, size := c.leader().logs.LogSize(); entries >= uint64(blocks)/2 {
		t.Fatalf("leader's raft log holds %d entries (%d bytes) after %d blocks", entries, size, blocks)
	} else {
		t.Logf("leader's raft log: %d entries, %d bytes", entries, size)
	}
	began := time.Now()
	c.start(follower)
	c.waitCommitted(ids, 120*time.Second)
	t.Logf("%s caught up in %v (%d snapshot restores)", follower.id, time.Since(began).Round(time.Millisecond), follower.orderer.fsm.restores.Load())
	if follower.orderer.fsm.restores.Load() == 0 {
		t.Fatal("the follower caught up from the log alone: the snapshot path was not exercised")
	}
	if h := c.checkSameChain(); h < uint64(blocks) {
		t.Fatalf("common height %d", h)
	}
	if follower.ledger.Head() != c.leader().ledger.Head() {
		// The leader may have moved on; compare at the follower's height.
		b, _ := c.leader().ledger.Block(follower.ledger.Head().Height)
		if b.Hash() != follower.ledger.Head().Hash {
			t.Fatal("follower head differs")
		}
	}
}

func TestRaftRefusesForeignCertificates(t *testing.T) {
	c := newTestCluster(t, 1, 0, nil)
	l := c.leader()
	for name, cert := range map[string]tls.Certificate{
		"other CA": func() tls.Certificate {
			cert, _ := newTestCA(t).issue(t, "node-9", time.Now().Add(time.Hour))
			return cert
		}(),
		"expired": func() tls.Certificate { cert, _ := c.ca.issue(t, "node-8", time.Now().Add(-time.Minute)); return cert }(),
	} {
		_, client := tlsConfigs(c.ca, cert)
		conn, err := tls.Dial("tcp", l.addr, client(""))
		if err == nil {
			// TLS 1.3: the server's verdict on the client certificate
			// arrives with the first read.
			conn.SetReadDeadline(time.Now().Add(2 * time.Second))
			_, err = conn.Read(make([]byte, 1))
			conn.Close()
		}
		if err == nil {
			t.Fatalf("%s: raft accepted the connection", name)
		}
	}
}
