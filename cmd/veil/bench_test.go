package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestBenchReportsBlockTime runs `veil bench` on a real 3-node network
// with founding members' keys and checks that both outputs carry the
// block time: make bench's raft-vs-bft table reads it from the JSON.
func TestBenchReportsBlockTime(t *testing.T) {
	tn := startNet(t, 3, []string{"acme"}, []string{"b0", "b1"})
	keys := tn.l.MemberKey("acme", "b0") + "," + tn.l.MemberKey("acme", "b1")
	args := []string{"bench", "--nodes", strings.Join(tn.urls, ","), "--group", "acme", "--keys", keys, "--rate", "20", "--duration", "2s"}

	rep := jsonOut(t, args...)
	blocks, _ := rep["blocks"].(float64)
	mean, _ := rep["block_interval_mean_ms"].(float64)
	p50, _ := rep["block_interval_p50_ms"].(float64)
	if rep["lost"] != 0.0 || blocks < 2 || mean <= 0 || p50 <= 0 {
		t.Fatalf("bench report %v", rep)
	}

	out := mustRun(t, args...)
	m := regexp.MustCompile(`(\d+) blocks while submitting; block time mean (\d+) ms, p50 (\d+) ms`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no block time line in:\n%s", out)
	}
	if n, _ := strconv.Atoi(m[1]); n < 2 {
		t.Fatalf("%d blocks in:\n%s", n, out)
	}
}
