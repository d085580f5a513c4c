package main

import (
	"crypto/rand"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/genesis"
)

func newCAIssueOperatorCmd() *cobra.Command {
	var out outputFlag
	var caCert, caKey, name, certOut, keyOut string
	var validity time.Duration
	var force bool
	cmd := &cobra.Command{
		Use:   "issue-operator",
		Short: "Issue an operator's TLS client certificate for the nodes' admin endpoints",
		Long: `Make a key pair and an operator certificate for NAME, signed by the chain
CA: a TLS client certificate under veil's operator policy. Every node of
the chain accepts it on the admin endpoints of its operations port (log
levels, /debug/pprof with pprof = true), over TLS only. Node and member
certificates never open them: a node's key belongs to its node, a
member's to document signing.

The key (--key-out, mode 0600) is ECDSA P-256 so that browsers and curl
present it. Keep it as you keep the CA key's output: outside the checkout.
An existing --cert-out or --key-out is replaced only with --force.`,
		Example: `  veil ca issue-operator --ca-cert net/ca/ca.crt --ca-key net/ca/ca.key --name ops-alice \
    --cert-out net/operator/ops-alice.crt --key-out net/operator/ops-alice.key
  curl --cacert net/ca/ca.crt --cert net/operator/ops-alice.crt --key net/operator/ops-alice.key \
    https://127.0.0.1:9101/debug/pprof/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ca, err := openCAFor(&out, validity, force, caCert, caKey, certOut, keyOut)
			if err != nil {
				return err
			}
			certPEM, keyPEM, err := ca.IssueOperator(name, validity, rand.Reader)
			if err != nil {
				return badInput(err)
			}
			cert, err := genesis.ParseCertificatePEM(certPEM)
			if err != nil {
				return err
			}
			if err := writeFile(keyOut, keyPEM, 0o600, force); err != nil {
				return err
			}
			if err := writeFile(certOut, certPEM, 0o644, force); err != nil {
				return err
			}
			res := map[string]any{"name": name, "serial": cert.SerialNumber.Text(16), "not_before": cert.NotBefore.UTC(),
				"not_after": cert.NotAfter.UTC(), "cert_file": certOut, "key_file": keyOut}
			return out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				fmt.Fprintf(w, "operator %q -> %s, key %s (secret)\n  valid until %s\n", name, certOut, keyOut, cert.NotAfter.UTC().Format(time.RFC3339))
			})
		},
	}
	out.register(cmd)
	cmd.Flags().StringVar(&caCert, "ca-cert", "", "the chain CA certificate (required)")
	cmd.Flags().StringVar(&caKey, "ca-key", "", "the chain CA private key (required)")
	cmd.Flags().StringVar(&name, "name", "", "the operator's name, the certificate's CN: [a-z0-9-] (required)")
	cmd.Flags().StringVar(&certOut, "cert-out", "", "file to write the certificate to (required)")
	cmd.Flags().StringVar(&keyOut, "key-out", "", "file to write the private key to, mode 0600 (required)")
	cmd.Flags().DurationVar(&validity, "validity", 0, "certificate lifetime (default 90 days, at most the CA's)")
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing --cert-out or --key-out")
	for _, f := range []string{"ca-cert", "ca-key", "name", "cert-out", "key-out"} {
		_ = cmd.MarkFlagRequired(f)
	}
	return cmd
}
