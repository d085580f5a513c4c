package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/genesis"
)

// errCertificate: a certificate or certificate request that does not check.
var errCertificate = errors.New("certificate refused")

func newCAIssueMemberCmd() *cobra.Command {
	var out outputFlag
	var caCert, caKey, reqPath, certOut, wantOrg string
	var validity time.Duration
	var force bool
	cmd := &cobra.Command{
		Use:   "issue-member",
		Short: "Certify a member's identity key from its certificate request",
		Long: `Read a member's certificate request ('veil member request-cert'), check
that its identity key signed it, and issue the member identity
certificate for its organisation (O) and label (CN), signed by the chain
CA, to --out (PEM, public). The certificate is for document signing under
veil's member-identity policy and carries no TLS usage: it lets the member
join groups by transaction and never admits a node. Check the request's
organisation and label out of band before issuing (--org refuses a
request that names another organisation).

The request is refused (exit 1) when its signature does not verify or
--org does not match; an unreadable request is bad input (exit 2). An
existing --out is replaced only with --force.`,
		Example: `  veil ca issue-member --ca-cert net/ca/ca.crt --ca-key net/ca/ca.key --request alice.csr --out alice.crt
  veil ca issue-member --ca-cert ca.crt --ca-key ca.key --request bob.csr --org "Globex Insurance" \
    --validity 8760h --out bob.crt --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ca, err := openCAFor(&out, validity, force, caCert, caKey, certOut)
			if err != nil {
				return err
			}
			data, err := os.ReadFile(reqPath)
			if err != nil {
				return badInput(fmt.Errorf("read request: %w", err))
			}
			req, err := genesis.ParseMemberRequest(data)
			if errors.Is(err, genesis.ErrRequestSignature) {
				return refused(fmt.Errorf("%s: %w: %w", reqPath, errCertificate, err))
			}
			if err != nil {
				return badInput(fmt.Errorf("%s: %w", reqPath, err))
			}
			if wantOrg != "" && req.Org != wantOrg {
				return refused(fmt.Errorf("%s: %w: the request is for organisation %q, not %q", reqPath, errCertificate, req.Org, wantOrg))
			}
			certPEM, err := ca.IssueMember(req.Org, req.Label, req.Key, validity, rand.Reader)
			if err != nil {
				return badInput(err)
			}
			cert, err := genesis.ParseCertificatePEM(certPEM)
			if err != nil {
				return err
			}
			if err := writeFile(certOut, certPEM, 0o644, force); err != nil {
				return err
			}
			res := map[string]any{"org": req.Org, "label": req.Label, "identity_public_key": hex.EncodeToString(req.Key),
				"serial": cert.SerialNumber.Text(16), "not_before": cert.NotBefore.UTC(), "not_after": cert.NotAfter.UTC(), "cert_file": certOut}
			return out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				fmt.Fprintf(w, "certified %q of %q -> %s (public: send it to the member)\n  identity key %x\n  valid until  %s\n",
					req.Label, req.Org, certOut, req.Key, cert.NotAfter.UTC().Format(time.RFC3339))
			})
		},
	}
	out.register(cmd)
	cmd.Flags().StringVar(&caCert, "ca-cert", "", "the chain CA certificate (required)")
	cmd.Flags().StringVar(&caKey, "ca-key", "", "the chain CA private key (required)")
	cmd.Flags().StringVar(&reqPath, "request", "", "the member's certificate request (required)")
	cmd.Flags().StringVar(&certOut, "out", "", "file to write the member certificate to (required)")
	cmd.Flags().StringVar(&wantOrg, "org", "", "refuse a request that does not name this organisation")
	cmd.Flags().DurationVar(&validity, "validity", 0, "certificate lifetime (default 2 years, at most the CA's)")
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing --out")
	for _, f := range []string{"ca-cert", "ca-key", "request", "out"} {
		_ = cmd.MarkFlagRequired(f)
	}
	return cmd
}
