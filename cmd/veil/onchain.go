package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/client"
	"github.com/veilchain/veil/genesis"
)

// onChainFlags are --node and --admin-key: the on-chain form of the group
// commands, which submit an admin transaction and wait for its commit.
type onChainFlags struct {
	node     nodeFlag
	adminKey string
}

func (o *onChainFlags) register(cmd *cobra.Command, whose string) {
	o.node.register(cmd)
	cmd.Flags().StringVar(&o.adminKey, "admin-key", "", whose+" Ed25519 admin key file; with --node, submits the change on chain")
}

func (o *onChainFlags) enabled() bool { return o.adminKey != "" }

// submitAdmin fills the chain id and expiry from the node, signs tx with
// the admin key, submits it and waits until it is committed.
func (o *onChainFlags) submitAdmin(parent context.Context, tx *chain.Tx) (string, uint64, error) {
	key, err := genesis.ReadPrivateKey(o.adminKey)
	if err != nil {
		return "", 0, badInput(err)
	}
	c, err := o.node.client()
	if err != nil {
		return "", 0, err
	}
	return submitSigned(parent, c, tx, func(tx *chain.Tx) error { return tx.SignAdmin(key) })
}

func submitSigned(parent context.Context, c *client.Client, tx *chain.Tx, sign func(*chain.Tx) error) (string, uint64, error) {
	ctx, cancel := context.WithTimeout(parent, 60*time.Second)
	defer cancel()
	st, err := c.Status(ctx)
	if err != nil {
		return "", 0, apiError(err)
	}
	tx.ChainID, tx.Expiry = st.ChainID, st.Height+100
	if tx.Nonce, err = chain.NewNonce(rand.Reader); err != nil {
		return "", 0, err
	}
	if err := sign(tx); err != nil {
		return "", 0, badInput(err)
	}
	id, err := c.Submit(ctx, tx)
	if err != nil {
		return "", 0, apiError(err)
	}
	h, err := c.WaitCommitted(ctx, id, st.Height+1)
	if err != nil {
		return "", 0, refused(fmt.Errorf("waiting for %s: %w", id, err))
	}
	return id, h, nil
}
