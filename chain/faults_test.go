package chain

import "testing"

// TestFaultsTolerated checks FaultsTolerated against its definition:
// the largest f whose faulty validators leave a quorum that still
// intersects in an honest one (raft: n ≥ 2f+1, BFT: n ≥ 3f+1).
func TestFaultsTolerated(t *testing.T) {
	for _, c := range []struct {
		engine string
		per    int // validators needed per tolerated fault
	}{{ConsensusRaft, 2}, {"", 2}, {ConsensusBFT, 3}} {
		for n := 0; n <= 22; n++ {
			want := 0
			for f := 0; c.per*f+1 <= n; f++ {
				want = f
			}
			if got := FaultsTolerated(c.engine, n); got != want {
				t.Errorf("FaultsTolerated(%q, %d) = %d, want %d", c.engine, n, got, want)
			}
		}
	}
}
