package main

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/client"
)

// nodeFlag is the --node URL of commands that talk to a node's API; it
// defaults to $VEIL_NODE.
type nodeFlag struct{ url string }

func (n *nodeFlag) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&n.url, "node", os.Getenv("VEIL_NODE"), "node API URL, e.g. http://127.0.0.1:7010 (node-1 of veil testnet up) (default $VEIL_NODE)")
}

func (n *nodeFlag) client() (*client.Client, error) {
	if n.url == "" {
		return nil, badInput(errors.New("no node given: pass --node URL or set VEIL_NODE"))
	}
	return client.New(n.url), nil
}

// apiError turns an API refusal into exit status 1 and anything else
// into 2; exitStatus makes a network failure (unreachable node, DNS, TLS,
// timeout) 3 whatever it was wrapped as.
func apiError(err error) error {
	var ae *client.Error
	if errors.As(err, &ae) {
		return refused(err)
	}
	return badInput(err)
}

func timeoutCtx(cmd *cobra.Command, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(cmd.Context(), d)
}

// withNode is the body of a command that reads from a node: it checks
// --output, then calls fn with a client of --node and a 30 s deadline.
func withNode(cmd *cobra.Command, out *outputFlag, nf *nodeFlag, fn func(context.Context, *client.Client) error) error {
	return withNodeFor(cmd, out, nf, 30*time.Second, fn)
}

// withNodeFor is withNode with a deadline of d.
func withNodeFor(cmd *cobra.Command, out *outputFlag, nf *nodeFlag, d time.Duration, fn func(context.Context, *client.Client) error) error {
	if err := out.validate(); err != nil {
		return err
	}
	c, err := nf.client()
	if err != nil {
		return err
	}
	ctx, cancel := timeoutCtx(cmd, d)
	defer cancel()
	return fn(ctx, c)
}
