package main

import (
	"encoding"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/groupsig"
)

// messageFlags is the --message TEXT | --file F pair of commands that sign
// or check a message.
type messageFlags struct {
	text string
	file string
}

func (m *messageFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&m.text, "message", "", "the message, as text")
	cmd.Flags().StringVar(&m.file, "file", "", "read the message from this file")
	cmd.MarkFlagsMutuallyExclusive("message", "file")
	cmd.MarkFlagsOneRequired("message", "file")
}

func (m *messageFlags) read() ([]byte, error) {
	if m.file != "" {
		b, err := os.ReadFile(m.file)
		if err != nil {
			return nil, badInput(fmt.Errorf("read message: %w", err))
		}
		return b, nil
	}
	return []byte(m.text), nil
}

// readKey reads a key file as the CLI writes it, or the raw (or hex) bytes
// of the spec's encoding.
func readKey(path string, v encoding.BinaryUnmarshaler) error {
	if path == "" {
		return badInput(errors.New("no key file given"))
	}
	if err := groupsig.ReadFile(path, v); err != nil {
		return badInput(err)
	}
	return nil
}

// decodeHex decodes a hex argument, naming the flag when it is not hex.
func decodeHex(flag, s string) ([]byte, error) {
	b, err := hex.DecodeString(strings.TrimPrefix(strings.TrimSpace(s), "0x"))
	if err != nil {
		return nil, badInput(fmt.Errorf("--%s is not hex: %w", flag, err))
	}
	return b, nil
}
