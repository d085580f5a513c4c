package main

import "github.com/spf13/cobra"

func newAuditCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Open signatures to their signers and check the evidence (the regulator's tools)",
		Long: `Accountable opening (SPEC-groupsig-v2 §5). 'audit open' takes a committed
transaction and the opener key, opens the signature and builds the
evidence bundle from chain data alone: the transaction's id (the signed
message), its signature and tag scope, the opening, the member's join
record and identity certificate, and the group's revocation records.
'audit check' checks a bundle offline — no node, no secret — down to the
member's identity certificate from the consortium CA, and names the
member's organisation, label and identity key. 'audit evidence' makes a
bundle offline from a signature and the issuer's registry.`,
		Example: `  veil audit open --node $VEIL_NODE --opener-key net/groups/payments.opener.key --tx 3fa2… --out evidence.json
  veil audit check --evidence evidence.json --ca ca.crt
  veil audit evidence --opener-key acme.opener.key --registry acme.registry \
    --message "hello" --signature 1106a2… --out evidence.json`,
	}
	share := &cobra.Command{Use: "share", Short: "An opening authority's share of the opener key", Example: `  veil audit share accept --node $VEIL_NODE --share regulator.share --identity regulator.id`}
	share.AddCommand(newCommitteeShareProofCmd())
	cmd.AddCommand(newAuditOpenCmd(), newAuditEvidenceCmd(), newAuditCheckCmd(), newCommitteeCmd(), share,
		newOpeningConsentCmd(), newOpeningReleaseCmd(), newOpeningShowCmd(), newAuditConsoleCmd())
	return cmd
}
