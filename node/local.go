package node

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/genesis"
)

// LocalOptions describes a local network on this machine: on loopback,
// or on the hosts Hosts gives.
type LocalOptions struct {
	ChainID string
	Nodes   int
	Groups  []string
	// Members founds every group with these members (labels), each joined
	// on its own key (genesis.InitOptions.Members).
	Members []string
	// Validators is how many of the nodes vote; 0 picks the default: all
	// of up to 3 nodes, 3 of 4, 5 of 5 or more (4 voters tolerate one
	// failure, like 3). The others are observers.
	Validators int
	Timing     string // "fast" (default for local networks) or "lan"
	// Hosts, if set, gives node i the listen host Hosts[i-1] for gossip,
	// raft and API instead of 127.0.0.1: an address that exists only in
	// that node's own network namespace (the fault tests' partitions).
	// Ports are picked as usual; a fresh namespace has all of them free.
	Hosts []string
	// BasePort, if set, fixes the ports instead of asking the kernel for
	// free ones: node i serves its API on BasePort+10·i, gossip on
	// BasePort+10·i+1, raft on BasePort+10·i+2 and (OpsPorts) its
	// operations port on BasePort+10·i+3 (base 7000: node-1's API on
	// 7010, node-2's on 7020), so that a person's commands and the README
	// name the same ports every time. Each is checked free first.
	BasePort int
	// OpsPorts gives each node an operations port of its own (ops_addr,
	// TLS with its node certificate); else the operations routes stay on
	// the API's port.
	OpsPorts bool
	// APITLS serves each node's API over TLS with its node certificate
	// (api_tls): clients trust the chain CA, DIR/ca/ca.crt.
	APITLS bool
	// Consensus is the genesis's ordering engine: chain.ConsensusRaft
	// ("" too) or chain.ConsensusBFT.
	Consensus string
	Tweak     func(*Config)
}

// DefaultValidators is the number of voters for a network of n nodes.
func DefaultValidators(n int) int {
	switch {
	case n <= 3:
		return n
	case n < 5:
		return 3
	default:
		return 5
	}
}

// DefaultBFTValidators is the number of BFT validators for a network of n
// nodes: the largest 3f+1 up to n (4 of 4 to 6 nodes, 7 of 7 or more), or
// all of fewer than 4 (which tolerate no fault).
func DefaultBFTValidators(n int) int {
	switch {
	case n < 4:
		return n
	case n < 7:
		return 4
	default:
		return 7
	}
}

// ConfigPath is where InitLocal writes node i's configuration.
func ConfigPath(l *genesis.Layout, i int) string { return filepath.Join(l.NodeDir(i), "node.toml") }

// InitLocal creates a local network in dir: the genesis layout (CA, node
// certificates, groups, genesis.json) and one config file per node, on
// free loopback ports. If dir already holds a network it is loaded as is,
// so a network resumes from its data.
func InitLocal(dir string, opt LocalOptions) (*genesis.Layout, error) {
	if _, err := os.Stat(filepath.Join(dir, "genesis.json")); err == nil {
		return genesis.LoadLayout(dir)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if opt.Validators == 0 {
		opt.Validators = DefaultValidators(opt.Nodes)
		if opt.Consensus == chain.ConsensusBFT {
			opt.Validators = DefaultBFTValidators(opt.Nodes)
		}
	}
	if opt.ChainID == "" {
		opt.ChainID = "veil-local"
	}
	if opt.Timing == "" {
		opt.Timing = "fast"
	}
	if len(opt.Hosts) != 0 && len(opt.Hosts) != opt.Nodes {
		return nil, fmt.Errorf("local network: %d hosts for %d nodes", len(opt.Hosts), opt.Nodes)
	}
	// Ports before any file: a network whose ports are taken is not
	// half written.
	stride := 3 // gossip, raft, API (, operations)
	if opt.OpsPorts {
		stride = 4
	}
	var ports []int
	var err error
	if opt.BasePort > 0 {
		ports, err = basePorts(opt.BasePort, opt.Nodes, stride)
	} else {
		ports, err = freePorts(stride * opt.Nodes)
	}
	if err != nil {
		return nil, err
	}
	l, err := genesis.Init(dir, genesis.InitOptions{ChainID: opt.ChainID, Nodes: opt.Nodes, Validators: opt.Validators, Groups: opt.Groups, Members: opt.Members, Consensus: opt.Consensus})
	if err != nil {
		return nil, err
	}
	addr := func(i, k int) string {
		host := "127.0.0.1"
		if len(opt.Hosts) > 0 {
			host = opt.Hosts[i-1]
		}
		return net.JoinHostPort(host, strconv.Itoa(ports[stride*(i-1)+k]))
	}
	var vals []Peer
	for i := 1; i <= opt.Validators; i++ {
		vals = append(vals, Peer{ID: l.NodeID(i), RaftAddr: addr(i, 1)})
	}
	for i := 1; i <= opt.Nodes; i++ {
		cfg := DefaultConfig()
		cfg.NodeID = l.NodeID(i)
		cfg.DataDir = "data"
		cfg.Genesis = relTo(l.NodeDir(i), l.Genesis())
		cfg.Cert, cfg.Key, cfg.CA = "node.crt", "node.key", relTo(l.NodeDir(i), l.CACert())
		cfg.GossipAddr, cfg.RaftAddr, cfg.APIAddr = addr(i, 0), addr(i, 1), addr(i, 2)
		if opt.OpsPorts {
			cfg.OpsAddr = addr(i, 3)
		}
		cfg.APITLS = opt.APITLS
		for j := 1; j <= opt.Nodes; j++ {
			if j != i {
				cfg.Seeds = append(cfg.Seeds, addr(j, 0))
			}
		}
		cfg.Validators = vals
		cfg.Timing = opt.Timing
		if opt.Timing == "fast" {
			cfg.BlockInterval = Duration{200 * time.Millisecond}
		}
		if opt.Tweak != nil {
			opt.Tweak(&cfg)
		}
		if err := WriteConfig(ConfigPath(l, i), cfg); err != nil {
			return nil, err
		}
	}
	return l, nil
}

func relTo(base, target string) string {
	if r, err := filepath.Rel(base, target); err == nil {
		return r
	}
	return target
}

// freePorts asks the kernel for n distinct free loopback ports.
func freePorts(n int) ([]int, error) {
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	var out []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		lns = append(lns, ln)
		out = append(out, ln.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}

// basePorts lays out LocalOptions.BasePort's ports in InitLocal's order
// (gossip, raft, API and, with a stride of 4, operations per node), each
// checked free on loopback.
func basePorts(base, nodes, stride int) ([]int, error) {
	if base+10*nodes+3 > 65535 {
		return nil, fmt.Errorf("local network: base port %d leaves no room for %d nodes", base, nodes)
	}
	var out []int
	for i := 1; i <= nodes; i++ {
		for k, what := range []string{"gossip", "raft", "API", "operations"}[:stride] {
			p := base + 10*i + []int{1, 2, 0, 3}[k]
			ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
			if err != nil {
				return nil, fmt.Errorf("local network: port %d (node-%d's %s) is in use: pick another base port: %w", p, i, what, err)
			}
			ln.Close()
			out = append(out, p)
		}
	}
	return out, nil
}
