package consensus

import (
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// TestStreamLayerCloseWaitsForHandlers: Close returns only once the
// handler of every accepted connection has returned (closed it), so the
// node may close the raft store after the transport without a heartbeat
// still writing to it.
func TestStreamLayerCloseWaitsForHandlers(t *testing.T) {
	ca := newTestCA(t)
	cert, _ := ca.issue(t, "node-1", time.Now().Add(time.Hour))
	server, client := tlsConfigs(ca, cert)
	layer, err := NewTLSStreamLayer("127.0.0.1:0", nil, server, client)
	if err != nil {
		t.Fatal(err)
	}
	var handlerDone atomic.Bool
	accepted := make(chan struct{})
	go func() { // as raft's handleConn: read until the connection fails, finish, close
		conn, err := layer.Accept()
		if err != nil {
			t.Error(err)
			close(accepted)
			return
		}
		close(accepted)
		_, _ = io.Copy(io.Discard, conn)
		time.Sleep(50 * time.Millisecond) // a heartbeat's store write, under way
		handlerDone.Store(true)
		conn.Close()
	}()
	out, err := layer.Dial(raft.ServerAddress(layer.Addr().String()), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if _, err := out.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	<-accepted
	if err := layer.Close(); err != nil {
		t.Fatal(err)
	}
	if !handlerDone.Load() {
		t.Fatal("Close returned while a connection handler was still running")
	}
}
