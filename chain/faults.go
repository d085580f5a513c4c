package chain

// FaultsTolerated is how many of n validators a chain on engine may lose
// and still commit: for raft, crashed ones, the largest f with n ≥ 2f+1
// (a majority stays); for BFT, crashed or Byzantine ones, the largest f
// with n ≥ 3f+1 (SmartBFT's f = (n−1)/3). A fifth BFT validator adds
// messages and signatures but no tolerance: 4 and 5 both tolerate one.
func FaultsTolerated(engine string, n int) int {
	if n < 1 {
		return 0
	}
	if engine == ConsensusBFT {
		return (n - 1) / 3
	}
	return (n - 1) / 2
}
