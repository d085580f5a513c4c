package faults

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/veilchain/veil/bft"
	"github.com/veilchain/veil/chain"
)

// The behaviours of bft/byzantine.go (built only with -tags
// veil_byzantine), chosen per node process by VEIL_BFT_BYZANTINE.
const (
	byzEquivocate = "equivocate" // as leader: a different valid block for the same sequence to half the followers
	byzCensor     = "censor"     // as leader: leaves out every transaction of topic VEIL_BFT_CENSOR_TOPIC
	byzGarbage    = "garbage"    // random bytes instead of every consensus message it sends
	byzWrongVote  = "wrong-vote" // prepares and commits (validly signed) a digest that is not the proposal's
	censorTopic   = "censored"
	// byzActLog starts the warn line the seam writes for each Byzantine
	// act: the proof that the fault was really injected.
	byzActLog = "byzantine: "
)

// viewOrder returns the validators 1..v in SmartBFT's order (by numeric
// id): with leader rotation off, the leader of view k is the k-th (mod
// v), so a fresh network's first leaders are known before it starts.
func viewOrder(v int) []int {
	order := make([]int, v)
	for k := range order {
		order[k] = k + 1
	}
	slices.SortFunc(order, func(a, b int) int {
		x, y := bft.NumericID(fmt.Sprintf("node-%d", a)), bft.NumericID(fmt.Sprintf("node-%d", b))
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	})
	return order
}

// TestBFTByzantine runs Byzantine validators (the veil_byzantine build
// of the node, VEIL_BFT_BYZANTINE naming the behaviour, SIGUSR1 turning
// it on once the load runs) beside honest ones, each case on a fresh
// network so that the faulty node holds the place it needs (the leader
// of view 0, of view 1, …: viewOrder): an equivocating leader, a
// censoring leader (a transaction of its censored topic, submitted to a
// follower, must commit within a bounded number of views: request
// forwarding, complaints, a view change), a leader that sends garbage, a
// follower that votes for a wrong block, and f = 2 of 7 at once. Every
// case ends with the lost/forks/duplicates check; where the fault costs
// the leader its view, the honest validators must count the view change
// in status and metrics and log it; the Byzantine node's log must show
// its acts (the fault was really injected).
func TestBFTByzantine(t *testing.T) {
	// The plain build has no Byzantine code path at all: not even the
	// variable's name is in its binary.
	for _, b := range []struct {
		path string
		want bool
	}{{veilBinary(t), false}, {byzantineBinary(t), true}} {
		raw, err := os.ReadFile(b.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := bytes.Contains(raw, []byte("VEIL_BFT_BYZANTINE")); got != b.want {
			t.Fatalf("%s holds VEIL_BFT_BYZANTINE: %v, want %v", b.path, got, b.want)
		}
	}
	for _, tc := range []struct {
		name       string
		validators int
		// byz[k] is the behaviour of the leader of view k ("" honest).
		byz []string
		// viewChange: the fault must cost the network at least one view.
		viewChange bool
	}{
		{name: "equivocating leader", validators: 4, byz: []string{byzEquivocate}, viewChange: true},
		{name: "censoring leader", validators: 4, byz: []string{byzCensor}, viewChange: true},
		{name: "garbage-sending leader", validators: 4, byz: []string{byzGarbage}, viewChange: true},
		{name: "wrong-voting follower", validators: 4, byz: []string{"", byzWrongVote}},
		{name: "f=2 of 7: equivocating leader and garbage-sending next leader", validators: 7, byz: []string{byzEquivocate, byzGarbage}, viewChange: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			order := viewOrder(tc.validators)
			mode := map[int]string{}
			for k, m := range tc.byz {
				if m != "" {
					mode[order[k]] = m
				}
			}
			n, ld, w := startBFT(t, netOptions{Nodes: tc.validators, Validators: tc.validators, Proc: func(p *nodeProc) {
				if m := mode[p.idx]; m != "" {
					p.bin = byzantineBinary(t)
					p.env = []string{"VEIL_BFT_BYZANTINE=" + m, "VEIL_BFT_CENSOR_TOPIC=" + censorTopic}
				}
			}}, 20)
			var honest, byz []int
			for _, i := range n.all() {
				if mode[i] == "" {
					honest = append(honest, i)
				} else {
					byz = append(byz, i)
				}
			}
			t.Logf("view order %v; Byzantine: %v", order, mode)

			// Under load, the faulty nodes turn Byzantine (SIGUSR1).
			h0 := n.maxHeight(honest)
			var armedAt time.Time
			for _, i := range byz {
				armedAt, _ = n.signal(i, syscall.SIGUSR1, running)
			}
			extra := ""
			if tc.viewChange && !slices.Contains(tc.byz, byzCensor) {
				// Recovery: the first block an honest leader proposed after
				// the faulty leader turned Byzantine.
				took, b := n.waitCommitBy(honest, h0, n.node(order[0]).id, armedAt)
				extra += fmt.Sprintf(" honest_block_after=%v", took.Round(time.Millisecond))
				t.Logf("turned Byzantine at height %d; block %d by %s committed %v after", h0, b.Height, b.Proposer, took.Round(time.Millisecond))
			}
			if slices.Contains(tc.byz, byzCensor) {
				took, views := n.censoredCommits(ld, order[0], honest)
				extra += fmt.Sprintf(" censored_tx_committed_after=%v views=%d", took.Round(time.Millisecond), views)
			}
			n.waitProgress(honest, 10)
			ld.stop()
			t.Logf("load: %s", ld)

			for _, i := range byz {
				if acts := byzActs(n.logSince(i)); acts == 0 {
					t.Errorf("node-%d (%s) logged no Byzantine act (%q lines): the fault was not injected", i, mode[i], byzActLog)
				} else {
					extra += fmt.Sprintf(" node-%d_%s_acts=%d", i, mode[i], acts)
				}
			}
			if tc.viewChange {
				extra += fmt.Sprintf(" view_changes_counted=%v", n.checkViewChangesSeen(honest))
			}
			if slices.Contains(tc.byz, byzWrongVote) {
				// SmartBFT's warning for a vote whose digest is not the
				// proposal's: the honest nodes saw the wrong votes and set
				// them aside.
				k := 0
				for _, i := range honest {
					k += strings.Count(n.logSince(i), wrongDigestLog)
				}
				if k == 0 {
					t.Errorf("no honest node logged %q: did the wrong votes reach them?", wrongDigestLog)
				}
				extra += fmt.Sprintf(" wrong_votes_refused_logged=%d", k)
			}
			v, _ := n.bftView(honest)
			extra += fmt.Sprintf(" final_view=%d", v)
			o := n.verify(ld, w)
			o.summary(t, extra)
		})
	}
}

// byzActs is the count of Byzantine acts the seam's last "byzantine: "
// line reports (acts=N) in a node log.
func byzActs(log string) int {
	k := 0
	for _, line := range strings.Split(log, "\n") {
		if !strings.Contains(line, `msg="`+byzActLog) {
			continue
		}
		if _, v, ok := strings.Cut(line, " acts="); ok {
			if a, err := strconv.Atoi(strings.Fields(v)[0]); err == nil {
				k = max(k, a)
			}
		}
	}
	return k
}

// wrongDigestLog is the start of SmartBFT's warning for a prepare or
// commit of another digest than the proposal's (internal/bft/view.go).
const wrongDigestLog = "Got wrong digest"

// censoredCommits checks a censoring leader: while censor leads, a
// transaction of the censored topic is submitted to an honest follower;
// it must commit within a bounded number of views (forwarded to the
// leader, then complaints, then a view change). It returns the time to
// commit and the views it took.
func (n *network) censoredCommits(ld *load, censor int, honest []int) (time.Duration, uint64) {
	n.t.Helper()
	if l := n.leader(); l != censor {
		n.t.Fatalf("the censoring node-%d should lead view 0, node-%d leads", censor, l)
	}
	follower := honest[0]
	v0, _ := n.bftView(honest)
	tx, err := signAnonymous(n.chainID, ld.opt.Group, censorTopic, []byte("censor me"), ld.expiry(), ld.opt.Members[0])
	if err != nil {
		n.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	at := time.Now()
	id, err := n.node(follower).c.Submit(ctx, tx)
	if err != nil {
		n.t.Fatalf("submit the censored transaction to node-%d: %v", follower, err)
	}
	var took time.Duration
	var loc string
	n.eventually(90*time.Second, "the censored transaction commits", func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		got, err := n.node(follower).c.Tx(ctx, id)
		if err != nil || got.Status != "committed" {
			return false, fmt.Sprintf("%v %v", got, err)
		}
		if got.Height == nil {
			return false, "committed without a height"
		}
		took, loc = time.Since(at), fmt.Sprintf("block %d", *got.Height)
		return true, ""
	})
	v1, _ := n.bftView(honest)
	views := v1 - v0
	n.t.Logf("censored transaction %.16s… submitted to node-%d while node-%d led view %d: committed in %s after %v, in view %d (%d view changes)",
		id, follower, censor, v0, loc, took.Round(time.Millisecond), v1, views)
	// The censor must have been deposed (it never proposes the
	// transaction), by as few view changes as the faults allow: each
	// next leader is honest here.
	if views < 1 || views > maxCensorViews {
		n.t.Errorf("the censored transaction committed after %d view changes, want 1 to %d", views, maxCensorViews)
	}
	if b := n.blockOf(follower, id); b != nil && b.Proposer == n.node(censor).id {
		n.t.Errorf("the censoring node-%d proposed the censored transaction (block %d): the seam did not censor", censor, b.Height)
	}
	return took, views
}

// maxCensorViews bounds the view changes a censored transaction may
// take with one censoring leader: one to depose it, one more allowed for
// a view change the loaded machine may cause on its own.
const maxCensorViews = 2

// blockOf returns the block that holds transaction id on node i.
func (n *network) blockOf(i int, id string) *chain.BlockJSON {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	tx, err := n.node(i).c.Tx(ctx, id)
	if err != nil || tx.Height == nil {
		return nil
	}
	b, err := n.block(i, *tx.Height)
	if err != nil {
		return nil
	}
	return b
}
