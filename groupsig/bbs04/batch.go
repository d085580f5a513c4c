package bbs04

import (
	"context"
	"runtime"

	"golang.org/x/sync/errgroup"
)

// VerifyBatch verifies sigs[i] on msgs[i] under pk, spread over all cores,
// and returns one result per signature (nil for a valid one), in order.
// msgs and sigs must have the same length.
func VerifyBatch(ctx context.Context, pk *PublicKey, msgs, sigs [][]byte) []error {
	if len(msgs) != len(sigs) {
		panic("groupsig: VerifyBatch with different numbers of messages and signatures")
	}
	results := make([]error, len(sigs))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i := range sigs {
		if ctx.Err() != nil {
			results[i] = ctx.Err()
			continue
		}
		g.Go(func() error {
			results[i] = Verify(pk, msgs[i], sigs[i])
			return nil
		})
	}
	_ = g.Wait() // workers report per signature, never through the group
	return results
}
