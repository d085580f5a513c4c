package faults

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/veilchain/veil/api"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/client"
	"github.com/veilchain/veil/genesis"
	"github.com/veilchain/veil/groupsig"
	"github.com/veilchain/veil/node"
)

var (
	roundsFlag = flag.Int("rounds", 0, "fault rounds per test: 1 is the short form, 3 the long one (default $VEIL_FAULT_ROUNDS, else 1)")
	strictFlag = flag.Bool("strict", true, "also fail on node bugs that lose and fork nothing: committed transactions left in a mempool or proposed again (-strict=false to only report them)")
	seedFlag   = flag.Uint64("seed", 0, "seed of the random kill moments (default: from the clock; the test logs it)")
)

// rounds is how many times each fault is repeated: 1 (the short form, the
// default and always with -short) unless -rounds or VEIL_FAULT_ROUNDS
// says otherwise.
func rounds() int {
	if testing.Short() {
		return 1
	}
	if *roundsFlag > 0 {
		return *roundsFlag
	}
	if n, err := strconv.Atoi(os.Getenv("VEIL_FAULT_ROUNDS")); err == nil && n > 0 {
		return n
	}
	return 1
}

// builtBinary is a veil binary built once per test run (with build tags
// or without), into a directory TestMain removes.
type builtBinary struct {
	once      sync.Once
	tags      string
	dir, path string
	err       error
}

var (
	veilBin = &builtBinary{}
	// byzBin is built with -tags veil_byzantine: package bft's test seam
	// (bft/byzantine.go), which VEIL_BFT_BYZANTINE turns on in a node.
	byzBin = &builtBinary{tags: "veil_byzantine"}
)

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	for _, b := range []*builtBinary{veilBin, byzBin} {
		if b.dir != "" {
			os.RemoveAll(b.dir)
		}
	}
	os.Exit(code)
}

func (b *builtBinary) build(t *testing.T) string {
	t.Helper()
	b.once.Do(func() {
		if b.dir, b.err = os.MkdirTemp("", "veil-faults-bin-"); b.err != nil {
			return
		}
		b.path = filepath.Join(b.dir, "veil")
		args := []string{"build", "-o", b.path}
		if b.tags != "" {
			args = append(args, "-tags", b.tags)
		}
		out, err := exec.Command("go", append(args, "../cmd/veil")...).CombinedOutput()
		if err != nil {
			b.err = fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

func veilBinary(t *testing.T) string { t.Helper(); return veilBin.build(t) }

// byzantineBinary is the veil binary with the Byzantine test seam.
func byzantineBinary(t *testing.T) string { t.Helper(); return byzBin.build(t) }

// ---- one node process ----

type procState int

const (
	stopped procState = iota
	running
	paused
)

// nodeProc is one `veil node start` process (or none, while stopped).
type nodeProc struct {
	idx    int
	id     string // node-N
	config string
	url    string
	log    string
	c      *client.Client
	// bin and env, if set, are the binary the next start runs (default
	// the plain veil binary) and the variables added to its environment.
	bin string
	env []string

	mu      sync.Mutex
	state   procState
	cmd     *exec.Cmd
	exited  chan struct{} // closed when the current process has exited
	exitErr error
	starts  int
	kills   []time.Time // when each SIGKILL was sent
}

func (p *nodeProc) is(s procState) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state == s
}

// killedWithin reports whether the node was SIGKILLed in [at, at+d].
func (p *nodeProc) killedWithin(at time.Time, d time.Duration) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, k := range p.kills {
		if !k.Before(at) && k.Sub(at) <= d {
			return true
		}
	}
	return false
}

func (p *nodeProc) everKilled() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.kills) > 0
}

// ---- a local network of node processes ----

type netOptions struct {
	Nodes, Validators int
	Groups            []string
	BlockInterval     time.Duration // default 150 ms
	RaftLogBytes      uint64        // raft log bytes kept before a snapshot compacts it (0: the node's default)
	OpsPorts          bool          // an operations port (TLS) for each node (LocalOptions.OpsPorts)
	// Consensus is the genesis's ordering engine (LocalOptions.Consensus):
	// "" or chain.ConsensusRaft, or chain.ConsensusBFT.
	Consensus string
	// Proc, if set, sets a node's binary and environment before its
	// first start (nodeProc.bin, nodeProc.env).
	Proc func(p *nodeProc)

	// Tweak is the last change to each node's config (c.NodeID says which).
	Tweak func(*node.Config)
	// Sandbox, if set, runs each node in a place of its own (netLab: a
	// network namespace): its listen host, its process, its API client.
	Sandbox sandbox
}

// sandbox places node i: the host it listens on, the command that runs
// its process, the client that reaches its API.
type sandbox interface {
	Host(i int) string
	Command(i int, name string, args ...string) *exec.Cmd
	Client(i int, url string) *client.Client
}

type network struct {
	t             *testing.T
	layout        *genesis.Layout
	nodes         []*nodeProc // nodes[i-1] is node i
	chainID       string
	validators    int
	consensus     string // chain.ConsensusRaft or chain.ConsensusBFT
	blockInterval time.Duration
	height        atomic.Uint64 // highest height seen on any node (for tx expiry)
	issuers       map[string]*groupIssuer
	sandbox       sandbox // nil: loopback
}

// startNetwork creates a local network (node.InitLocal, fast timing) in a
// temporary directory, starts one process per node and waits until every
// node knows the same leader. Every process is SIGKILLed in t.Cleanup,
// whatever happened.
func startNetwork(t *testing.T, opt netOptions) *network {
	t.Helper()
	veilBinary(t)
	dir := t.TempDir()
	if opt.BlockInterval == 0 {
		opt.BlockInterval = 150 * time.Millisecond
	}
	if opt.Consensus == "" {
		opt.Consensus = chain.ConsensusRaft
	}
	if opt.Validators == 0 {
		opt.Validators = node.DefaultValidators(opt.Nodes)
		if opt.Consensus == chain.ConsensusBFT {
			opt.Validators = node.DefaultBFTValidators(opt.Nodes)
		}
	}
	var hosts []string
	for i := 1; opt.Sandbox != nil && i <= opt.Nodes; i++ {
		hosts = append(hosts, opt.Sandbox.Host(i))
	}
	l, err := node.InitLocal(dir, node.LocalOptions{Nodes: opt.Nodes, Validators: opt.Validators, Groups: opt.Groups, Timing: "fast", Hosts: hosts, OpsPorts: opt.OpsPorts, Consensus: opt.Consensus,
		Tweak: func(c *node.Config) {
			c.BlockInterval = node.Duration{Duration: opt.BlockInterval}
			c.LogLevel = "info"
			if lv := os.Getenv("VEIL_FAULTS_LOG_LEVEL"); lv != "" {
				c.LogLevel = lv // e.g. info:bft=debug, to look into a run
			}
			if opt.RaftLogBytes > 0 {
				c.RaftLogBytes = opt.RaftLogBytes
			}
			if opt.Tweak != nil {
				opt.Tweak(c)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	n := &network{t: t, layout: l, chainID: "veil-local", validators: opt.Validators, consensus: opt.Consensus, blockInterval: opt.BlockInterval, sandbox: opt.Sandbox}
	for i := 1; i <= opt.Nodes; i++ {
		cfg, err := node.ReadConfig(node.ConfigPath(l, i))
		if err != nil {
			t.Fatal(err)
		}
		url := "http://" + cfg.APIAddr
		c := client.New(url)
		if opt.Sandbox != nil {
			c = opt.Sandbox.Client(i, url)
		}
		p := &nodeProc{idx: i, id: l.NodeID(i), config: node.ConfigPath(l, i), url: url,
			log: filepath.Join(l.NodeDir(i), "node.log"), c: c}
		if opt.Proc != nil {
			opt.Proc(p)
		}
		n.nodes = append(n.nodes, p)
	}
	t.Cleanup(n.cleanup)
	for i := 1; i <= opt.Nodes; i++ {
		n.start(i)
	}
	start := time.Now()
	n.eventually(60*time.Second, "network forms (every node knows the same leader and all its peers)", func() (bool, string) {
		leader := ""
		for _, p := range n.nodes {
			st, err := n.status(p.idx, time.Second)
			if err != nil {
				return false, fmt.Sprintf("%s: %v", p.id, err)
			}
			if st.Peers != opt.Nodes-1 {
				return false, fmt.Sprintf("%s: %d peers", p.id, st.Peers)
			}
			if followsWithoutLeader(st) {
				continue
			}
			if st.Leader == "" || (leader != "" && st.Leader != leader) {
				return false, fmt.Sprintf("%s: leader %q", p.id, st.Leader)
			}
			leader = st.Leader
		}
		return leader != "", "no validator names a leader"
	})
	t.Logf("network of %d nodes (%d validators, %s) formed in %v", opt.Nodes, opt.Validators, opt.Consensus, time.Since(start).Round(time.Millisecond))
	return n
}

func (n *network) node(i int) *nodeProc { return n.nodes[i-1] }

// start starts node i's process; its output is appended to its log file.
func (n *network) start(i int) {
	n.t.Helper()
	p := n.node(i)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state != stopped {
		n.t.Fatalf("start %s: it is running", p.id)
	}
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		n.t.Fatal(err)
	}
	p.starts++
	fmt.Fprintf(f, "\n=== faults: start #%d of %s at %s\n", p.starts, p.id, time.Now().Format(time.RFC3339Nano))
	bin := veilBin.path
	if p.bin != "" {
		bin = p.bin
	}
	cmd := exec.Command(bin, "node", "start", "--config", p.config)
	if n.sandbox != nil {
		cmd = n.sandbox.Command(i, bin, "node", "start", "--config", p.config)
	}
	if len(p.env) > 0 {
		cmd.Env = append(os.Environ(), p.env...)
		fmt.Fprintf(f, "=== faults: %s, environment %v\n", bin, p.env)
	}
	cmd.Stdout, cmd.Stderr = f, f
	// If this test process dies without its cleanups (a panic, a -timeout),
	// the kernel kills the node too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		n.t.Fatalf("start %s: %v", p.id, err)
	}
	exited := make(chan struct{})
	p.cmd, p.exited, p.exitErr, p.state = cmd, exited, nil, running
	go func() {
		err := cmd.Wait()
		f.Close()
		p.mu.Lock()
		p.exitErr = err
		p.mu.Unlock()
		close(exited)
	}()
}

// signal sends sig to node i's process and moves it to state to.
func (n *network) signal(i int, sig syscall.Signal, to procState) (time.Time, chan struct{}) {
	n.t.Helper()
	n.checkAlive()
	p := n.node(i)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state == stopped {
		n.t.Fatalf("%v %s: it is not running", sig, p.id)
	}
	at := time.Now()
	if err := p.cmd.Process.Signal(sig); err != nil {
		n.t.Fatalf("%v %s: %v", sig, p.id, err)
	}
	p.state = to
	if sig == syscall.SIGKILL {
		p.kills = append(p.kills, at)
	}
	return at, p.exited
}

func waitExit(t *testing.T, p *nodeProc, exited chan struct{}, d time.Duration) {
	t.Helper()
	select {
	case <-exited:
	case <-time.After(d):
		t.Fatalf("%s did not exit within %v", p.id, d)
	}
}

// kill SIGKILLs node i (paused or not) and waits until the process is gone.
func (n *network) kill(i int) time.Time {
	n.t.Helper()
	at, exited := n.signal(i, syscall.SIGKILL, stopped)
	waitExit(n.t, n.node(i), exited, 10*time.Second)
	return at
}

// pause freezes node i (SIGSTOP); resume thaws it (SIGCONT).
func (n *network) pause(i int) time.Time {
	at, _ := n.signal(i, syscall.SIGSTOP, paused)
	return at
}

func (n *network) resume(i int) time.Time {
	at, _ := n.signal(i, syscall.SIGCONT, running)
	return at
}

// cleanup SIGKILLs every process still alive and waits for it; on failure
// it keeps the node logs and prints their tails.
func (n *network) cleanup() {
	for _, p := range n.nodes {
		p.mu.Lock()
		exited := p.exited
		if p.cmd != nil && exited != nil {
			select {
			case <-exited:
			default:
				_ = p.cmd.Process.Signal(syscall.SIGKILL)
			}
		}
		p.state = stopped
		p.mu.Unlock()
		if exited != nil {
			select {
			case <-exited:
			case <-time.After(10 * time.Second):
				n.t.Errorf("%s (pid %d) did not exit after SIGKILL", p.id, p.cmd.Process.Pid)
			}
		}
	}
	if n.t.Failed() || os.Getenv("VEIL_FAULTS_KEEP_LOGS") != "" {
		n.keepLogs()
	}
}

// keepLogs copies the node logs out of the temporary directory and logs
// the tail of each.
func (n *network) keepLogs() {
	name := strings.NewReplacer("/", "_", " ", "_").Replace(n.t.Name())
	dir, err := os.MkdirTemp("", "veil-faults-"+name+"-")
	if err != nil {
		return
	}
	for _, p := range n.nodes {
		b, _ := os.ReadFile(p.log)
		_ = os.WriteFile(filepath.Join(dir, p.id+".log"), b, 0o644)
		n.t.Logf("---- tail of %s's log ----\n%s", p.id, tail(b, 25))
	}
	n.t.Logf("node logs kept in %s", dir)
}

func tail(b []byte, lines int) string {
	s := strings.TrimRight(string(b), "\n")
	parts := strings.Split(s, "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}

// logSince returns node i's log from its latest start on.
func (n *network) logSince(i int) string {
	p := n.node(i)
	b, _ := os.ReadFile(p.log)
	s := string(b)
	if k := strings.LastIndex(s, "\n=== faults: start #"); k >= 0 {
		s = s[k:]
	}
	return s
}

// checkAlive fails the test at once if a node process that should be
// running or paused has exited (a crash, a panic, a refused start).
func (n *network) checkAlive() {
	n.t.Helper()
	for _, p := range n.nodes {
		p.mu.Lock()
		st, exited, exitErr := p.state, p.exited, p.exitErr
		p.mu.Unlock()
		if st == stopped || exited == nil {
			continue
		}
		select {
		case <-exited:
			p.mu.Lock()
			exitErr = p.exitErr
			p.state = stopped
			p.mu.Unlock()
			log := n.logSince(p.idx)
			why := "NODE BUG?"
			if strings.Contains(log, "address already in use") {
				why = "another process took one of its ports while it was down (not a node bug):"
			}
			n.t.Fatalf("%s %s exited on its own (%v); its log since its last start:\n%s", why, p.id, exitErr, tail([]byte(log), 40))
		default:
		}
	}
}

// eventually polls cond until it holds, failing the test with cond's last
// observation after timeout, or at once if a node process died.
func (n *network) eventually(timeout time.Duration, what string, cond func() (bool, string)) {
	n.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		n.checkAlive()
		ok, obs := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			n.t.Fatalf("%s: not within %v; last seen: %s", what, timeout, obs)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// ---- reading the nodes ----

func (n *network) status(i int, timeout time.Duration) (*api.Status, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	st, err := n.node(i).c.Status(ctx)
	if err == nil {
		n.seeHeight(st.Height)
	}
	return st, err
}

func (n *network) seeHeight(h uint64) {
	for {
		cur := n.height.Load()
		if h <= cur || n.height.CompareAndSwap(cur, h) {
			return
		}
	}
}

func (n *network) block(i int, h uint64) (*chain.BlockJSON, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return n.node(i).c.Block(ctx, h)
}

// running lists the nodes whose process runs (not stopped, not paused).
func (n *network) running() []int {
	var out []int
	for _, p := range n.nodes {
		if p.is(running) {
			out = append(out, p.idx)
		}
	}
	return out
}

func (n *network) all() []int {
	var out []int
	for _, p := range n.nodes {
		out = append(out, p.idx)
	}
	return out
}

func (n *network) index(id string) int {
	for _, p := range n.nodes {
		if p.id == id {
			return p.idx
		}
	}
	return 0
}

func without(s []int, x int) []int {
	return slices.DeleteFunc(slices.Clone(s), func(v int) bool { return v == x })
}

// followsWithoutLeader reports whether a node's status may name no
// leader: an observer of a BFT chain runs no engine (it follows by block
// sync), so it knows no view. On raft every node knows the leader.
func followsWithoutLeader(st *api.Status) bool {
	return st.Consensus == chain.ConsensusBFT && st.Role == node.RoleObserver && st.Leader == ""
}

// leader waits until every running node names the same leader (the raft
// leader, or the BFT view's leader; BFT observers that name none aside),
// and returns it.
func (n *network) leader() int {
	n.t.Helper()
	var leader string
	n.eventually(60*time.Second, "every running node names the same leader", func() (bool, string) {
		leader = ""
		for _, i := range n.running() {
			st, err := n.status(i, time.Second)
			if err != nil {
				return false, fmt.Sprintf("node-%d: %v", i, err)
			}
			if followsWithoutLeader(st) {
				continue
			}
			if st.Leader == "" || (leader != "" && st.Leader != leader) {
				return false, fmt.Sprintf("node-%d names %q, another %q", i, st.Leader, leader)
			}
			leader = st.Leader
		}
		return n.index(leader) > 0 && n.node(n.index(leader)).is(running), "leader " + leader
	})
	return n.index(leader)
}

// followers are the running validators that do not lead, in index order.
func (n *network) followers(leader int) []int {
	var out []int
	for _, i := range n.running() {
		if i != leader && i <= n.validators {
			out = append(out, i)
		}
	}
	return out
}

// waitNewLeader waits until one of among leads (by its own status) and is
// not old, and returns it with the time elapsed since since: the
// re-election time. It then waits until the nodes of among agree.
func (n *network) waitNewLeader(old int, since time.Time, among []int) (int, time.Duration) {
	n.t.Helper()
	var leader int
	var took time.Duration
	n.eventually(60*time.Second, fmt.Sprintf("a new leader after node-%d", old), func() (bool, string) {
		obs := ""
		for _, i := range among {
			st, err := n.status(i, 500*time.Millisecond)
			if err != nil {
				obs += fmt.Sprintf(" node-%d: %v;", i, err)
				continue
			}
			if st.Leader != "" && st.Leader == st.NodeID && i != old {
				leader, took = i, time.Since(since)
				return true, ""
			}
			obs += fmt.Sprintf(" node-%d names %q;", i, st.Leader)
		}
		return false, obs
	})
	// Then every node of among must follow one leader among them (on a
	// loaded machine leadership may move once more meanwhile).
	n.eventually(60*time.Second, "every node names one leader", func() (bool, string) {
		named := ""
		for _, i := range among {
			st, err := n.status(i, time.Second)
			if err == nil && followsWithoutLeader(st) {
				continue
			}
			if err != nil || st.Leader == "" || (named != "" && st.Leader != named) || !slices.Contains(among, n.index(st.Leader)) {
				return false, fmt.Sprintf("node-%d: %v %v", i, st, err)
			}
			named = st.Leader
		}
		return named != "", "no node names a leader"
	})
	return leader, took
}

// waitProgress waits until every node of among has committed at least
// blocks more blocks than the highest of them had at the call.
func (n *network) waitProgress(among []int, blocks uint64) {
	n.t.Helper()
	var h0 uint64
	for _, i := range among {
		if st, err := n.status(i, 2*time.Second); err == nil {
			h0 = max(h0, st.Height)
		}
	}
	n.eventually(60*time.Second, fmt.Sprintf("nodes %v commit %d blocks past %d", among, blocks, h0), func() (bool, string) {
		for _, i := range among {
			st, err := n.status(i, time.Second)
			if err != nil || st.Height < h0+blocks {
				return false, fmt.Sprintf("node-%d: %v %v", i, st, err)
			}
		}
		return true, ""
	})
}

// highestBlock returns the highest height any node of ref answers with,
// that node and its block there: what a node catching up must reach.
func (n *network) highestBlock(ref []int) (uint64, int, *chain.BlockJSON) {
	n.t.Helper()
	var target uint64
	var refNode int
	for _, r := range ref {
		if st, err := n.status(r, 2*time.Second); err == nil && st.Height >= target {
			target, refNode = st.Height, r
		}
	}
	if refNode == 0 {
		n.t.Fatalf("no node of %v answers", ref)
	}
	want, err := n.block(refNode, target)
	if err != nil {
		n.t.Fatalf("block %d of node-%d: %v", target, refNode, err)
	}
	return target, refNode, want
}

// waitCaughtUp waits until node i reaches the height the reference nodes
// had at the call, with the same block hash there, and returns how long
// that took.
func (n *network) waitCaughtUp(i int, ref []int) time.Duration {
	n.t.Helper()
	start := time.Now()
	target, refNode, want := n.highestBlock(ref)
	n.eventually(90*time.Second, fmt.Sprintf("node-%d catches up to height %d", i, target), func() (bool, string) {
		st, err := n.status(i, time.Second)
		if err != nil || st.Height < target {
			return false, fmt.Sprintf("%v %v", st, err)
		}
		b, err := n.block(i, target)
		if err != nil {
			return false, err.Error()
		}
		if b.Hash != want.Hash {
			n.t.Errorf("FORK: node-%d has block %d hash %s, node-%d has %s", i, target, b.Hash, refNode, want.Hash)
		}
		return true, ""
	})
	return time.Since(start)
}

// settle waits until every node of among has the same height and head
// hash, and empty mempools. If the heads agree and stay put but some
// mempool does not empty for staleAfter, it stops waiting: those entries
// can never commit (see verify). It reports what it saw last.
func (n *network) settle(among []int, timeout time.Duration) (same bool, mempool map[int]int, obs string) {
	const staleAfter = 5 * time.Second
	deadline := time.Now().Add(timeout)
	var stuckSince time.Time
	var stuckHead string
	for {
		n.checkAlive()
		var head string
		same, head, mempool, obs = n.sameHead(among)
		waiting := 0
		for _, m := range mempool {
			waiting += m
		}
		switch {
		case same && waiting == 0:
			return true, mempool, obs
		case same && head == stuckHead:
			if time.Since(stuckSince) > staleAfter {
				return true, mempool, obs
			}
		case same:
			stuckSince, stuckHead = time.Now(), head
		}
		if time.Now().After(deadline) {
			return false, mempool, obs
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// sameHead reports whether the nodes report one height and head hash, and
// each node's mempool size.
func (n *network) sameHead(among []int) (same bool, head string, mempool map[int]int, obs string) {
	var parts []string
	mempool = map[int]int{}
	same = true
	for _, i := range among {
		st, err := n.status(i, 2*time.Second)
		if err != nil {
			return false, "", mempool, fmt.Sprintf("node-%d: %v", i, err)
		}
		parts = append(parts, fmt.Sprintf("node-%d h=%d %.8s mempool=%d", i, st.Height, st.HeadHash, st.Mempool))
		key := fmt.Sprintf("%d/%s", st.Height, st.HeadHash)
		if head != "" && key != head {
			same = false
		}
		head = key
		mempool[i] = st.Mempool
	}
	return same, head, mempool, strings.Join(parts, ", ")
}

// ---- members and admin transactions ----

// groupIssuer is a group's issuer as the tests run it: its issuer key and
// registry (loaded from the layout once, then kept in memory) and its
// admin key.
type groupIssuer struct {
	ik  *groupsig.IssuerKey
	reg *groupsig.Registry
}

func (n *network) issuer(group string) *groupIssuer {
	n.t.Helper()
	if is := n.issuers[group]; is != nil {
		return is
	}
	is := &groupIssuer{}
	var err error
	if is.ik, is.reg, err = n.layout.GroupDir(group).Load(); err != nil {
		n.t.Fatal(err)
	}
	if n.issuers == nil {
		n.issuers = map[string]*groupIssuer{}
	}
	n.issuers[group] = is
	return is
}

// addMembers has members join group by transaction, as real members do:
// each makes an identity key, gets a member certificate from the chain CA
// and posts a join request signed by that key; once the requests are
// committed the issuer answers each from its registry, and once the
// responses are committed each member finishes its key. It returns the
// members' key files, each with the group key of its epoch.
func (n *network) addMembers(group string, labels ...string) []*groupsig.MemberFile {
	n.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ca, err := genesis.LoadCA(n.layout.CACert(), n.layout.CAKey())
	if err != nil {
		n.t.Fatal(err)
	}
	c := n.node(n.running()[0]).c
	gk, ip, op, err := c.GroupOrigin(ctx, group)
	if err != nil {
		n.t.Fatal(err)
	}
	var reqs []*groupsig.JoinRequest
	var secrets []*groupsig.JoinSecret
	var ids []string
	for _, label := range labels {
		pub, id, _ := ed25519.GenerateKey(rand.Reader)
		certPEM, err := ca.IssueMember("org-"+label, label, pub, 0, rand.Reader)
		if err != nil {
			n.t.Fatal(err)
		}
		cert, err := genesis.ParseCertificatePEM(certPEM)
		if err != nil {
			n.t.Fatal(err)
		}
		req, js, err := groupsig.NewJoinRequest(gk, ip, op, label, id, rand.Reader)
		if err != nil {
			n.t.Fatal(err)
		}
		reqb, _ := req.MarshalBinary()
		reqs, secrets = append(reqs, req), append(secrets, js)
		ids = append(ids, n.submitAdmin(&chain.Tx{Kind: chain.KindJoinRequest, Group: group, JoinRequest: reqb, MemberCert: cert.Raw}, id))
	}
	n.waitTxsCommitted(ids)
	is := n.issuer(group)
	admin := n.adminKey(group)
	var resps []*groupsig.JoinResponse
	ids = ids[:0]
	for _, req := range reqs {
		resp, err := is.reg.Issue(is.ik, req, rand.Reader)
		if err != nil {
			n.t.Fatal(err)
		}
		respb, _ := resp.MarshalBinary()
		resps = append(resps, resp)
		ids = append(ids, n.submitAdmin(&chain.Tx{Kind: chain.KindJoinResponse, Group: group, JoinResponse: respb}, admin))
	}
	n.waitTxsCommitted(ids)
	var out []*groupsig.MemberFile
	for k, js := range secrets {
		mk, err := js.Finish(resps[k])
		if err != nil {
			n.t.Fatal(err)
		}
		gke, err := c.GroupKey(ctx, group, mk.Epoch())
		if err != nil {
			n.t.Fatal(err)
		}
		out = append(out, &groupsig.MemberFile{Key: mk, Label: labels[k], Group: gke})
	}
	return out
}

// revoke revokes label in group on chain: the issuer's registry makes the
// authenticated revocation record (re-issuing every remaining member) and
// a KindRevokeMember transaction publishes it.
func (n *network) revoke(group, label string) {
	n.t.Helper()
	is := n.issuer(group)
	rec, err := is.reg.Revoke(is.ik, []string{label}, rand.Reader)
	if err != nil {
		n.t.Fatal(err)
	}
	enc, err := rec.MarshalBinary()
	if err != nil {
		n.t.Fatal(err)
	}
	n.waitTxsCommitted([]string{n.submitAdmin(&chain.Tx{Kind: chain.KindRevokeMember, Group: group, Revocation: enc}, n.adminKey(group))})
}

// updateMembers brings member key files to the group's current epoch from
// a running node's chain state (its revocation records), as members do.
func (n *network) updateMembers(group string, mfs []*groupsig.MemberFile) []*groupsig.MemberFile {
	n.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out := make([]*groupsig.MemberFile, len(mfs))
	for k, mf := range mfs {
		up, err := n.node(n.running()[0]).c.UpdateMemberKey(ctx, group, mf)
		if err != nil {
			n.t.Fatalf("update %s's key: %v", mf.Label, err)
		}
		out[k] = up
	}
	return out
}

func (n *network) adminKey(group string) ed25519.PrivateKey {
	n.t.Helper()
	key, err := genesis.ReadPrivateKey(n.layout.GroupAdminKey(group))
	if err != nil {
		n.t.Fatal(err)
	}
	return key
}

// submitAdmin fills chain id, expiry and nonce, signs tx with key and
// submits it to a running node.
func (n *network) submitAdmin(tx *chain.Tx, key ed25519.PrivateKey) string {
	n.t.Helper()
	i := n.running()[0]
	st, err := n.status(i, 5*time.Second)
	if err != nil {
		n.t.Fatal(err)
	}
	tx.ChainID, tx.Expiry = st.ChainID, st.Height+100
	if tx.Nonce, err = chain.NewNonce(rand.Reader); err != nil {
		n.t.Fatal(err)
	}
	if err := tx.SignAdmin(key); err != nil {
		n.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	id, err := n.node(i).c.Submit(ctx, tx)
	if err != nil {
		n.t.Fatalf("submit %s transaction: %v", tx.Kind, err)
	}
	return id
}

// waitTxsCommitted waits until a running node reports every id committed.
func (n *network) waitTxsCommitted(ids []string) {
	n.t.Helper()
	n.eventually(60*time.Second, fmt.Sprintf("%d transactions commit", len(ids)), func() (bool, string) {
		i := n.running()[0]
		for _, id := range ids {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			tx, err := n.node(i).c.Tx(ctx, id)
			cancel()
			if err != nil || tx.Status != "committed" {
				return false, fmt.Sprintf("%s on node-%d: %v %v", id, i, tx, err)
			}
		}
		return true, ""
	})
}
