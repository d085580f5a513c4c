package main

import (
	"encoding"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/groupsig/bbs04"
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
	if err := bbs04.ReadFile(path, v); err != nil {
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

// signedFlags are --gpk, --message|--file and --signature: a signature to
// verify or open under a group key file.
type signedFlags struct {
	gpk, sig string
	msg      messageFlags
}

func (f *signedFlags) register(cmd *cobra.Command) {
	f.msg.register(cmd)
	cmd.Flags().StringVar(&f.gpk, "gpk", "", "group public key file, of the signature's epoch (required)")
	cmd.Flags().StringVar(&f.sig, "signature", "", "signature in hex (required)")
	_ = cmd.MarkFlagRequired("gpk")
	_ = cmd.MarkFlagRequired("signature")
}

// read returns the group key, the message and the signature bytes.
func (f *signedFlags) read() (*bbs04.PublicKey, []byte, []byte, error) {
	pk := new(bbs04.PublicKey)
	if err := readKey(f.gpk, pk); err != nil {
		return nil, nil, nil, err
	}
	m, err := f.msg.read()
	if err != nil {
		return nil, nil, nil, err
	}
	sig, err := decodeHex("signature", f.sig)
	if err != nil {
		return nil, nil, nil, err
	}
	return pk, m, sig, nil
}

// decodeProof parses the --proof argument.
func decodeProof(s string) (*bbs04.OpeningProof, error) {
	b, err := decodeHex("proof", s)
	if err != nil {
		return nil, err
	}
	proof := new(bbs04.OpeningProof)
	if err := proof.UnmarshalBinary(b); err != nil {
		return nil, badInput(fmt.Errorf("--proof: %w", err))
	}
	return proof, nil
}

// openError maps a failed Open: an opener key of another group is bad
// input (exit 2), a signature that does not verify is refused (exit 1).
func openError(err error) error {
	if errors.Is(err, bbs04.ErrWrongGroup) {
		return badInput(err)
	}
	return refused(err)
}
