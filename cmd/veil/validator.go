package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/client"
	"github.com/veilchain/veil/genesis"
)

func newValidatorCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "validator",
		Short: "Add and remove validators at runtime (the consortium admin's tool), list them",
		Long: `The validators are chain state: genesis's at first, then as the consortium
admin's add_validator and remove_validator transactions leave them, from
the block after the one that commits the change. Every node checks block
proposers against the set of their height; the raft leader then makes
raft's voters follow the set, one change at a time: an added node joins
raft as a non-voter, catches up, and is promoted; a removed one is
demoted to a non-voter and goes on following as an observer; a removed
leader hands leadership to another voter first.

A change is refused with its reason: bad_admin_signature (not signed by
the consortium admin key), unknown_node (removing a node that is no
validator; adding one without a chain-CA node certificate of that id),
conflict (already a validator, revoked, its raft address taken, a second
change in one block), no_quorum (after the change fewer than a majority
of the validators are reachable from the node you submit to, or none
would be left).`,
		Example: `  veil validator list --node http://127.0.0.1:7010
  veil validator add --node http://127.0.0.1:7010 --admin-key "$NET/admin.key" --id node-4 --raft-addr 127.0.0.1:7042 --wait
  veil validator remove --node http://127.0.0.1:7010 --admin-key "$NET/admin.key" --id node-2 --wait`,
	}
	cmd.AddCommand(newValidatorAddCmd(), newValidatorRemoveCmd(), newValidatorListCmd())
	return cmd
}

func newValidatorAddCmd() *cobra.Command {
	var out outputFlag
	var oc onChainFlags
	var id, raftAddr, certFile string
	var wait bool
	cmd := &cobra.Command{
		Use:   "add",
		Short: "Make a certified node a validator",
		Long: `Submit an add_validator transaction signed by the consortium admin key and
wait for its commit; with --wait, also until raft's configuration (as
--node has it) makes the node a voter. The transaction carries the
node's id, its raft address and its node certificate: from --cert (PEM,
for a node not running yet), else the certificate the node presents on
its raft address (an observer already running). Either way every node
checks it against the chain CA.`,
		Example: `  veil validator add --node http://127.0.0.1:7010 --admin-key "$NET/admin.key" --id node-4 --raft-addr 127.0.0.1:7042 --wait
  veil validator add --node $VEIL_NODE --admin-key "$NET/admin.key" --id node-6 --raft-addr 10.0.0.6:7000 --cert node-6/node.crt
  veil validator add --node $VEIL_NODE --admin-key "$NET/admin.key" --id node-5 --cert "$NET/nodes/node-5/node.crt" --wait   # BFT chain`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			if !oc.enabled() || id == "" || (raftAddr == "" && certFile == "") {
				return badInput(errors.New("--id, --admin-key and --raft-addr (or, on a BFT chain, --cert) are required"))
			}
			if !chain.ValidNodeID(id) {
				return badInput(fmt.Errorf("--id %q is not a node id: 1 to 64 of A-Z a-z 0-9 . _ -", id))
			}
			ctx, cancel := oc.context(cmd)
			defer cancel()
			if raftAddr == "" {
				// A BFT chain runs no raft: its validators need no raft
				// address. A raft chain's do.
				if err := requireBFT(ctx, &oc); err != nil {
					return err
				}
			}
			der, err := nodeCertificate(ctx, certFile, raftAddr)
			if err != nil {
				return err
			}
			txID, h, err := oc.submitAdmin(ctx, &chain.Tx{Kind: chain.KindAddValidator, Node: id, RaftAddr: raftAddr, NodeCert: der})
			if err != nil {
				return err
			}
			var engine string
			if wait {
				if engine, err = waitVoter(ctx, &oc, id, true); err != nil {
					return err
				}
			}
			res := map[string]any{"added": id, "raft_addr": raftAddr, "tx": txID, "height": h, "voter": wait}
			return out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				fmt.Fprintf(w, "node %s is a validator from height %d\n", id, h+1)
				switch {
				case wait && engine == chain.ConsensusBFT:
					fmt.Fprintf(w, "the BFT engine orders with %s\n", id)
				case wait:
					fmt.Fprintf(w, "raft made %s a voter\n", id)
				}
			})
		},
	}
	out.register(cmd)
	oc.register(cmd, "the consortium admin's")
	cmd.Flags().StringVar(&id, "id", "", "node id (its certificate's CN) to add (required)")
	cmd.Flags().StringVar(&raftAddr, "raft-addr", "", "the node's raft address host:port, as its config's raft_addr (required on raft; a BFT chain needs none, give --cert)")
	cmd.Flags().StringVar(&certFile, "cert", "", "the node's certificate (PEM); default: the one it presents on --raft-addr")
	cmd.Flags().BoolVar(&wait, "wait", false, "wait until raft has made the node a voter (BFT: until --node's engine orders with it)")
	return cmd
}

func newValidatorRemoveCmd() *cobra.Command {
	var out outputFlag
	var oc onChainFlags
	var id string
	var wait bool
	cmd := &cobra.Command{
		Use:   "remove",
		Short: "Take a validator out of the set; it goes on as an observer",
		Long: `Submit a remove_validator transaction signed by the consortium admin key
and wait for its commit; with --wait, also until raft's configuration
(as --node has it) no longer counts the node as a voter. The node keeps
running and following the chain as an observer; a removed leader hands
leadership to another voter first. Refused with no_quorum when, after
the change, fewer than a majority of the validators are reachable from
--node (bring the others back first) or none would be left.`,
		Example: `  veil validator remove --node http://127.0.0.1:7010 --admin-key "$NET/admin.key" --id node-2 --wait`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			if !oc.enabled() || id == "" {
				return badInput(errors.New("--id and --admin-key are required"))
			}
			ctx, cancel := oc.context(cmd)
			defer cancel()
			txID, h, err := oc.submitAdmin(ctx, &chain.Tx{Kind: chain.KindRemoveValidator, Node: id})
			if err != nil {
				return err
			}
			var engine string
			if wait {
				if engine, err = waitVoter(ctx, &oc, id, false); err != nil {
					return err
				}
			}
			res := map[string]any{"removed": id, "tx": txID, "height": h, "demoted": wait}
			return out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				fmt.Fprintf(w, "node %s is no validator from height %d\n", id, h+1)
				switch {
				case wait && engine == chain.ConsensusBFT:
					fmt.Fprintf(w, "the BFT engine no longer orders with %s\n", id)
				case wait:
					fmt.Fprintf(w, "raft no longer counts %s as a voter\n", id)
				}
			})
		},
	}
	out.register(cmd)
	oc.register(cmd, "the consortium admin's")
	cmd.Flags().StringVar(&id, "id", "", "validator id to remove (required)")
	cmd.Flags().BoolVar(&wait, "wait", false, "wait until raft no longer counts the node as a voter (BFT: until --node's engine no longer orders with it)")
	return cmd
}

func newValidatorListCmd() *cobra.Command {
	var out outputFlag
	var nf nodeFlag
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the validators of chain state and their raft suffrage",
		Long: `List the validator set of chain state at the node's head (GET
/v1/validators), each with its suffrage in the node's raft configuration:
voter, nonvoter (added, catching up) or absent (not yet added by the
leader); then raft's other servers (observers). On a BFT chain, which
runs no raft, the validators and the height that made each one, and the
faults the set tolerates ("5 validators (bft, f=1)").`,
		Example: `  veil validator list --node http://127.0.0.1:7010 --output json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withNode(cmd, &out, &nf, func(ctx context.Context, c *client.Client) error {
				v, err := c.Validators(ctx)
				if err != nil {
					return apiError(err)
				}
				st, err := c.Status(ctx)
				if err != nil {
					return apiError(err)
				}
				return out.print(cmd.OutOrStdout(), v, func(w io.Writer) {
					tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
					if statusEngine(st) == chain.ConsensusBFT {
						// No raft: the engine orders with exactly these.
						fmt.Fprintf(tw, "ID\tSINCE\n")
						for _, x := range v.Validators {
							fmt.Fprintf(tw, "%s\t%d\n", x.ID, x.Since)
						}
						tw.Flush()
						fmt.Fprintf(w, "%s at height %d\n", describeValidators(chain.ConsensusBFT, len(v.Validators)), v.Height)
						return
					}
					fmt.Fprintf(tw, "ID\tRAFT ADDR\tSINCE\tRAFT\n")
					in := map[string]bool{}
					for _, x := range v.Validators {
						in[x.ID] = true
						addr := x.RaftAddr
						if addr == "" {
							addr = "(genesis)"
						}
						fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", x.ID, addr, x.Since, x.Raft)
					}
					for _, s := range v.Raft {
						if !in[s.ID] {
							fmt.Fprintf(tw, "%s\t%s\t-\t%s (observer)\n", s.ID, s.Addr, s.Suffrage)
						}
					}
					tw.Flush()
					fmt.Fprintf(w, "%d validators at height %d\n", len(v.Validators), v.Height)
				})
			})
		},
	}
	out.register(cmd)
	nf.register(cmd)
	return cmd
}

// nodeCertificate returns the DER of the node certificate in file (PEM)
// or, with no file, of the certificate the node presents on its raft
// address. The handshake is abandoned as soon as the certificate is read
// (the raft port requires a client certificate this tool does not have);
// the ledger checks the certificate against the chain CA either way.
func nodeCertificate(ctx context.Context, file, raftAddr string) ([]byte, error) {
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, badInput(fmt.Errorf("--cert: %w", err))
		}
		c, err := genesis.ParseCertificatePEM(data)
		if err != nil {
			return nil, badInput(fmt.Errorf("--cert %s: %w", file, err))
		}
		return c.Raw, nil
	}
	var der []byte
	errGot := errors.New("certificate read")
	cfg := &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13, // only reads the certificate: the ledger verifies it
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) > 0 {
				der = raw[0]
			}
			return errGot
		}}
	d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: 5 * time.Second}, Config: cfg}
	conn, err := d.DialContext(ctx, "tcp", raftAddr)
	if conn != nil {
		conn.Close()
	}
	if der == nil {
		return nil, badInput(fmt.Errorf("read the node's certificate on --raft-addr %s: %v (is the node running? else give --cert)", raftAddr, err))
	}
	return der, nil
}

// waitVoter waits until --node counts id as a voter or not (raft's
// configuration, or the BFT engine's validators) and returns the chain's
// engine; running out of --timeout is refused (exit 1): the change is on
// chain, the engine has not followed yet (on raft an added node still
// catching up or down).
// requireBFT refuses, as bad input, a validator without a raft address
// unless --node's chain orders with BFT.
func requireBFT(ctx context.Context, oc *onChainFlags) error {
	c, err := oc.node.client()
	if err != nil {
		return err
	}
	st, err := c.Status(ctx)
	if err != nil {
		return chainError(err)
	}
	if st.Consensus != chain.ConsensusBFT {
		return badInput(fmt.Errorf("--raft-addr is required on a %s chain", st.Consensus))
	}
	return nil
}

func waitVoter(ctx context.Context, oc *onChainFlags, id string, voter bool) (string, error) {
	c, err := oc.node.client()
	if err != nil {
		return "", err
	}
	engine, err := c.WaitVoter(ctx, id, voter)
	if err != nil {
		return engine, refused(fmt.Errorf("the change is committed, but %s has not applied it yet: %w", engine, err))
	}
	return engine, nil
}
