package main

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/chain"
)

func newTxCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tx",
		Short: "Sign, send and read anonymous transactions",
		Example: `  veil tx send --node $VEIL_NODE --key alice.payments.key --topic orders --data "pay 10" --wait
  veil tx get --node $VEIL_NODE 3fa2…`,
	}
	cmd.AddCommand(newTxSignCmd(), newTxSendCmd(), newTxGetCmd())
	return cmd
}

// txFlags builds an anonymous transaction from flags.
type txFlags struct {
	key, chainID, group, topic, data string
	expiryIn, height                 uint64
}

func (f *txFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.key, "key", "", "member key file (from 'group join')")
	cmd.Flags().StringVar(&f.chainID, "chain-id", "", "chain id")
	cmd.Flags().StringVar(&f.group, "group", "", "group name on chain (default: the key file's; checked against the key)")
	cmd.Flags().StringVar(&f.topic, "topic", "", "topic (≤ 64 bytes)")
	cmd.Flags().StringVar(&f.data, "data", "", "payload: text, or @FILE to read a file")
	cmd.Flags().Uint64Var(&f.expiryIn, "expiry-in", 100, "blocks after the current height the transaction stays valid")
}

// payload reads --data.
func (f *txFlags) payload() ([]byte, error) {
	if strings.HasPrefix(f.data, "@") {
		b, err := os.ReadFile(f.data[1:])
		if err != nil {
			return nil, badInput(fmt.Errorf("read payload: %w", err))
		}
		return b, nil
	}
	return []byte(f.data), nil
}

// build makes and signs the transaction with mf for group, tagged with
// the topic's scope when tagged.
func (f *txFlags) build(mf *memberFile, group string, tagged bool) (*chain.Tx, error) {
	if f.chainID == "" {
		return nil, badInput(errors.New("missing --chain-id"))
	}
	if f.expiryIn == 0 {
		return nil, badInput(errors.New("--expiry-in must be at least 1"))
	}
	payload, err := f.payload()
	if err != nil {
		return nil, err
	}
	tx := &chain.Tx{ChainID: f.chainID, Expiry: f.height + f.expiryIn, Group: group, Epoch: mf.mk.Epoch(), Topic: f.topic, Payload: payload}
	if tx.Nonce, err = chain.NewNonce(rand.Reader); err != nil {
		return nil, err
	}
	if err := tx.SignAnonymous(mf.gk, mf.mk, tagged, rand.Reader); err != nil {
		return nil, badInput(err)
	}
	return tx, nil
}
