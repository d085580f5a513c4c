package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/console"
	"github.com/veilchain/veil/groupsig"
)

func newAuditEvidenceCmd() *cobra.Command {
	var out outputFlag
	var msg messageFlags
	var scope scopeFlags
	var openerPath, registryPath, sigArg, evOut, certPath string
	var epoch uint64
	cmd := &cobra.Command{
		Use:   "evidence",
		Short: "Open a v2 signature and write the accountable-opening bundle",
		Long: `Open a signature with the opener key at --epoch (default: the registry's
current epoch), find the member whose certificate at that epoch is the
opened A in the issuer's registry (its join response, or the revocation
record into that epoch), check the whole accountable opening (SPEC §5,
conditions 1-4), and write the evidence bundle to --out as JSON: the group
key, message, scope, signature, opening, the member's join request and
response and the group's revocation records into the epoch, and with
--cert the member's identity certificate (so that 'veil audit check --ca'
can name the accused). Anyone checks it with 'veil audit check'. An A the registry never issued for that epoch
is refused (exit 1): it points at the issuer (a "shadow member", SPEC §8).`,
		Example: `  veil audit evidence --opener-key acme.opener.key --registry acme.registry \
    --message "hello" --signature 1106a2… --out evidence.json
  veil audit evidence --opener-key acme.opener.key --registry acme.registry --epoch 0 \
    --message "yes" --scope vote/topic-1 --signature 1107c4… --cert alice.crt --out evidence.json --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			if err := checkAbsent(evOut); err != nil {
				return err
			}
			ok, reg := new(groupsig.OpenerKey), new(groupsig.Registry)
			if _, err := readGS2(openerPath, ok); err != nil {
				return err
			}
			if _, err := readGS2(registryPath, reg); err != nil {
				return err
			}
			gk := reg.GroupKey()
			if cmd.Flags().Changed("epoch") {
				if epoch > gk.Epoch() {
					return badInput(fmt.Errorf("--epoch %d: the registry is at epoch %d", epoch, gk.Epoch()))
				}
				var err error
				if gk, err = gk.AtEpoch(epoch); err != nil {
					return badInput(err)
				}
			}
			m, err := msg.read()
			if err != nil {
				return err
			}
			s, err := scope.read()
			if err != nil {
				return err
			}
			sig, err := argBytes("signature", sigArg)
			if err != nil {
				return err
			}
			o, err := groupsig.Open(ok, gk, m, s, sig, rand.Reader)
			if err != nil {
				return openError(err)
			}
			join, found := reg.Lookup(gk.Epoch(), o.A())
			if !found {
				return refused(fmt.Errorf("%w: the signature opens to A = %x, which the registry never issued for epoch %d: a certificate made outside the registry (the issuer's doing, SPEC §8)",
					groupsig.ErrUnknownMember, o.A(), gk.Epoch()))
			}
			ev, err := groupsig.NewEvidence(gk, m, s, sig, o, join, reg.Records())
			if err != nil {
				return badInput(err)
			}
			accused, err := ev.Check(nil)
			if err != nil {
				return checkError(fmt.Errorf("the evidence does not check: %w", err))
			}
			b := &console.OfflineBundle{Evidence: *ev}
			certMatches := true
			if certPath != "" {
				cert, der, err := readMemberCert(certPath)
				if err != nil {
					return err
				}
				b.MemberCert = der
				pub, _ := cert.PublicKey.(ed25519.PublicKey)
				certMatches = pub.Equal(accused.IdentityKey) && cert.Subject.CommonName == accused.Label
				if !certMatches && out.format == "text" {
					fmt.Fprintf(cmd.ErrOrStderr(), "veil: warning: %s certifies another key or label than the join record's: 'audit check --ca' will refuse this bundle\n", certPath)
				}
			}
			data, err := json.MarshalIndent(b, "", "  ")
			if err != nil {
				return err
			}
			if err := writeFile(evOut, append(data, '\n'), 0o644, false); err != nil {
				return err
			}
			res := map[string]any{"label": accused.Label, "identity_public_key": hex.EncodeToString(accused.IdentityKey),
				"epoch": accused.Epoch, "a": hex.EncodeToString(o.A()), "evidence_file": evOut}
			if certPath != "" {
				res["cert_matches"] = certMatches
			}
			return out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				fmt.Fprintf(w, "signed by %q at epoch %d\n  identity key %s\n  A            %s\n  evidence     %s\n", accused.Label, accused.Epoch, res["identity_public_key"], res["a"], evOut)
			})
		},
	}
	out.register(cmd)
	msg.register(cmd)
	scope.register(cmd)
	cmd.Flags().StringVar(&openerPath, "opener-key", "", "opener key file (required)")
	cmd.Flags().StringVar(&registryPath, "registry", "", "the issuer's registry file (required)")
	cmd.Flags().StringVar(&sigArg, "signature", "", "signature in hex, or a file holding it (required)")
	cmd.Flags().Uint64Var(&epoch, "epoch", 0, "epoch the signature was made at (default: the registry's current epoch)")
	cmd.Flags().StringVar(&evOut, "out", "", "file to write the evidence JSON to (required)")
	cmd.Flags().StringVar(&certPath, "cert", "", "the member's identity certificate (PEM or DER), to put in the bundle")
	for _, f := range []string{"opener-key", "registry", "signature", "out"} {
		_ = cmd.MarkFlagRequired(f)
	}
	return cmd
}
