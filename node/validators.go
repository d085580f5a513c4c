package node

import (
	"encoding/json"

	"github.com/hashicorp/raft"
	"github.com/veilchain/veil/api"
	"github.com/veilchain/veil/bft"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/consensus"
)

// currentRole is this node's role by chain state at the head: a
// validator from the block after its addition on, an observer from the
// block after its removal on (genesis's set before any change).
func (n *Node) currentRole() string {
	if n.ledger != nil && n.ledger.IsValidator(n.cfg.NodeID) {
		return RoleValidator
	}
	return RoleObserver
}

// checkValidatorChange is the admission check of a validator change
// submitted to this node's API, beyond the ledger's: after it, a
// majority of the validators must be reachable from here (this node, and
// gossip members alive), or raft would stop committing (no_quorum).
// Gossip admission does not check it: the node the admin talks to does,
// once, from its own view.
func (n *Node) checkValidatorChange(tx *chain.Tx) error {
	after, err := n.ledger.ValidatorsAfter(tx)
	if err != nil {
		return err
	}
	alive := map[string]bool{n.cfg.NodeID: true}
	for _, m := range n.cluster.Members() {
		if m.Alive {
			alive[m.ID] = true
		}
	}
	quorum := chain.Majority
	if n.bft != nil {
		// SmartBFT decides nothing without ⌈(n+f+1)/2⌉ of the new set.
		quorum = func(n int) int { q, _ := bft.Quorum(n); return q }
	}
	return chain.CheckQuorum(after, quorum, func(id string) bool { return alive[id] })
}

// reconcileValidators (leader only, from housekeeping) makes raft's
// voters the validator set of chain state, less revoked nodes: see
// consensus.Orderer.ReconcileVoters. A genesis validator's raft address
// is its config's; an added one's, its transaction's. A non-voter is
// promoted once its gossiped head has reached the height its addition
// committed at: it has caught up on what it must vote on.
func (n *Node) reconcileValidators() {
	addrs := map[string]string{}
	for _, v := range n.cfg.Validators {
		addrs[v.ID] = v.RaftAddr
	}
	since := map[string]uint64{}
	// want reads the set once ReconcileVoters has made sure this leader
	// applied what was committed before its term.
	want := func() []consensus.Peer {
		var out []consensus.Peer
		for _, v := range n.ledger.Validators() {
			if n.identity.IsRevoked(v.ID) {
				continue
			}
			addr := v.RaftAddr
			if addr == "" {
				addr = addrs[v.ID]
			}
			out = append(out, consensus.Peer{ID: v.ID, Addr: addr})
			since[v.ID] = v.Since
		}
		return out
	}
	heights := map[string]uint64{}
	for _, m := range n.cluster.Members() {
		var md meta
		if m.Alive && json.Unmarshal(m.Meta, &md) == nil {
			heights[m.ID] = md.Height
		}
	}
	caughtUp := func(id string) bool {
		h, ok := heights[id]
		return ok && h >= since[id]
	}
	if _, err := n.orderer.ReconcileVoters(want, caughtUp); err != nil {
		n.log.Warn("raft membership does not follow the validator set yet; retrying", "err", err)
	}
}

// validatorChanged logs a committed validator change that concerns this
// node (from applied, on the FSM goroutine): its role changes with it.
func (n *Node) validatorChanged(tx *chain.Tx) {
	if tx.Node != n.cfg.NodeID {
		n.log.Info("validator set changed on chain", "op", tx.Kind.String(), "id", tx.Node)
		return
	}
	n.log.Info("this node's role changed on chain", "op", tx.Kind.String(), "role", n.currentRole())
}

// raftAddrOf returns the id of the validator of chain state at raft
// address addr, if any.
func (n *Node) raftAddrOf(addr string) (string, bool) {
	for _, v := range n.ledger.Validators() {
		if v.RaftAddr == addr {
			return v.ID, true
		}
	}
	return "", false
}

// RaftServers lists this node's raft configuration (api.Backend).
func (n *Node) RaftServers() []api.RaftServer {
	if n.orderer == nil {
		return []api.RaftServer{} // a BFT chain runs no raft
	}
	servers, err := n.orderer.Servers()
	if err != nil {
		return []api.RaftServer{}
	}
	out := make([]api.RaftServer, 0, len(servers))
	for _, s := range servers {
		suffrage := "nonvoter"
		if s.Suffrage == raft.Voter {
			suffrage = "voter"
		}
		out = append(out, api.RaftServer{ID: string(s.ID), Addr: string(s.Address), Suffrage: suffrage})
	}
	return out
}
