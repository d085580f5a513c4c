package main

import (
	"context"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/client"
)

func newGroupShowCmd() *cobra.Command {
	var out outputFlag
	var nf nodeFlag
	var member, certOut string
	var epoch uint64
	var force bool
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Show a group's on-chain state: epoch, key, members, pending join requests",
		Long: `Show a group from chain state: its current epoch, its key (at --epoch if
given), the issuer's admin key, its register of members (label,
organisation, state, the epoch it joined at, the epoch its revocation
started) and the join requests pending the issuer's answer.

With --member LABEL it shows that member's public join record instead, and
--cert-out writes the member's identity certificate (PEM) to a file: the
public data an auditor needs.`,
		Example: `  veil group show payments --node http://127.0.0.1:7010
  veil group show payments --epoch 0 --output json
  veil group show payments --member alice --cert-out alice.crt`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if certOut != "" && member == "" {
				return badInput(fmt.Errorf("--cert-out needs --member"))
			}
			return withNode(cmd, &out, &nf, func(ctx context.Context, c *client.Client) error {
				if member != "" {
					return showMember(cmd, &out, ctx, c, args[0], member, certOut, force)
				}
				var err error
				g, err := c.Group(ctx, args[0])
				if cmd.Flags().Changed("epoch") {
					g, err = c.GroupAt(ctx, args[0], epoch)
				}
				if err != nil {
					return apiError(err)
				}
				return out.print(cmd.OutOrStdout(), g, func(w io.Writer) {
					fmt.Fprintf(w, "group      %s\nepoch      %d\nkey        %.32s… (epoch %d)\nadmin key  %s\n", g.Name, g.Epoch, g.GroupKey, g.KeyEpoch, g.AdminKey)
					fmt.Fprintf(w, "members    %d\n", len(g.Members))
					for _, m := range g.Members {
						state := m.State
						if m.RevokedAt != 0 {
							state = fmt.Sprintf("revoked at epoch %d", m.RevokedAt)
						}
						fmt.Fprintf(w, "  %-12s %-20s joined at epoch %d (height %d), %s\n", m.Label, m.Org, m.Joined, m.Height, state)
					}
					fmt.Fprintf(w, "pending    %d\n", len(g.Pending))
					for _, p := range g.Pending {
						fmt.Fprintf(w, "  %-12s %-20s request %.16s… (height %d)\n", p.Label, p.Org, p.Hash, p.Height)
					}
				})
			})
		},
	}
	out.register(cmd)
	nf.register(cmd)
	cmd.Flags().Uint64Var(&epoch, "epoch", 0, "show the group key of this epoch")
	cmd.Flags().StringVar(&member, "member", "", "show this member's join record")
	cmd.Flags().StringVar(&certOut, "cert-out", "", "with --member: write its identity certificate (PEM) here")
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing --cert-out")
	return cmd
}

func showMember(cmd *cobra.Command, out *outputFlag, ctx context.Context, c *client.Client, group, label, certOut string, force bool) error {
	m, err := c.Member(ctx, group, label)
	if err != nil {
		return apiError(err)
	}
	if certOut != "" {
		der, err := hex.DecodeString(m.Cert)
		if err != nil {
			return badInput(fmt.Errorf("member %q: certificate is not hex: %w", label, err))
		}
		if err := writeFile(certOut, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644, force); err != nil {
			return err
		}
	}
	return out.print(cmd.OutOrStdout(), m, func(w io.Writer) {
		fmt.Fprintf(w, "member        %s of %s\norganisation  %s\nidentity key  %s\nstate         %s\njoined        epoch %d (height %d)\nA             %s\n",
			m.Label, m.Group, m.Org, m.IdentityKey, m.State, m.Joined, m.Height, m.A)
		if m.RevokedAt != 0 {
			fmt.Fprintf(w, "revoked       at epoch %d\n", m.RevokedAt)
		}
		if certOut != "" {
			fmt.Fprintf(w, "certificate   %s\n", certOut)
		}
	})
}
