package consensus

import (
	"fmt"

	"github.com/hashicorp/raft"
)

// MembershipChange is one change the leader made to raft's configuration
// to follow the validator set of chain state.
type MembershipChange struct {
	// Op is "add_nonvoter" (a validator not yet in raft, to catch up),
	// "promote" (a caught-up non-voter made a voter), "demote" (a voter
	// that is no validator any more, kept as a non-voter so it goes on
	// following) or "transfer" (the leader itself is no validator any
	// more: it hands leadership to a voter, whose reconcile demotes it).
	Op   string
	ID   string
	Addr string
}

// ReconcileVoters makes raft's voters the validators that want returns
// (leader only),
// one change at a time, each waited for until raft commits it: first
// each validator absent from raft joins as a non-voter, then each
// non-voter that caughtUp reports ready is promoted, then each voter not
// in want is demoted, and last, if this leader is not in want, it
// transfers leadership (raft picks the most up-to-date voter) and steps
// down; the next leader demotes it. Additions come before removals, so a
// replacement never shrinks the quorum first. A removed validator stays
// a non-voter: it keeps applying blocks as an observer. It returns the
// changes made; on a failure, those before it and the error. It first
// makes sure this leader has applied every committed entry (leaderBarrier)
// and only then calls want: a new leader whose ledger lagged would read
// an old validator set and undo a change.
func (o *Orderer) ReconcileVoters(wantFn func() []Peer, caughtUp func(id string) bool) ([]MembershipChange, error) {
	var done []MembershipChange
	if err := o.leaderBarrier(); err != nil {
		return nil, fmt.Errorf("barrier: %w", err)
	}
	want := wantFn()
	for o.IsLeader() {
		ch, ok, err := o.nextMembershipChange(want, caughtUp)
		if err != nil || !ok {
			return done, err
		}
		if err := o.applyMembershipChange(ch); err != nil {
			return done, fmt.Errorf("raft %s %s: %w", ch.Op, ch.ID, err)
		}
		o.log.Info("raft membership changed to follow the validator set", "op", ch.Op, "id", ch.ID, "raft", ch.Addr)
		done = append(done, ch)
		if ch.Op == "transfer" {
			return done, nil
		}
	}
	return done, nil
}

// nextMembershipChange is the first change ReconcileVoters would make,
// if any.
func (o *Orderer) nextMembershipChange(want []Peer, caughtUp func(string) bool) (MembershipChange, bool, error) {
	servers, err := o.Servers()
	if err != nil {
		return MembershipChange{}, false, fmt.Errorf("raft configuration: %w", err)
	}
	inRaft := map[string]raft.Server{}
	for _, s := range servers {
		inRaft[string(s.ID)] = s
	}
	wanted := map[string]bool{}
	for _, p := range want {
		wanted[p.ID] = true
		if s, ok := inRaft[p.ID]; !ok && p.Addr != "" {
			return MembershipChange{Op: "add_nonvoter", ID: p.ID, Addr: p.Addr}, true, nil
		} else if ok && s.Suffrage != raft.Voter && caughtUp(p.ID) {
			return MembershipChange{Op: "promote", ID: p.ID, Addr: string(s.Address)}, true, nil
		}
	}
	self := false
	for _, s := range servers {
		if s.Suffrage != raft.Voter || wanted[string(s.ID)] {
			continue
		}
		if string(s.ID) == o.cfg.NodeID {
			self = true
			continue
		}
		return MembershipChange{Op: "demote", ID: string(s.ID), Addr: string(s.Address)}, true, nil
	}
	if self {
		return MembershipChange{Op: "transfer", ID: o.cfg.NodeID, Addr: o.cfg.AdvertiseAddr}, true, nil
	}
	return MembershipChange{}, false, nil
}

func (o *Orderer) applyMembershipChange(ch MembershipChange) error {
	id, addr, t := raft.ServerID(ch.ID), raft.ServerAddress(ch.Addr), o.cfg.ApplyTimeout
	switch ch.Op {
	case "add_nonvoter":
		return o.raft.AddNonvoter(id, addr, 0, t).Error()
	case "promote":
		return o.raft.AddVoter(id, addr, 0, t).Error()
	case "demote":
		return o.raft.DemoteVoter(id, 0, t).Error()
	case "transfer":
		// With no other voter to take over, or when the transfer fails,
		// the leader demotes itself: raft steps it down once that commits.
		if err := o.raft.LeadershipTransfer().Error(); err != nil {
			o.log.Warn("leadership transfer before this leader's demotion failed; demoting itself", "err", err)
			return o.raft.DemoteVoter(id, 0, t).Error()
		}
		return nil
	}
	return fmt.Errorf("unknown membership change %q", ch.Op)
}

// leaderBarrier waits, once a term, until this leader has applied every
// entry committed before it took office (raft's Barrier), so that what it
// reads from the ledger (the head it builds on, the validator set it
// follows) is what the cluster committed.
func (o *Orderer) leaderBarrier() error {
	term := o.raft.CurrentTerm()
	if o.barrierTerm.Load() == term {
		return nil
	}
	if err := o.raft.Barrier(o.cfg.ApplyTimeout).Error(); err != nil {
		return err
	}
	o.barrierTerm.Store(term)
	return nil
}
