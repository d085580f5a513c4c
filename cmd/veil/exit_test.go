package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/veilchain/veil/node"
	"github.com/veilchain/veil/node/nodetest"
)

// TestNetworkErrorsExit3 checks that a node that cannot be reached, whose
// name does not resolve or whose TLS fails ends the command with exit status 3 and its own code, never 1
// (refused) or 2 (usage).
func TestNetworkErrorsExit3(t *testing.T) {
	// A port with nobody listening: bind one, then close it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	// A TLS server whose certificate no CA here vouches for.
	tlsSrv := httptest.NewTLSServer(http.NotFoundHandler())
	defer tlsSrv.Close()

	for _, c := range []struct {
		name, code string
		args       []string
	}{
		{"connection refused", "unreachable", []string{"status", "--node", "http://" + closed}},
		{"dns", "dns", []string{"block", "get", "latest", "--node", "http://veil-node.invalid:8545"}},
		{"tls", "tls", []string{"status", "--node", tlsSrv.URL}},
	} {
		t.Run(c.name, func(t *testing.T) {
			obj := wantCode(t, exitNetwork, c.code, c.args...)
			if msg, _ := obj["message"].(string); msg == "" {
				t.Fatalf("no message: %v", obj)
			}
		})
	}
}

// TestTxSendWaitTimeoutIsNotRefused (the timeout code) sends a transaction to a network that
// has lost its quorum: it is admitted and never commits, so --wait ends at
// --timeout with exit 3 and code timeout, not 1 (refused).
func TestTxSendWaitTimeoutIsNotRefused(t *testing.T) {
	net := nodetest.Start(t, node.LocalOptions{Nodes: 2, Groups: []string{"payments"}, Members: []string{"alice"}})
	net.Stop(1) // 2 validators: one alone commits nothing
	start := time.Now()
	obj := wantCode(t, exitNetwork, "timeout", "tx", "send", "--node", net.URL(0), "--key", net.Layout.MemberKey("payments", "alice"),
		"--topic", "orders", "--data", "pay 10", "--wait", "--timeout", "3s")
	if msg := obj["message"].(string); !strings.Contains(msg, "not committed within --timeout 3s") || !strings.Contains(msg, "veil tx get") {
		t.Fatalf("message %q", msg)
	}
	if time.Since(start) < 3*time.Second {
		t.Fatalf("returned before --timeout")
	}
}
