package node

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestInitLocalBasePort: with BasePort, node i's API, gossip and raft are
// on base+10i, +1, +2; a port in use is refused before anything is
// written.
func TestInitLocalBasePort(t *testing.T) {
	// A base whose 6 ports are free now: the kernel's free port p, as
	// node-1's API (base p-10), retried if a neighbour is taken.
	var base int
	var l interface{ NodeDir(int) string }
	dir := filepath.Join(t.TempDir(), "net")
	for try := 0; ; try++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		base = ln.Addr().(*net.TCPAddr).Port - 10
		ln.Close()
		lay, err := InitLocal(dir, LocalOptions{Nodes: 2, BasePort: base})
		if err == nil {
			l = lay
			break
		}
		if !strings.Contains(err.Error(), "is in use") || try > 20 {
			t.Fatal(err)
		}
	}
	for i := 1; i <= 2; i++ {
		cfg, err := ReadConfig(filepath.Join(l.NodeDir(i), "node.toml"))
		if err != nil {
			t.Fatal(err)
		}
		at := func(k int) string { return "127.0.0.1:" + strconv.Itoa(base+10*i+k) }
		if cfg.APIAddr != at(0) || cfg.GossipAddr != at(1) || cfg.RaftAddr != at(2) {
			t.Fatalf("node-%d: api %s gossip %s raft %s, want base %d", i, cfg.APIAddr, cfg.GossipAddr, cfg.RaftAddr, base)
		}
	}
	// node-2's raft port taken: refused, naming it, nothing written.
	busy, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(base+22))
	if err != nil {
		t.Skipf("port %d taken meanwhile: %v", base+22, err)
	}
	defer busy.Close()
	dir2 := filepath.Join(t.TempDir(), "net2")
	_, err = InitLocal(dir2, LocalOptions{Nodes: 2, BasePort: base})
	if err == nil || !strings.Contains(err.Error(), "node-2's raft") || !strings.Contains(err.Error(), strconv.Itoa(base+22)) {
		t.Fatalf("port in use: %v", err)
	}
	if _, err := os.Stat(dir2); !os.IsNotExist(err) {
		t.Fatalf("%s written despite the refusal: %v", dir2, err)
	}
}
