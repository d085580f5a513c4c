package loadgen

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/veilchain/veil/client"
	"github.com/veilchain/veil/groupsig"
	"github.com/veilchain/veil/node"
)

// TestRunCountsEveryTransaction loads a real 3-node local network at a
// fixed rate and checks the report against the chain.
func TestRunCountsEveryTransaction(t *testing.T) {
	l, err := node.InitLocal(t.TempDir(), node.LocalOptions{Nodes: 3, Groups: []string{"acme"}, Members: []string{"m0", "m1"}, Tweak: func(c *node.Config) {
		c.BlockInterval = node.Duration{Duration: 50 * time.Millisecond}
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var urls []string
	for i := 1; i <= 3; i++ {
		cfg, _ := node.ReadConfig(node.ConfigPath(l, i))
		n, err := node.New(cfg, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
		if err != nil {
			t.Fatal(err)
		}
		nctx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- n.Run(nctx) }()
		t.Cleanup(func() { stop(); <-done })
		urls = append(urls, "http://"+n.APIAddr())
	}
	c := client.New(urls[0])
	for {
		if st, err := c.Status(ctx); err == nil && st.Leader != "" {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	var members []*groupsig.MemberFile
	for _, label := range []string{"m0", "m1"} {
		mf, err := groupsig.ReadMemberFile(l.MemberKey("acme", label))
		if err != nil {
			t.Fatal(err)
		}
		members = append(members, mf)
	}
	rep, err := Run(ctx, Config{Nodes: urls, Group: "acme", Members: members, Topic: "load", Rate: 20, Duration: 2 * time.Second})
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
	// The chain holds exactly the transactions reported committed.
	page, err := c.TopicTxs(ctx, "load", "", 1000)
	if err != nil || len(page.IDs) != rep.Committed {
		t.Fatalf("topic holds %d, report says %d (%v)", len(page.IDs), rep.Committed, err)
	}
}
