package main

import "github.com/spf13/cobra"

func newGroupCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "group",
		Short: "Create groups, join them, answer joins, revoke members and update member keys",
		Long: `Groups are v2 (SPEC-groupsig-v2.md): a member joins with a secret only it
knows and an Ed25519 identity key the consortium CA certified, so that an
opening names a person who cannot deny it, and the issuer cannot frame
anyone.

On chain: the member runs 'group join' (posts a join request, waits for
the answer, finishes its key); the issuer runs 'group issue --pending'
to see and answer requests, and 'group revoke --admin-key' to revoke;
members run 'group update-key --node' ('tx send' does it by itself).
'group create --admin-key' adds a new group on chain; 'group show' reads
one.

Offline, with files passed by hand: 'group create', 'join-request',
'issue --request', 'join-finish', 'revoke', 'update-key --record'.`,
		Example: `  # member, with a certificate from 'veil ca issue-member'
  veil group join --node $VEIL_NODE --group payments --identity alice.id --cert alice.crt --out alice.payments.key
  # issuer
  veil group issue --node $VEIL_NODE --dir net/groups --name payments \
    --admin-key net/groups/payments.admin.key --auto --policy policy.json
  veil group revoke --node $VEIL_NODE --dir net/groups --name payments --label carol \
    --admin-key net/groups/payments.admin.key
  # every remaining member
  veil group update-key --node $VEIL_NODE --key bob.payments.key`,
	}
	cmd.AddCommand(newGroupCreateCmd(), newGroupJoinCmd(), newGroupJoinRequestCmd(), newGroupIssueCmd(), newGroupJoinFinishCmd(),
		newGroupRevokeCmd(), newGroupUpdateKeyCmd(), newGroupShowCmd())
	return cmd
}

// groupDirFlags is the --dir/--name pair naming an issuer's group files.
type groupDirFlags struct{ dir, name string }

func (g *groupDirFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&g.dir, "dir", ".", "directory of the group's files")
	cmd.Flags().StringVar(&g.name, "name", "", "group name (required)")
	_ = cmd.MarkFlagRequired("name")
}

// gs2 is the issuer's layout, as 'group create', genesis and testnet
// write it.
func (g *groupDirFlags) gs2() gs2Dir { return gs2Dir{dir: g.dir, name: g.name} }
