package main

import (
	"bytes"
	"encoding"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/groupsig"
)

// messageFlags is the --message TEXT | --message-file F pair of commands
// that sign or check a message.
type messageFlags struct {
	text string
	file string
}

func (m *messageFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&m.text, "message", "", "the message, as text")
	cmd.Flags().StringVar(&m.file, "message-file", "", "read the message from this file (raw bytes)")
	cmd.MarkFlagsMutuallyExclusive("message", "message-file")
	cmd.MarkFlagsOneRequired("message", "message-file")
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

// scopeFlags is the optional --scope TEXT | --scope-hex HEX of a tagged
// signature (v2): one tag per member per scope.
type scopeFlags struct {
	text, hex string
	cmd       *cobra.Command
}

func (s *scopeFlags) register(cmd *cobra.Command) {
	s.cmd = cmd
	cmd.Flags().StringVar(&s.text, "scope", "", "scope of a tagged signature, as text (1..255 bytes)")
	cmd.Flags().StringVar(&s.hex, "scope-hex", "", "scope of a tagged signature, in hex")
	cmd.MarkFlagsMutuallyExclusive("scope", "scope-hex")
}

// read returns the scope, or nil for an untagged signature.
func (s *scopeFlags) read() ([]byte, error) {
	var scope []byte
	switch {
	case s.cmd.Flags().Changed("scope-hex"):
		b, err := decodeHex("scope-hex", s.hex)
		if err != nil {
			return nil, err
		}
		scope = b
	case s.cmd.Flags().Changed("scope"):
		scope = []byte(s.text)
	default:
		return nil, nil
	}
	if err := groupsig.CheckScope(scope); err != nil {
		return nil, badInput(fmt.Errorf("scope: %w", err))
	}
	return scope, nil
}

// readGS2 reads a v2 file (PEM as the CLI writes it, or the hex or raw
// bytes of the spec's encoding) into v and returns its PEM block, nil for
// hex or raw input. A v1 file is named as such.
func readGS2(path string, v encoding.BinaryUnmarshaler) (*pem.Block, error) {
	if path == "" {
		return nil, badInput(errors.New("no file given"))
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, badInput(err)
	}
	block, err := groupsig.Dearmor(data, v)
	if err != nil {
		if fileVersion(data) == 1 {
			return nil, badInput(fmt.Errorf("read %s: a v1 (BBS04) file: v1 groups are retired, the chain and the CLI use v2 only: %w", path, err))
		}
		return nil, badInput(fmt.Errorf("read %s: %w", path, err))
	}
	return block, nil
}

// fileVersion tells a retired v1 (BBS04) file from a v2 one by its PEM
// type or leading suite byte: 1, 2, or 0 when neither.
func fileVersion(data []byte) int {
	data = bytes.TrimSpace(data)
	if block, _ := pem.Decode(data); block != nil {
		switch {
		case strings.HasPrefix(block.Type, "VEIL GS2 "):
			return 2
		case strings.HasPrefix(block.Type, "VEIL GROUP "):
			return 1
		}
		return 0
	}
	if raw, err := hex.DecodeString(string(data)); err == nil {
		data = raw
	}
	switch {
	case len(data) == 0:
		return 0
	case groupsig.Suite(data[0]).Valid():
		return 2
	case data[0] == 0x01 || data[0] == 0x02: // v1's suites
		return 1
	}
	return 0
}

// decodeHex decodes a hex argument, naming the flag when it is not hex.
func decodeHex(flag, s string) ([]byte, error) {
	b, err := hex.DecodeString(strings.TrimPrefix(strings.TrimSpace(s), "0x"))
	if err != nil {
		return nil, badInput(fmt.Errorf("--%s is not hex: %w", flag, err))
	}
	return b, nil
}

// argBytes returns the bytes of an argument given inline in hex, or as a
// file holding them in hex or raw.
func argBytes(flag, s string) ([]byte, error) {
	if b, err := hex.DecodeString(strings.TrimPrefix(strings.TrimSpace(s), "0x")); err == nil {
		return b, nil
	}
	data, err := os.ReadFile(s)
	if err != nil {
		return nil, badInput(fmt.Errorf("--%s is neither hex nor a readable file: %w", flag, err))
	}
	if b, err := hex.DecodeString(string(bytes.TrimSpace(data))); err == nil {
		return b, nil
	}
	return data, nil
}

// readArg decodes into v an argument given inline in hex, or as a file
// (PEM, hex or raw).
func readArg(flag, s string, v encoding.BinaryUnmarshaler) error {
	if b, err := hex.DecodeString(strings.TrimPrefix(strings.TrimSpace(s), "0x")); err == nil {
		if err := v.UnmarshalBinary(b); err != nil {
			return badInput(fmt.Errorf("--%s: %w", flag, err))
		}
		return nil
	}
	if _, err := os.Stat(s); err != nil {
		return badInput(fmt.Errorf("--%s is neither hex nor a readable file: %w", flag, err))
	}
	if _, err := readGS2(s, v); err != nil {
		return badInput(fmt.Errorf("--%s: %w", flag, err))
	}
	return nil
}

// signedFlags are --gpk, --epoch, --message|--message-file, --scope|
// --scope-hex and --signature: a v2 signature to verify or open.
type signedFlags struct {
	gpk, sig string
	epoch    uint64
	msg      messageFlags
	scope    scopeFlags
	cmd      *cobra.Command
}

func (f *signedFlags) register(cmd *cobra.Command) {
	f.cmd = cmd
	f.msg.register(cmd)
	f.scope.register(cmd)
	cmd.Flags().StringVar(&f.gpk, "gpk", "", "group key file (PEM as 'group create' writes it, hex or raw) (required)")
	cmd.Flags().Uint64Var(&f.epoch, "epoch", 0, "epoch the signature was made at (default: the epoch of the --gpk key)")
	cmd.Flags().StringVar(&f.sig, "signature", "", "signature in hex, or a file holding it (required)")
	_ = cmd.MarkFlagRequired("gpk")
	_ = cmd.MarkFlagRequired("signature")
}

// signed is a signature with what it is checked against.
type signed struct {
	gk              *groupsig.GroupKey // of the signature's epoch
	msg, scope, sig []byte
}

// read returns the group key at the signature's epoch, the message, the
// scope (nil if untagged) and the signature bytes.
func (f *signedFlags) read() (*signed, error) {
	gk, err := readGroupKey(f.gpk)
	if err != nil {
		return nil, err
	}
	if f.cmd.Flags().Changed("epoch") {
		if gk, err = gk.AtEpoch(f.epoch); err != nil {
			return nil, badInput(fmt.Errorf("--epoch: %w", err))
		}
	}
	s := &signed{gk: gk}
	if s.msg, err = f.msg.read(); err != nil {
		return nil, err
	}
	if s.scope, err = f.scope.read(); err != nil {
		return nil, err
	}
	if s.sig, err = argBytes("signature", f.sig); err != nil {
		return nil, err
	}
	return s, nil
}

// openError maps a failed Open: an opener key of another group is bad
// input (exit 2), a signature that does not verify is refused (exit 1).
func openError(err error) error {
	if errors.Is(err, groupsig.ErrWrongGroup) {
		return badInput(err)
	}
	return refused(err)
}

// checkError maps a v2 failure: a signature, proof, key, record, request
// or opening that was checked and did not hold — or that belongs to
// another group or suite — is refused (exit 1); anything else (malformed
// input, an unreadable file) is bad input (exit 2).
func checkError(err error) error {
	for _, e := range []error{groupsig.ErrInvalidSignature, groupsig.ErrInvalidProof, groupsig.ErrInvalidKey,
		groupsig.ErrInvalidRevocation, groupsig.ErrRevoked, groupsig.ErrDuplicate, groupsig.ErrUnknownMember,
		groupsig.ErrNotAccountable, groupsig.ErrWrongGroup, groupsig.ErrWrongSuite} {
		if errors.Is(err, e) {
			return refused(err)
		}
	}
	return badInput(err)
}
