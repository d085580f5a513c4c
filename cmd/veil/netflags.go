package main

import (
	"context"
	"errors"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/client"
)

// nodeFlag is the --node URL of commands that talk to a node's API; it
// defaults to $VEIL_NODE. An https:// node (api_tls) is trusted by the
// chain CA (--tls-ca, $VEIL_CA); --tls-cert and --tls-key present a client
// certificate (an operator's, for admin endpoints). The flags are not
// --ca, --cert and --key because commands that take --node already use
// those names for other files.
type nodeFlag struct {
	url string
	tls client.TLSFiles
}

func (n *nodeFlag) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&n.url, "node", os.Getenv("VEIL_NODE"), "node API URL, e.g. http://127.0.0.1:8545 or https://… (default $VEIL_NODE)")
	cmd.Flags().StringVar(&n.tls.CA, "tls-ca", os.Getenv("VEIL_CA"), "with an https:// node: the chain CA certificate to trust it by (default $VEIL_CA; empty: the system roots)")
	cmd.Flags().StringVar(&n.tls.Cert, "tls-cert", os.Getenv("VEIL_TLS_CERT"), "client certificate to present, e.g. from 'veil ca issue-operator' (default $VEIL_TLS_CERT)")
	cmd.Flags().StringVar(&n.tls.Key, "tls-key", os.Getenv("VEIL_TLS_KEY"), "key of --tls-cert (default $VEIL_TLS_KEY)")
}

func (n *nodeFlag) client() (*client.Client, error) {
	if n.url == "" {
		return nil, badInput(errors.New("no node given: pass --node URL or set VEIL_NODE"))
	}
	if !strings.HasPrefix(n.url, "https://") {
		return client.New(n.url), nil
	}
	tc, err := n.tls.Config()
	if err != nil {
		return nil, badInput(err)
	}
	return client.NewTLS(n.url, tc), nil
}

// apiError turns an API refusal into exit status 1 and anything else
// (unreachable node, bad URL) into 2.
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
