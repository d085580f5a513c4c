package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/genesis"
)

func newCARenewNodeCmd() *cobra.Command {
	var out outputFlag
	var ops opsFlags
	var caCert, caKey, certPath, certOut string
	var validity time.Duration
	var force, noCheck bool
	cmd := &cobra.Command{
		Use:   "renew-node",
		Short: "Issue a node a new certificate for the same key (no downtime)",
		Long: `Issue a new certificate for the node of --cert: the same node id, key
and host names, a new serial number and a new validity from now. Peers
know a node by its id (the certificate's common name) checked against
the chain CA, and raft and gossip name it by that id, so the renewed
certificate is accepted wherever the old one was. Install it in place of
the node's certificate, then SIGHUP the node or POST
/admin/reload-identity on its operations port: new connections present
it at once, no restart.

A node revoked on chain is refused (exit 1): --ops names any running
node's operations port to ask; --no-revocation-check skips the question
(an offline CA). An existing --out is replaced only with --force.`,
		Example: `  veil ca renew-node --ca-cert net/ca/ca.crt --ca-key net/ca/ca.key \
    --cert net/nodes/node-2/node.crt --out net/nodes/node-2/node.crt.new --ops https://127.0.0.1:9101 --tls-ca net/ca/ca.crt
  mv net/nodes/node-2/node.crt.new net/nodes/node-2/node.crt && kill -HUP <pid of node-2>`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if ops.url == "" && !noCheck {
				return badInput(errors.New("say --ops URL (a node's operations port, to check the node is not revoked on chain) or --no-revocation-check"))
			}
			ca, err := openCAFor(&out, validity, force, caCert, caKey, certOut)
			if err != nil {
				return err
			}
			data, err := os.ReadFile(certPath)
			if err != nil {
				return badInput(fmt.Errorf("read node certificate: %w", err))
			}
			old, err := genesis.ParseCertificatePEM(data)
			if err != nil {
				return badInput(fmt.Errorf("%s: %w", certPath, err))
			}
			id := old.Subject.CommonName
			if !noCheck {
				c, err := ops.client()
				if err != nil {
					return err
				}
				ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
				defer cancel()
				revoked, err := c.NodeRevoked(ctx, id)
				if err != nil {
					return apiError(fmt.Errorf("ask %s whether %s is revoked: %w", ops.url, id, err))
				}
				if revoked {
					return refused(fmt.Errorf("%w: node %s is revoked on chain; a revoked node id never rejoins (certify a new node id instead)", errCertificate, id))
				}
			}
			certPEM, err := ca.RenewNode(old, validity, rand.Reader)
			if err != nil {
				return refused(fmt.Errorf("%s: %w: %w", certPath, errCertificate, err))
			}
			cert, err := genesis.ParseCertificatePEM(certPEM)
			if err != nil {
				return err
			}
			if err := writeFile(certOut, certPEM, 0o644, force); err != nil {
				return err
			}
			res := map[string]any{"node": id, "serial": cert.SerialNumber.Text(16), "previous_serial": old.SerialNumber.Text(16),
				"not_before": cert.NotBefore.UTC(), "not_after": cert.NotAfter.UTC(), "cert_file": certOut, "revocation_checked": !noCheck}
			return out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				fmt.Fprintf(w, "renewed %s -> %s\n  serial       %s (was %s)\n  valid until  %s\nInstall it as the node's certificate, then SIGHUP the node or POST /admin/reload-identity.\n",
					id, certOut, cert.SerialNumber.Text(16), old.SerialNumber.Text(16), cert.NotAfter.UTC().Format(time.RFC3339))
			})
		},
	}
	out.register(cmd)
	ops.register(cmd)
	cmd.Flags().StringVar(&caCert, "ca-cert", "", "the chain CA certificate (required)")
	cmd.Flags().StringVar(&caKey, "ca-key", "", "the chain CA private key (required)")
	cmd.Flags().StringVar(&certPath, "cert", "", "the node's current (or expired) certificate (required)")
	cmd.Flags().StringVar(&certOut, "out", "", "file to write the new certificate to (required)")
	cmd.Flags().DurationVar(&validity, "validity", 0, "certificate lifetime (default 8760h, one year; at most the CA's)")
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing --out")
	cmd.Flags().BoolVar(&noCheck, "no-revocation-check", false, "do not ask a node whether the node is revoked (an offline CA)")
	for _, f := range []string{"ca-cert", "ca-key", "cert", "out"} {
		_ = cmd.MarkFlagRequired(f)
	}
	return cmd
}
