package main

import (
	"github.com/spf13/cobra"
	"github.com/veilchain/veil/groupsig/bbs04"
)

func newGroupCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "group",
		Short: "Create groups, join, issue, revoke and update member keys",
		Long: `Offline (v2, SPEC-groupsig-v2.md) the issuer and each member keep their
own directories: the issuer creates the group, the member sends a join
request made with a secret only the member knows, the issuer answers it,
and the member finishes the key. On chain (v1, with --admin-key against a
node) the issuer registers members and revocations of a v1 group that
genesis or testnet created.`,
		Example: `  # issuer
  veil group create --name acme --dir issuer
  # member, with the public issuer/acme.gpk
  veil member keygen --out alice.id
  veil group join-request --gpk acme.gpk --label alice --identity alice.id --out alice.req
  # issuer
  veil group issue --dir issuer --name acme --request alice.req --out alice.resp
  # member
  veil group join-finish --request-secret alice.req.secret --response alice.resp --out alice.key
  # issuer, then every remaining member
  veil group revoke --dir issuer --name acme --label mallory --out acme.epoch-1.revocation
  veil group update-key --key bob.key --record acme.epoch-1.revocation`,
	}
	cmd.AddCommand(newGroupCreateCmd(), newGroupJoinRequestCmd(), newGroupIssueCmd(), newGroupJoinFinishCmd(),
		newGroupAddMemberCmd(), newGroupRevokeCmd(), newGroupUpdateKeyCmd(), newGroupShowCmd())
	return cmd
}

// groupDirFlags is the --dir/--name pair naming an issuer's group files.
type groupDirFlags struct{ dir, name string }

func (g *groupDirFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&g.dir, "dir", ".", "directory of the group's files")
	cmd.Flags().StringVar(&g.name, "name", "", "group name (required)")
	_ = cmd.MarkFlagRequired("name")
}

// groupDir is the v1 (BBS04) layout, as genesis and testnet write it.
func (g *groupDirFlags) groupDir() bbs04.GroupDir {
	return bbs04.GroupDir{Dir: g.dir, Name: g.name}
}

// gs2 is the v2 layout, as 'group create' writes it.
func (g *groupDirFlags) gs2() gs2Dir { return gs2Dir{dir: g.dir, name: g.name} }
