package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
	"github.com/veilchain/veil/api"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/logspec"
)

// observed is what the node keeps for its metrics, status and health
// beyond what its parts already count.
type observed struct {
	started  time.Time
	fetched  atomic.Uint64 // blocks block sync fetched
	lastPeer atomic.Int64  // Unix ns when a live peer was last seen (housekeeping, each second)
}

func (o *observed) sawPeers(alive int) {
	if alive > 0 {
		o.lastPeer.Store(time.Now().UnixNano())
	}
}

// gossipAloneAfter is how long a node of a network of several nodes may
// see no live peer before /healthz names gossip: longer than a restart of
// its peers, or its own join, takes.
const gossipAloneAfter = 30 * time.Second

// syncLag is how far below the highest head it knows of a node may be and
// still count as caught up: gossiped heights are refreshed once a second,
// so at a 500 ms block interval a follower in step is seen 1–2 blocks
// behind or ahead.
const syncLag = 3

// registerObservability mounts the log-level endpoint on the operations
// port, as an admin endpoint: GET shows the levels, PUT sets a spec.
func (n *Node) registerObservability() {
	n.ops.HandleAdmin("GET /logspec", n.levels)
	n.ops.HandleAdmin("PUT /logspec", n.levels)
}

// LogLevels are the node's log levels (SIGHUP applies log_level again).
func (n *Node) LogLevels() *logspec.Levels { return n.levels }

// lastContact is the seconds since this node last heard from the raft
// leader: 0 on the leader, -1 before any contact.
func (n *Node) lastContact() float64 {
	if n.orderer == nil {
		return 0 // a BFT chain
	}
	if n.orderer.IsLeader() {
		return 0
	}
	t := n.orderer.LastContact()
	if t.IsZero() {
		return -1
	}
	return time.Since(t).Seconds()
}

// syncTarget is the highest chain height this node knows of: its own,
// its peers' gossiped heads, and a raft snapshot it restores.
func (n *Node) syncTarget() uint64 {
	target := n.ledger.Head().Height
	if n.orderer != nil {
		target = max(target, n.orderer.RestoreTarget())
	}
	for _, m := range n.cluster.Members() {
		var md meta
		if m.Alive && json.Unmarshal(m.Meta, &md) == nil {
			target = max(target, md.Height)
		}
	}
	return target
}

// fillRaftStatus adds raft's view and the sync status to st.
func (n *Node) fillRaftStatus(st *api.Status) {
	st.Consensus = chain.ConsensusRaft
	o := n.orderer
	st.Term, st.RaftState = o.Term(), o.State().String()
	st.CommitIndex, st.AppliedIndex = o.CommitIndex(), o.AppliedIndex()
	st.LastContactSeconds = n.lastContact()
	st.Voters, st.Observers = []string{}, []string{}
	if servers, err := o.Servers(); err == nil {
		for _, s := range servers {
			if s.Suffrage == raft.Voter {
				st.Voters = append(st.Voters, string(s.ID))
			} else {
				st.Observers = append(st.Observers, string(s.ID))
			}
		}
	}
	slices.Sort(st.Voters)
	slices.Sort(st.Observers)
	st.TargetHeight = n.syncTarget()
	st.Sync = "caught_up"
	if o.RestoreTarget() > 0 || n.ledger.Head().Height+syncLag < st.TargetHeight {
		st.Sync = "syncing"
	}
}

// fillBFTStatus adds the BFT engine's view and the sync status to st:
// Voters are the validators SmartBFT orders with.
func (n *Node) fillBFTStatus(st *api.Status) {
	st.Consensus = chain.ConsensusBFT
	st.BFT = n.bft.status()
	st.Voters, st.Observers = []string{}, []string{}
	for _, v := range n.ledger.Validators() {
		st.Voters = append(st.Voters, v.ID)
	}
	st.TargetHeight = n.syncTarget()
	st.Sync = "caught_up"
	if n.ledger.Head().Height+syncLag < st.TargetHeight {
		st.Sync = "syncing"
	}
}

// Health checks storage (the chain database's and the raft store's fault
// latches), raft (stopped, shut down, or its fault latch) and gossip
// (memberlist shut down, or no live peer for gossipAloneAfter in a
// network of several nodes) (api.Backend).
func (n *Node) Health() []api.ComponentHealth {
	storageErr := n.db.Fault().Err()
	if n.logs != nil {
		storageErr = errors.Join(storageErr, n.logs.Fault().Err())
	}
	var raftErr error
	switch o := n.orderer; {
	case n.bft != nil:
		return []api.ComponentHealth{{Component: "storage", Err: storageErr}, {Component: "bft", Err: n.bft.health()}, {Component: "gossip", Err: n.gossipHealth()}}
	case o == nil:
		raftErr = errors.New("raft is stopped")
	case o.Fault() != nil:
		raftErr = o.Fault()
	case o.State() == raft.Shutdown:
		raftErr = errors.New("raft is shut down")
	}
	return []api.ComponentHealth{{Component: "storage", Err: storageErr}, {Component: "raft", Err: raftErr}, {Component: "gossip", Err: n.gossipHealth()}}
}

// gossipHealth is memberlist shut down, or no live peer for
// gossipAloneAfter in a network of several nodes.
func (n *Node) gossipHealth() error {
	var gossipErr error
	if n.cluster.Closed() {
		gossipErr = errors.New("memberlist is shut down")
	} else if n.expectsPeers() && n.alivePeers() == 0 {
		since := n.obs.started
		if lp := n.obs.lastPeer.Load(); lp != 0 {
			since = time.Unix(0, lp)
		}
		if alone := time.Since(since); alone > gossipAloneAfter {
			gossipErr = fmt.Errorf("no live peer for %s", alone.Round(time.Second))
		}
	}
	return gossipErr
}

// expectsPeers says whether this node's network has other nodes: more
// than one validator, or seeds to join.
func (n *Node) expectsPeers() bool { return len(n.cfg.Validators) > 1 || len(n.cfg.Seeds) > 0 }
