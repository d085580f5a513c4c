package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/groupsig"
)

func newGroupIssueCmd() *cobra.Command {
	var gd groupDirFlags
	var out outputFlag
	var reqPath, respOut, identity string
	cmd := &cobra.Command{
		Use:   "issue",
		Short: "Answer a join request: the member's certificate (the issuer's side)",
		Long: `Check a join request (its proof of the member's secret, its identity
signature, and that its label, H and hash are new to the group: a replayed
request is refused), issue the certificate (A, x) at the group's current
epoch, record the join in NAME.registry and write the public response to
--out for the member. With --identity the request must also be signed by
that key (the consortium CA's binding of the label to a person).`,
		Example: `  veil group issue --dir "$ISSUER_DIR" --name acme --request alice.req --out alice.resp
  veil group issue --dir "$ISSUER_DIR" --name acme --request alice.req --out alice.resp \
    --identity alice.pub --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			if err := checkAbsent(respOut); err != nil {
				return err
			}
			g := gd.gs2()
			ik, reg, err := g.load()
			if err != nil {
				return err
			}
			req := new(groupsig.JoinRequest)
			if _, err := readGS2(reqPath, req); err != nil {
				return err
			}
			if identity != "" {
				want, err := parsePublicKey("identity", identity)
				if err != nil {
					return err
				}
				if !bytes.Equal(want, req.IdentityKey()) {
					return refused(fmt.Errorf("the request for %q is signed by identity key %x, not by --identity", req.Label(), req.IdentityKey()))
				}
			}
			resp, err := reg.Issue(ik, req, rand.Reader)
			if err != nil {
				return checkError(err)
			}
			// The registry first: a response it does not hold would let x or the label be issued twice.
			if err := writeObjects(g.registryPath(), true, reg); err != nil {
				return err
			}
			if err := writeObjects(respOut, false, resp); err != nil {
				return err
			}
			res := map[string]any{"label": resp.Label(), "epoch": resp.Epoch(), "a": hex.EncodeToString(resp.A()),
				"identity_public_key": hex.EncodeToString(req.IdentityKey()), "response_file": respOut, "registry": g.registryPath()}
			return out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				fmt.Fprintf(w, "issued %q at epoch %d -> %s (public: send it to the member)\n  A %s\n  recorded in %s\n", resp.Label(), resp.Epoch(), respOut, res["a"], g.registryPath())
			})
		},
	}
	gd.register(cmd)
	out.register(cmd)
	cmd.Flags().StringVar(&reqPath, "request", "", "the member's join request file (required)")
	cmd.Flags().StringVar(&respOut, "out", "", "file to write the response to (required)")
	cmd.Flags().StringVar(&identity, "identity", "", "require this Ed25519 identity key (PEM file or hex) to have signed the request")
	_ = cmd.MarkFlagRequired("request")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}
