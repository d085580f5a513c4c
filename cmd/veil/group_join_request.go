package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/groupsig"
)

func newGroupJoinRequestCmd() *cobra.Command {
	var out outputFlag
	var gpkPath, label, identity, reqOut, secretOut, issuerProof, openerProof string
	cmd := &cobra.Command{
		Use:   "join-request",
		Short: "Ask to join a group: a public request and its secret half (the member's side)",
		Long: `Check the issuer's and the opener's proofs published with the group key,
then make a join request for --label: the member draws a secret y, sends
only H = h0^y with a proof of y, and signs the request with its Ed25519
identity key. The request (public) goes to --out for the issuer; the secret
half (y, with the request) to --secret-out (default: --out with .secret
appended, mode 0600), which 'group join-finish' needs. y never leaves that
file. Existing files are never replaced.

--gpk is the group's .gpk file (group key, issuer proof, opener proof); a
key given as hex or raw bytes needs --issuer-proof and --opener-proof (hex
or files).`,
		Example: `  veil group join-request --gpk acme.gpk --label alice --identity alice.id --out alice.req
  veil group join-request --gpk acme.gpk --label alice --identity alice.id \
    --out alice.req --secret-out "$HOME/.veil/alice.req.secret" --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			if secretOut == "" {
				secretOut = reqOut + ".secret"
			}
			if err := checkAbsent(reqOut, secretOut); err != nil {
				return err
			}
			if err := groupsig.CheckLabel(label); err != nil {
				return badInput(fmt.Errorf("--label: %w", err))
			}
			gf, err := readGroupFile(gpkPath, issuerProof, openerProof)
			if err != nil {
				return err
			}
			id, err := readIdentity(identity)
			if err != nil {
				return err
			}
			req, js, err := groupsig.NewJoinRequest(gf.gk, gf.ip, gf.op, label, id, rand.Reader)
			if err != nil {
				return checkError(err)
			}
			// The secret first: a request without its secret is useless.
			if err := writeObjects(secretOut, false, js); err != nil {
				return err
			}
			if err := writeObjects(reqOut, false, req); err != nil {
				return err
			}
			hreq, ref := req.Hash(), req.GroupRef()
			res := map[string]any{"label": label, "gref": hex.EncodeToString(ref[:]), "hreq": hex.EncodeToString(hreq[:]),
				"identity_public_key": hex.EncodeToString(req.IdentityKey()), "request_file": reqOut, "secret_file": secretOut}
			return out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				fmt.Fprintf(w, "join request for %q -> %s (public: send it to the issuer)\n  secret half %s (secret: keep it for join-finish)\n  hreq        %x\n", label, reqOut, secretOut, hreq)
			})
		},
	}
	out.register(cmd)
	cmd.Flags().StringVar(&gpkPath, "gpk", "", "the group's .gpk file (required)")
	cmd.Flags().StringVar(&label, "label", "", "the label to join under, 1..64 bytes of UTF-8 (required)")
	cmd.Flags().StringVar(&identity, "identity", "", "the member's Ed25519 identity key file, from 'member keygen' (required)")
	cmd.Flags().StringVar(&reqOut, "out", "", "file to write the public request to (required)")
	cmd.Flags().StringVar(&secretOut, "secret-out", "", "file to write the secret half to (default: --out + .secret)")
	cmd.Flags().StringVar(&issuerProof, "issuer-proof", "", "the issuer proof, hex or file, if --gpk does not hold it")
	cmd.Flags().StringVar(&openerProof, "opener-proof", "", "the opener proof, hex or file, if --gpk does not hold it")
	for _, f := range []string{"gpk", "label", "identity", "out"} {
		_ = cmd.MarkFlagRequired(f)
	}
	return cmd
}
