package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/genesis"
	"github.com/veilchain/veil/node"
)

// A running testnet is one `veil testnet up` process, the supervisor,
// with one `veil node start` child per node. It keeps the network up when
// a node exits (and restarts it with --restart), and answers `veil testnet
// stop|start|status` on a unix socket in the testnet directory: DIR/
// testnet.sock, one JSON request and one JSON answer a connection. Each
// running node's pid is in DIR/nodes/node-N/node.pid (kill -9 it to
// try a crash); the file goes when the node exits.

// ctlSocket is the control socket of the testnet in dir.
func ctlSocket(dir string) string { return filepath.Join(dir, "testnet.sock") }

// ctlRequest is one request on the control socket.
type ctlRequest struct {
	Op   string `json:"op"`             // "stop", "start" or "status"
	Node string `json:"node,omitempty"` // "node-2" (stop, start)
}

// ctlReply is the answer to a ctlRequest.
type ctlReply struct {
	Error   string       `json:"error,omitempty"`
	Network *networkInfo `json:"network,omitempty"`
	Nodes   []nodeStatus `json:"nodes"`
}

// networkInfo is the testnet as its genesis.json made it.
type networkInfo struct {
	Consensus string `json:"consensus"` // "raft" or "bft"
	Nodes     int    `json:"nodes"`
	// Validators is the genesis validators (admin transactions change
	// the set later: 'veil validator list'), F the faults they tolerate
	// (faultsTolerated).
	Validators int `json:"validators"`
	F          int `json:"f"`
}

// String is "4 validators (bft, f=1), 1 observer at genesis".
func (n networkInfo) String() string {
	return describeNetwork(n.Consensus, n.Nodes, n.Validators) + " at genesis"
}

// nodeStatus is one node as the supervisor sees it.
type nodeStatus struct {
	ID       string `json:"id"`
	State    string `json:"state"` // "running", "stopped" (by testnet stop) or "exited"
	PID      int    `json:"pid,omitempty"`
	API      string `json:"api"`
	Ops      string `json:"ops"` // the operations routes: the ops port, or the API's
	Log      string `json:"log"`
	Restarts int    `json:"restarts"`
}

// supervisor runs and watches the node processes of one testnet.
type supervisor struct {
	l       *genesis.Layout
	self    string // the veil binary
	restart bool
	logw    io.Writer // the supervisor's own messages (stderr)
	net     networkInfo

	mu    sync.Mutex
	nodes []*supNode
	// down is set by stopAll: no node starts after it (a 'testnet start'
	// or a --restart timer racing the shutdown would leave an orphan).
	down bool
}

type supNode struct {
	i            int
	id, api, ops string
	proc         *exec.Cmd
	done         chan struct{} // closed when proc has exited
	state        string
	stopping     bool // the exit was asked for (testnet stop or shutdown)
	restarts     int
}

func newSupervisor(l *genesis.Layout, self string, restart bool, logw io.Writer) (*supervisor, error) {
	gf, err := genesis.Read(l.Genesis())
	if err != nil {
		return nil, err
	}
	engine := gf.Consensus
	if engine == "" {
		engine = chain.ConsensusRaft
	}
	s := &supervisor{l: l, self: self, restart: restart, logw: logw,
		net: networkInfo{Consensus: engine, Nodes: l.Nodes, Validators: len(gf.Validators), F: faultsTolerated(engine, len(gf.Validators))}}
	for i := 1; i <= l.Nodes; i++ {
		cfg, err := node.ReadConfig(node.ConfigPath(l, i))
		if err != nil {
			return nil, err
		}
		api, ops := cfg.URLs()
		s.nodes = append(s.nodes, &supNode{i: i, id: l.NodeID(i), api: api, ops: ops, state: "stopped"})
	}
	return s, nil
}

func (s *supervisor) logPath(n *supNode) string { return filepath.Join(s.l.NodeDir(n.i), "node.log") }
func (s *supervisor) pidPath(n *supNode) string { return filepath.Join(s.l.NodeDir(n.i), "node.pid") }

// startLocked starts node n's process; s.mu is held.
func (s *supervisor) startLocked(n *supNode) error {
	if s.down {
		return fmt.Errorf("start %s: the testnet is shutting down", n.id)
	}
	logf, err := os.OpenFile(s.logPath(n), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	p := exec.Command(s.self, "node", "start", "--config", node.ConfigPath(s.l, n.i))
	p.Stdout, p.Stderr = logf, logf
	if err := p.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start %s: %w", n.id, err)
	}
	_ = os.WriteFile(s.pidPath(n), []byte(strconv.Itoa(p.Process.Pid)+"\n"), 0o644)
	n.proc, n.done, n.state, n.stopping = p, make(chan struct{}), "running", false
	go s.watch(n, p, n.done, logf)
	return nil
}

// watch waits for one process of node n to exit and decides what follows.
func (s *supervisor) watch(n *supNode, p *exec.Cmd, done chan struct{}, logf *os.File) {
	err := p.Wait()
	logf.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	close(done)
	if n.proc != p { // a newer process already took over
		return
	}
	_ = os.Remove(s.pidPath(n))
	n.proc = nil
	if n.stopping {
		n.state = "stopped"
		return
	}
	n.state = "exited"
	status := "exit 0"
	if err != nil {
		status = err.Error()
	}
	if !s.restart {
		fmt.Fprintf(s.logw, "veil: %s exited (%s); the network goes on without it (see %s; 'veil testnet start %s' starts it)\n", n.id, status, s.logPath(n), n.id)
		return
	}
	n.restarts++
	// Back off while it keeps failing, so a node that cannot start does
	// not spin: 1 s, 2 s, 4 s … at most 30 s.
	delay := min(time.Second<<min(n.restarts-1, 5), 30*time.Second)
	fmt.Fprintf(s.logw, "veil: %s exited (%s); restarting it in %v (restart %d; see %s)\n", n.id, status, delay, n.restarts, s.logPath(n))
	time.AfterFunc(delay, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if n.state != "exited" { // started or stopped by hand meanwhile
			return
		}
		if err := s.startLocked(n); err != nil {
			fmt.Fprintf(s.logw, "veil: restart %s: %v\n", n.id, err)
		}
	})
}

// startAll starts every node.
func (s *supervisor) startAll() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range s.nodes {
		if err := s.startLocked(n); err != nil {
			return err
		}
	}
	return nil
}

// stopNode asks node n to stop (SIGTERM: a graceful stop) and waits for
// it, killing it after grace.
func (s *supervisor) stopNode(n *supNode, grace time.Duration) {
	s.mu.Lock()
	p, done := n.proc, n.done
	if p == nil {
		if n.state == "exited" {
			n.state = "stopped" // no restart either
		}
		s.mu.Unlock()
		return
	}
	n.stopping = true
	s.mu.Unlock()
	_ = p.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(grace):
		_ = p.Process.Kill()
		<-done
	}
}

// stopAll stops every node at once; none starts after it.
func (s *supervisor) stopAll() {
	s.mu.Lock()
	s.down = true
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, n := range s.nodes {
		wg.Add(1)
		go func() { defer wg.Done(); s.stopNode(n, 20*time.Second) }()
	}
	wg.Wait()
}

func (s *supervisor) find(name string) (*supNode, error) {
	for _, n := range s.nodes {
		if name == n.id || name == strconv.Itoa(n.i) {
			return n, nil
		}
	}
	return nil, fmt.Errorf("no node %q in this testnet (node-1 … node-%d)", name, len(s.nodes))
}

func (s *supervisor) status() []nodeStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []nodeStatus
	for _, n := range s.nodes {
		st := nodeStatus{ID: n.id, State: n.state, API: n.api, Ops: n.ops, Log: s.logPath(n), Restarts: n.restarts}
		if n.proc != nil {
			st.PID = n.proc.Process.Pid
		}
		out = append(out, st)
	}
	return out
}

// handle carries out one control request.
func (s *supervisor) handle(ctx context.Context, req ctlRequest) error {
	if req.Op == "status" {
		return nil
	}
	n, err := s.find(req.Node)
	if err != nil {
		return err
	}
	switch req.Op {
	case "stop":
		s.stopNode(n, 20*time.Second)
		fmt.Fprintf(s.logw, "veil: %s stopped (veil testnet stop)\n", n.id)
		return nil
	case "start":
		s.mu.Lock()
		if n.proc != nil {
			s.mu.Unlock()
			return fmt.Errorf("%s is already running (pid %d)", n.id, n.proc.Process.Pid)
		}
		err := s.startLocked(n)
		s.mu.Unlock()
		if err != nil {
			return err
		}
		if err := waitAPI(ctx, n.api, s.l.CACert()); err != nil {
			return fmt.Errorf("%s started but its API did not answer at %s (see %s): %w", n.id, n.api, s.logPath(n), err)
		}
		fmt.Fprintf(s.logw, "veil: %s started (veil testnet start)\n", n.id)
		return nil
	}
	return fmt.Errorf("unknown operation %q", req.Op)
}

// serve answers control requests on ln until ctx ends.
func (s *supervisor) serve(ctx context.Context, ln net.Listener) {
	go func() { <-ctx.Done(); ln.Close() }()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			var rep ctlReply
			_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
			if req, err := decodeCtlRequest(c); err != nil {
				rep.Error = err.Error()
			} else if err := s.handle(ctx, req); err != nil {
				rep.Error = err.Error()
			}
			rep.Network, rep.Nodes = &s.net, s.status()
			_ = json.NewEncoder(c).Encode(rep)
		}()
	}
}

// maxCtlRequest bounds a control request: a request is a few dozen bytes.
const maxCtlRequest = 4 << 10

// decodeCtlRequest reads one control request: a JSON object with a known
// op, no other fields, and for stop and start a node name (node-N or N).
// The socket is the owner's (mode 0600 directory), but a bad request must
// still be refused, not acted on in part.
func decodeCtlRequest(r io.Reader) (ctlRequest, error) {
	var req ctlRequest
	dec := json.NewDecoder(bufio.NewReader(io.LimitReader(r, maxCtlRequest)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return ctlRequest{}, fmt.Errorf("bad request: %w", err)
	}
	switch req.Op {
	case "status":
		if req.Node != "" {
			return ctlRequest{}, errors.New("bad request: status names no node")
		}
	case "stop", "start":
		n := strings.TrimPrefix(req.Node, "node-")
		if i, err := strconv.Atoi(n); err != nil || i < 1 || strconv.Itoa(i) != n {
			return ctlRequest{}, fmt.Errorf("bad request: node %q is not node-N or N", req.Node)
		}
	default:
		return ctlRequest{}, fmt.Errorf("bad request: unknown operation %q", req.Op)
	}
	return req, nil
}

// listenCtl opens dir's control socket. A socket file left by a testnet
// that died is replaced; one that answers means a testnet already runs.
func listenCtl(dir string) (net.Listener, error) {
	path := ctlSocket(dir)
	if len(path) > 107 { // sun_path holds 108 bytes with the NUL
		return nil, fmt.Errorf("control socket %s: %d bytes, longer than a unix socket path may be (107): choose a shorter --dir", path, len(path))
	}
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return nil, fmt.Errorf("a testnet already runs in %s (its control socket %s answers)", dir, path)
	}
	_ = os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	return ln, nil
}

// errNoTestnet: nothing answers on the testnet directory's socket.
var errNoTestnet = errors.New("no testnet running there")

// ctlCall sends one request to the testnet running in dir.
func ctlCall(ctx context.Context, dir string, req ctlRequest) (*ctlReply, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", ctlSocket(dir))
	if err != nil {
		return nil, badInput(fmt.Errorf("%s: %w ('veil testnet up --dir %s' runs one): %v", dir, errNoTestnet, dir, err))
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	if err := json.NewEncoder(c).Encode(req); err != nil {
		return nil, err
	}
	var rep ctlReply
	if err := json.NewDecoder(c).Decode(&rep); err != nil {
		return nil, fmt.Errorf("testnet control: %w", err)
	}
	if rep.Error != "" {
		return &rep, badInput(errors.New(strings.TrimSpace(rep.Error)))
	}
	return &rep, nil
}
