package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/veilchain/veil/client"
	"github.com/veilchain/veil/version"
)

// waitFor retries f every 100 ms until it holds or d passes.
func waitFor(t *testing.T, what string, d time.Duration, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestTestnetFailover runs the README's failover on `veil testnet up`'s
// own network of processes: stop the leader with `testnet stop`, the two
// others elect a leader and commit a transaction, `testnet start` brings
// the old leader back and it catches up to the same block; a node killed
// with -9 is logged and, under --restart, started again while the network
// goes on; a second `veil node start` on a running node's data directory
// is refused by its lock; Ctrl-C stops it all.
func TestTestnetFailover(t *testing.T) {
	bin := buildVeil(t)
	dir := filepath.Join(t.TempDir(), "net")
	outPath := filepath.Join(t.TempDir(), "testnet.out")
	outf, err := os.Create(outPath)
	if err != nil {
		t.Fatal(err)
	}
	defer outf.Close()
	up := exec.Command(bin, "testnet", "up", "--dir", dir, "--nodes", "3", "--base-port", "0", "--restart", "--group", "payments", "--member", "alice")
	up.Stdout, up.Stderr = outf, outf
	if err := up.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- up.Wait() }()
	upDone := false
	defer func() {
		if !upDone {
			_ = up.Process.Signal(syscall.SIGINT)
			select {
			case <-exited:
			case <-time.After(30 * time.Second):
				_ = up.Process.Kill()
			}
		}
	}()
	output := func() string { b, _ := os.ReadFile(outPath); return string(b) }
	waitFor(t, "network up", 2*time.Minute, func() bool {
		select {
		case err := <-exited:
			t.Fatalf("testnet up exited: %v\n%s", err, output())
		default:
		}
		return strings.Contains(output(), "network of 3 nodes up")
	})
	urls := map[string]string{}
	for _, l := range strings.Split(output(), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && strings.HasPrefix(f[0], "node-") {
			urls[f[0]] = f[1]
		}
	}
	if len(urls) != 3 {
		t.Fatalf("node URLs %v in:\n%s", urls, output())
	}
	// Each node's first log line names its build.
	first, _, _ := strings.Cut(string(mustRead(t, filepath.Join(dir, "nodes", "node-1", "node.log"))), "\n")
	if !strings.Contains(first, "version="+version.Get().Version) || !strings.Contains(first, "go_version="+version.Get().GoVersion) {
		t.Fatalf("node-1's first log line: %q", first)
	}
	// A second process on node-1's data directory is refused by the lock,
	// naming the directory and node-1's pid, before it opens anything.
	pid1 := strings.TrimSpace(string(mustRead(t, filepath.Join(dir, "nodes", "node-1", "node.pid"))))
	second := exec.Command(bin, "node", "start", "--config", filepath.Join(dir, "nodes", "node-1", "node.toml"),
		"--api-addr", "127.0.0.1:0", "--gossip-addr", "127.0.0.1:0", "--raft-addr", "127.0.0.1:0")
	var stderr strings.Builder
	second.Stderr = &stderr
	err = second.Run()
	var ee *exec.ExitError
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || len(lines) != 1 ||
		!strings.Contains(lines[0], filepath.Join(dir, "nodes", "node-1", "data")+" is in use by another veil node (pid "+pid1+")") {
		t.Fatalf("second node on node-1's data dir: %v, stderr:\n%s", err, stderr.String())
	}
	ctx := context.Background()
	leaderOf := func(url string) string {
		st, err := client.New(url).Status(ctx)
		if err != nil {
			return ""
		}
		return st.Leader
	}
	var leader string
	waitFor(t, "a leader", time.Minute, func() bool { leader = leaderOf(urls["node-1"]); return leader != "" })

	stopAt := time.Now()
	mustRun(t, "testnet", "stop", leader, "--dir", dir)
	stopped := time.Since(stopAt)
	st := jsonOut(t, "testnet", "status", "--dir", dir)
	for _, n := range st["nodes"].([]any) {
		n := n.(map[string]any)
		if want := map[bool]string{true: "stopped", false: "running"}[n["id"] == leader]; n["state"] != want {
			t.Fatalf("after stopping %s: %v", leader, st)
		}
	}
	var other string
	for id := range urls {
		if id != leader {
			other = id
		}
	}
	waitFor(t, "a new leader", time.Minute, func() bool { l := leaderOf(urls[other]); return l != "" && l != leader })
	elected := time.Since(stopAt)
	tx := jsonOut(t, "tx", "send", "--node", urls[other], "--key", filepath.Join(dir, "members", "alice.payments.key"), "--topic", "orders", "--data", "after failover", "--wait", "--timeout", "90s")
	h := uint64(tx["height"].(float64))
	committed := time.Since(stopAt)

	startAt := time.Now()
	mustRun(t, "testnet", "start", leader, "--dir", dir)
	c := client.New(urls[leader])
	waitFor(t, "the old leader catches up", 2*time.Minute, func() bool {
		b, err := c.Block(ctx, h)
		if err != nil {
			return false
		}
		ref, err := client.New(urls[other]).Block(ctx, h)
		return err == nil && b.Hash == ref.Hash
	})
	t.Logf("failover: %s stopped in %v, a new leader %v and a commit %v after the stop; restarted, it had block %d %v after 'testnet start'",
		leader, stopped.Round(time.Millisecond), elected.Round(time.Millisecond), committed.Round(time.Millisecond), h, time.Since(startAt).Round(time.Millisecond))

	// kill -9 a node: the network goes on, --restart starts it again.
	victim := other
	pidb, err := os.ReadFile(filepath.Join(dir, "nodes", victim, "node.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(pidb)))
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the killed node restarted", time.Minute, func() bool {
		for _, n := range jsonOut(t, "testnet", "status", "--dir", dir)["nodes"].([]any) {
			n := n.(map[string]any)
			if n["id"] == victim && n["state"] == "running" && n["restarts"] == 1.0 && n["pid"] != float64(pid) {
				return true
			}
		}
		return false
	})
	if !strings.Contains(output(), victim+" exited (signal: killed); restarting it") {
		t.Fatalf("no exit logged:\n%s", output())
	}
	waitFor(t, "the restarted node answers", time.Minute, func() bool { _, err := client.New(urls[victim]).Status(ctx); return err == nil })

	_ = up.Process.Signal(syscall.SIGINT)
	select {
	case err := <-exited:
		upDone = true
		if err != nil || !strings.Contains(output(), "network stopped") {
			t.Fatalf("testnet up after Ctrl-C: %v\n%s", err, output())
		}
	case <-time.After(time.Minute):
		t.Fatalf("testnet up did not stop on SIGINT:\n%s", output())
	}
	if _, err := os.Stat(filepath.Join(dir, "testnet.sock")); err == nil {
		t.Fatal("control socket left behind")
	}
	if code, _, _ := wantError(t, exitUsage, "testnet", "stop", "node-1", "--dir", dir); code != "usage" {
		t.Fatalf("stop without a testnet: %s", code)
	}
}
