package node

import (
	"net"
	"slices"
	"testing"
)

// TestInitLocalHosts: with LocalOptions.Hosts every node listens on its
// own host (gossip, raft, API), its seeds and the validator list name the
// others' hosts, and a host list of the wrong length is refused.
func TestInitLocalHosts(t *testing.T) {
	hosts := []string{"10.213.0.11", "10.213.0.12", "10.213.0.13"}
	l, err := InitLocal(t.TempDir(), LocalOptions{Nodes: 3, Hosts: hosts})
	if err != nil {
		t.Fatal(err)
	}
	host := func(addr string) string {
		h, _, err := net.SplitHostPort(addr)
		if err != nil {
			t.Fatalf("address %q: %v", addr, err)
		}
		return h
	}
	for i := 1; i <= 3; i++ {
		cfg, err := ReadConfig(ConfigPath(l, i))
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range []string{cfg.GossipAddr, cfg.RaftAddr, cfg.APIAddr} {
			if host(a) != hosts[i-1] {
				t.Errorf("node %d listens on %s, want host %s", i, a, hosts[i-1])
			}
		}
		var seeds []string
		for _, s := range cfg.Seeds {
			seeds = append(seeds, host(s))
		}
		if want := slices.DeleteFunc(slices.Clone(hosts), func(h string) bool { return h == hosts[i-1] }); !slices.Equal(seeds, want) {
			t.Errorf("node %d seeds on %v, want %v", i, seeds, want)
		}
		for k, v := range cfg.Validators {
			if host(v.RaftAddr) != hosts[k] {
				t.Errorf("node %d: validator %s at %s, want host %s", i, v.ID, v.RaftAddr, hosts[k])
			}
		}
	}
	if _, err := InitLocal(t.TempDir(), LocalOptions{Nodes: 3, Hosts: hosts[:2]}); err == nil {
		t.Error("2 hosts for 3 nodes: no error")
	}
}
