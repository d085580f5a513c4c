// Package nodetest runs a local veil network inside a test process: real
// nodes (LevelDB in temp dirs, memberlist and raft on 127.0.0.1, mutual
// TLS), started the way `veil testnet up` starts its processes, for tests
// of the packages above node (client, console, ui, loadgen, cmd/veil).
// It imports no client, so that package client's own tests can use it.
package nodetest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/veilchain/veil/genesis"
	"github.com/veilchain/veil/node"
)

// Network is a local network running in this process.
type Network struct {
	t      testing.TB
	Layout *genesis.Layout
	Nodes  []*node.Node // Nodes[0] is node-1
	stops  []context.CancelFunc
	done   []chan error
}

// Start creates a local network in a temp dir with opt (fast timing; 50 ms
// blocks and error-level logs unless opt.Tweak says otherwise), runs every
// node, stops them when the test ends, and waits until node-1 reports a
// leader (30 s at most).
func Start(t testing.TB, opt node.LocalOptions) *Network {
	t.Helper()
	tweak := opt.Tweak
	opt.Tweak = func(c *node.Config) {
		c.BlockInterval = node.Duration{Duration: 50 * time.Millisecond}
		c.LogLevel = "error"
		if tweak != nil {
			tweak(c)
		}
	}
	l, err := node.InitLocal(t.TempDir(), opt)
	if err != nil {
		t.Fatal(err)
	}
	n := &Network{t: t, Layout: l}
	t.Cleanup(func() {
		for i := range n.Nodes {
			n.Stop(i)
		}
	})
	for i := 1; i <= l.Nodes; i++ {
		cfg, err := node.ReadConfig(node.ConfigPath(l, i))
		if err != nil {
			t.Fatal(err)
		}
		nd, err := node.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- nd.Run(ctx) }()
		n.Nodes, n.stops, n.done = append(n.Nodes, nd), append(n.stops, cancel), append(n.done, done)
	}
	n.waitLeader(30 * time.Second)
	return n
}

// URL is the API base URL of Nodes[i] (https:// with LocalOptions.APITLS:
// HTTPClient trusts the chain CA).
func (n *Network) URL(i int) string { return n.Nodes[i].APIURL() }

// HTTPClient is an HTTP client that trusts the network's chain CA.
func (n *Network) HTTPClient() *http.Client {
	pool := x509.NewCertPool()
	if ca, err := os.ReadFile(n.Layout.CACert()); err == nil {
		pool.AppendCertsFromPEM(ca)
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

// Running reports whether Nodes[i] has not been stopped.
func (n *Network) Running(i int) bool { return n.stops[i] != nil }

// Stop stops Nodes[i] (again: nothing) and waits until it has stopped.
func (n *Network) Stop(i int) {
	cancel := n.stops[i]
	if cancel == nil {
		return
	}
	n.stops[i] = nil
	cancel()
	if err := <-n.done[i]; err != nil {
		n.t.Logf("node %d stopped: %v", i+1, err)
	}
}

func (n *Network) waitLeader(limit time.Duration) {
	n.t.Helper()
	deadline := time.Now().Add(limit)
	hc := n.HTTPClient()
	for time.Now().Before(deadline) {
		if resp, err := hc.Get(n.URL(0) + "/v1/status"); err == nil {
			var st struct {
				Leader string `json:"leader"`
			}
			err = json.NewDecoder(resp.Body).Decode(&st)
			resp.Body.Close()
			if err == nil && st.Leader != "" {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	n.t.Fatalf("no leader after %v", limit)
}
