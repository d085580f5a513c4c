package loadgen

import (
	"context"
	"crypto/tls"
	"testing"
	"time"

	"github.com/veilchain/veil/client"
	"github.com/veilchain/veil/groupsig"
	"github.com/veilchain/veil/node"
	"github.com/veilchain/veil/node/nodetest"
)

// TestRunCountsEveryTransaction loads a real 3-node local network at a
// fixed rate and checks the report against the chain, over plain HTTP
// and over TLS (the API's certificate trusted by the chain CA).
func TestRunCountsEveryTransaction(t *testing.T) {
	t.Run("http", func(t *testing.T) { testRunCounts(t, false) })
	t.Run("https", func(t *testing.T) { testRunCounts(t, true) })
}

func testRunCounts(t *testing.T, apiTLS bool) {
	net := nodetest.Start(t, node.LocalOptions{Nodes: 3, Groups: []string{"acme"}, Members: []string{"m0", "m1"}, APITLS: apiTLS})
	l := net.Layout
	var tc *tls.Config
	if apiTLS {
		var err error
		if tc, err = (client.TLSFiles{CA: l.CACert()}).Config(); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var urls []string
	for i := range net.Nodes {
		urls = append(urls, net.URL(i))
	}
	c := client.New(urls[0])
	if tc != nil {
		c = client.NewTLS(urls[0], tc)
	}
	var members []*groupsig.MemberFile
	for _, label := range []string{"m0", "m1"} {
		mf, err := groupsig.ReadMemberFile(l.MemberKey("acme", label))
		if err != nil {
			t.Fatal(err)
		}
		members = append(members, mf)
	}
	before, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(ctx, Config{Nodes: urls, Group: "acme", Members: members, Topic: "load", Rate: 20, Duration: 2 * time.Second, TLS: tc})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", rep)
	if rep.Submitted < 30 || rep.Committed != rep.Submitted || rep.Lost != 0 || len(rep.Refused) != 0 {
		t.Fatalf("report %+v", rep)
	}
	if rep.LatencyP50ms <= 0 || rep.LatencyP99ms < rep.LatencyP50ms || rep.CommitRate <= 0 {
		t.Fatalf("implausible figures %+v", rep)
	}
	// Block time: the blocks counted are blocks of this run, and their
	// gaps lie within it.
	after, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Blocks < 2 || uint64(rep.Blocks) > after.Height-before.Height || rep.BlockIntervalMeanMs <= 0 || rep.BlockIntervalP50ms <= 0 ||
		rep.BlockIntervalMeanMs*float64(rep.Blocks-1) > rep.Seconds*1000 {
		t.Fatalf("blocks %d (heights %d→%d), interval mean %.1f ms p50 %.1f ms, run %.2f s", rep.Blocks, before.Height, after.Height, rep.BlockIntervalMeanMs, rep.BlockIntervalP50ms, rep.Seconds)
	}
	// The chain holds exactly the transactions reported committed.
	page, err := c.TopicTxs(ctx, "load", "", 1000)
	if err != nil || len(page.IDs) != rep.Committed {
		t.Fatalf("topic holds %d, report says %d (%v)", len(page.IDs), rep.Committed, err)
	}
}
