package main

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/groupsig/bbs04"
)

func newTxCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tx",
		Short: "Sign, send and read anonymous transactions",
		Example: `  veil tx send --node $VEIL_NODE --key alice.key --group acme --chain-id veil-local --topic orders --data "pay 10" --wait
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
	cmd.Flags().StringVar(&f.key, "key", "", "member key file")
	cmd.Flags().StringVar(&f.chainID, "chain-id", "", "chain id")
	cmd.Flags().StringVar(&f.group, "group", "", "group name on chain")
	cmd.Flags().StringVar(&f.topic, "topic", "", "topic (≤ 64 bytes)")
	cmd.Flags().StringVar(&f.data, "data", "", "payload: text, or @FILE to read a file")
	cmd.Flags().Uint64Var(&f.expiryIn, "expiry-in", 100, "blocks after the current height the transaction stays valid")
}

func (f *txFlags) build() (*chain.Tx, error) {
	var missing []string
	for name, v := range map[string]string{"key": f.key, "chain-id": f.chainID, "group": f.group} {
		if v == "" {
			missing = append(missing, "--"+name)
		}
	}
	if len(missing) > 0 {
		return nil, badInput(fmt.Errorf("missing %s", strings.Join(missing, ", ")))
	}
	mk := new(bbs04.MemberKey)
	if err := readKey(f.key, mk); err != nil {
		return nil, err
	}
	payload := []byte(f.data)
	if strings.HasPrefix(f.data, "@") {
		b, err := os.ReadFile(f.data[1:])
		if err != nil {
			return nil, badInput(fmt.Errorf("read payload: %w", err))
		}
		payload = b
	}
	if f.expiryIn == 0 {
		return nil, badInput(errors.New("--expiry-in must be at least 1"))
	}
	tx := &chain.Tx{ChainID: f.chainID, Expiry: f.height + f.expiryIn, Group: f.group, Epoch: mk.PublicKey().Epoch(), Topic: f.topic, Payload: payload}
	var err error
	if tx.Nonce, err = chain.NewNonce(rand.Reader); err != nil {
		return nil, err
	}
	if err := tx.SignAnonymous(mk, rand.Reader); err != nil {
		return nil, badInput(err)
	}
	return tx, nil
}
