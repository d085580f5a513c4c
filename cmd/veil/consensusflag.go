package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/bft"
	"github.com/veilchain/veil/chain"
)

// consensusFlag is --consensus of genesis init and testnet up: the
// ordering engine genesis.json names (chain.ConsensusRaft or
// chain.ConsensusBFT). A value that is neither is refused as the flag is
// parsed, so nothing is written.
type consensusFlag struct{ engine *string }

func (f consensusFlag) String() string {
	if f.engine == nil {
		return ""
	}
	return *f.engine
}

func (f consensusFlag) Set(s string) error {
	if s != chain.ConsensusRaft && s != chain.ConsensusBFT {
		return fmt.Errorf("%q is neither %q nor %q", s, chain.ConsensusRaft, chain.ConsensusBFT)
	}
	*f.engine = s
	return nil
}

func (consensusFlag) Type() string { return "raft|bft" }

// registerConsensusFlag adds --consensus (default raft) into engine, with
// completion of its two values.
func registerConsensusFlag(cmd *cobra.Command, engine *string, when string) {
	*engine = chain.ConsensusRaft
	cmd.Flags().Var(consensusFlag{engine}, "consensus", "ordering engine, fixed at genesis"+when+`: "raft" (crash faults, f < n/2) or "bft" (SmartBFT: Byzantine faults, f < n/3, 3f+1 validators)`)
	_ = cmd.RegisterFlagCompletionFunc("consensus", cobra.FixedCompletions([]string{chain.ConsensusRaft, chain.ConsensusBFT}, cobra.ShellCompDirectiveNoFileComp))
}

// faultsTolerated is how many of n validators a chain on engine may lose
// and still commit: on BFT crashed or Byzantine ones, SmartBFT's f =
// ⌊(n−1)/3⌋ (bft.Quorum); on raft crashed ones, all but a majority.
func faultsTolerated(engine string, n int) int {
	if n < 1 {
		return 0
	}
	if engine == chain.ConsensusBFT {
		_, f := bft.Quorum(n)
		return f
	}
	return n - (n/2 + 1)
}

// describeValidators is how the CLI names a validator set: "4 validators
// (bft, f=1)", f being the faults it tolerates.
func describeValidators(engine string, n int) string {
	if engine == "" {
		engine = chain.ConsensusRaft
	}
	return fmt.Sprintf("%s (%s, f=%d)", plural(n, "validator"), engine, faultsTolerated(engine, n))
}

// describeNetwork is the roles of a network of nodes: "4 validators
// (bft, f=1), 1 observer".
func describeNetwork(engine string, nodes, validators int) string {
	s := describeValidators(engine, validators)
	if obs := nodes - validators; obs > 0 {
		s += ", " + plural(obs, "observer")
	}
	return s
}

// bftWarning is the warning for a BFT validator set of n that is not the
// 3f+1 it could be, or "": fewer than 4 tolerate no fault, and between
// two 3f+1 sizes a validator adds messages but no tolerance.
func bftWarning(engine string, n int) string {
	if engine != chain.ConsensusBFT {
		return ""
	}
	f := faultsTolerated(engine, n)
	switch {
	case n < 4:
		return fmt.Sprintf("a BFT chain of %s tolerates no fault (f=0): any validator down halts it; BFT needs 3f+1 validators, 4 for f=1", plural(n, "validator"))
	case n != 3*f+1:
		return fmt.Sprintf("a BFT chain of %d validators tolerates no more faults than one of %d (f=%d); %d would tolerate f=%d", n, 3*f+1, f, 3*f+4, f+1)
	}
	return ""
}
