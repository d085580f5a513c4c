package p2p

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// benchCluster starts n joined nodes.
func benchCluster(b *testing.B, n int) []*Cluster {
	b.Helper()
	ca := newTestCA(b, "bench CA")
	var nodes []*Cluster
	for i := 0; i < n; i++ {
		nodes = append(nodes, startNode(b, testConfig(newIdentity(b, ca, fmt.Sprintf("b%d", i), certOpts{}))))
	}
	for _, c := range nodes[1:] {
		if _, err := c.Join([]string{nodes[0].Addr()}); err != nil {
			b.Fatal(err)
		}
	}
	waitFor(b, 10*time.Second, "bench cluster", func() bool {
		for _, c := range nodes {
			if len(aliveIDs(c)) != n {
				return false
			}
		}
		return true
	})
	return nodes
}

// BenchmarkBroadcast measures 1 KB messages delivered per second to the
// handlers of the two other nodes of a 3-node cluster.
func BenchmarkBroadcast(b *testing.B) {
	nodes := benchCluster(b, 3)
	var got atomic.Int64
	for _, c := range nodes[1:] {
		c.Handle(1, func(string, []byte) { got.Add(1) })
	}
	msg := make([]byte, 1024)
	const window = 2000 // in flight per receiver, well inside the queues
	b.SetBytes(int64(len(msg)))
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		for int64(2*i)-got.Load() > 2*window {
			time.Sleep(50 * time.Microsecond)
		}
		if err := nodes[0].Broadcast(1, msg); err != nil {
			b.Fatal(err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for got.Load() < int64(2*b.N) {
		if time.Now().After(deadline) {
			b.Fatalf("delivered %d of %d; stats %+v %+v", got.Load(), 2*b.N, nodes[1].Stats(), nodes[2].Stats())
		}
		time.Sleep(100 * time.Microsecond)
	}
	b.ReportMetric(float64(got.Load())/time.Since(start).Seconds(), "deliveries/s")
}

// BenchmarkRequest measures sequential request/response round trips of 64
// bytes over a reused connection.
func BenchmarkRequest(b *testing.B) {
	nodes := benchCluster(b, 2)
	nodes[1].HandleRequest(1, func(_ context.Context, _ string, req []byte) ([]byte, error) { return req, nil })
	req := make([]byte, 64)
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := nodes[0].Request(ctx, "b1", 1, req); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "roundtrips/s")
}
