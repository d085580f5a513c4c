package main

import (
	"github.com/spf13/cobra"
	"github.com/veilchain/veil/groupsig/bbs04"
)

func newGroupCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "group",
		Short: "Create groups, issue and revoke member keys (the issuer's tools)",
		Example: `  veil group create --name acme --dir keys
  veil group add-member --dir keys --name acme --label alice --out alice.key
  veil group revoke --dir keys --name acme --label alice
  veil group update-key --key bob.key --record keys/acme.epoch-1.revocation`,
	}
	cmd.AddCommand(newGroupCreateCmd(), newGroupAddMemberCmd(), newGroupRevokeCmd(), newGroupUpdateKeyCmd(), newGroupShowCmd())
	return cmd
}

// groupDirFlags is the --dir/--name pair naming an issuer's group files.
type groupDirFlags struct{ dir, name string }

func (g *groupDirFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&g.dir, "dir", ".", "directory of the group's files")
	cmd.Flags().StringVar(&g.name, "name", "", "group name (required)")
	_ = cmd.MarkFlagRequired("name")
}

func (g *groupDirFlags) groupDir() bbs04.GroupDir {
	return bbs04.GroupDir{Dir: g.dir, Name: g.name}
}
