package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/node"
)

func newNodeBackupCmd() *cobra.Command {
	var out outputFlag
	var ops opsFlags
	var dir string
	cmd := &cobra.Command{
		Use:   "backup",
		Short: "Back up a running node's chain database",
		Long: `Download a consistent copy of a running node's chain database from its
operations port (GET /admin/backup, an admin endpoint: --tls-cert and
--tls-key name an operator certificate from 'veil ca issue-operator'). The node
takes it from one LevelDB snapshot while it goes on committing: no pause,
no file copy. The stream is checked to its end (record order, count,
SHA-256) before --out gets its manifest: DIR/chain.vbk and
DIR/manifest.json (chain id, height, head hash, records, bytes, sha256).
--out must not exist or be empty. 'veil node restore' installs it.`,
		Example: `  veil node backup --ops https://127.0.0.1:9101 --tls-ca net/ca/ca.crt \
    --tls-cert op.crt --tls-key op.key --out /backups/node-1-$(date +%F)`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			c, err := ops.client()
			if err != nil {
				return err
			}
			stream, from, err := c.Backup(cmd.Context())
			if err != nil {
				return apiError(err)
			}
			defer stream.Close()
			m, err := node.WriteBackup(dir, stream, from)
			if err != nil {
				return refused(err)
			}
			return out.print(cmd.OutOrStdout(), m, func(w io.Writer) {
				fmt.Fprintf(w, "backup of %s (chain %s) at height %d -> %s\n  head    %s\n  records %d, %d bytes, sha256 %s\n",
					m.Node, m.ChainID, m.Height, dir, m.HeadHash, m.Records, m.Bytes, m.SHA256)
			})
		},
	}
	out.register(cmd)
	ops.register(cmd)
	cmd.Flags().StringVar(&dir, "out", "", "backup directory to create (required; must not exist or be empty)")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}
