package groupsig

import (
	"bytes"
	"encoding"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
)

// PEM block types, one per encoding. A file holds one or more blocks; a
// reader takes the block of the type it wants.
const (
	ArmorGroupKey     = "VEIL GS2 GROUP KEY"
	ArmorIssuerProof  = "VEIL GS2 ISSUER PROOF"
	ArmorOpenerProof  = "VEIL GS2 OPENER PROOF"
	ArmorIssuerKey    = "VEIL GS2 ISSUER KEY"
	ArmorOpenerKey    = "VEIL GS2 OPENER KEY"
	ArmorJoinRequest  = "VEIL GS2 JOIN REQUEST"
	ArmorJoinResponse = "VEIL GS2 JOIN RESPONSE"
	ArmorJoinSecret   = "VEIL GS2 JOIN SECRET"
	ArmorMemberKey    = "VEIL GS2 MEMBER KEY"
	ArmorRecord       = "VEIL GS2 REVOCATION RECORD"
	ArmorOpening      = "VEIL GS2 OPENING"
	ArmorRegistry     = "VEIL GS2 REGISTRY"
	// ArmorCommittee is a threshold committee (0B), public.
	ArmorCommittee = "VEIL GS2 COMMITTEE"
	// ArmorShare is an authority's share of the opener key (85), secret.
	ArmorShare = "VEIL GS2 OPENING SHARE"
)

// armorType names the block type of v and whether v holds a secret.
func armorType(v any) (string, bool, error) {
	switch v.(type) {
	case *GroupKey:
		return ArmorGroupKey, false, nil
	case *IssuerProof:
		return ArmorIssuerProof, false, nil
	case *OpenerProof:
		return ArmorOpenerProof, false, nil
	case *IssuerKey:
		return ArmorIssuerKey, true, nil
	case *OpenerKey:
		return ArmorOpenerKey, true, nil
	case *JoinRequest:
		return ArmorJoinRequest, false, nil
	case *JoinResponse:
		return ArmorJoinResponse, false, nil
	case *JoinSecret:
		return ArmorJoinSecret, true, nil
	case *MemberKey:
		return ArmorMemberKey, true, nil
	case *RevocationRecord:
		return ArmorRecord, false, nil
	case *Opening:
		return ArmorOpening, false, nil
	case *Registry:
		return ArmorRegistry, false, nil
	case *Committee:
		return ArmorCommittee, false, nil
	case *Share:
		return ArmorShare, true, nil
	}
	return "", false, fmt.Errorf("groupsig: no armor for %T", v)
}

// Block returns the PEM block of v, with optional headers (a member key
// file names its label in one).
func Block(v encoding.BinaryMarshaler, headers map[string]string) (*pem.Block, error) {
	typ, _, err := armorType(v)
	if err != nil {
		return nil, err
	}
	b, err := v.MarshalBinary()
	if err != nil {
		return nil, err
	}
	return &pem.Block{Type: typ, Headers: headers, Bytes: b}, nil
}

// Dearmor decodes into v the block of v's type in data, and returns that
// block (for its headers). data may also be the raw bytes of the encoding
// or their hex, so that another implementation's objects work as they
// are.
func Dearmor(data []byte, v encoding.BinaryUnmarshaler) (*pem.Block, error) {
	typ, _, err := armorType(v)
	if err != nil {
		return nil, err
	}
	trimmed := bytes.TrimSpace(data)
	if block, _ := pem.Decode(trimmed); block != nil {
		var types []string
		for rest := trimmed; ; {
			block, rest = pem.Decode(rest)
			if block == nil {
				break
			}
			if block.Type == typ {
				return block, v.UnmarshalBinary(block.Bytes)
			}
			types = append(types, block.Type)
		}
		return nil, fmt.Errorf("%w: no %q block (the file holds %q)", ErrMalformed, typ, types)
	}
	if raw, err := hex.DecodeString(string(trimmed)); err == nil && len(raw) > 0 {
		return nil, v.UnmarshalBinary(raw)
	}
	return nil, v.UnmarshalBinary(data)
}

// ReadFile reads path into v with Dearmor.
func ReadFile(path string, v encoding.BinaryUnmarshaler) (*pem.Block, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	b, err := Dearmor(data, v)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return b, nil
}

// WriteFile writes blocks to path atomically (a temporary file renamed
// into place), with mode 0600 if any block holds a secret and 0644
// otherwise. It refuses to replace an existing file unless overwrite.
func WriteFile(path string, overwrite bool, blocks ...*pem.Block) error {
	secret := false
	var data []byte
	for _, b := range blocks {
		secret = secret || secretTypes[b.Type]
		data = append(data, pem.EncodeToMemory(b)...)
	}
	if !overwrite {
		if _, err := os.Lstat(path); err == nil {
			return fmt.Errorf("write %s: file exists (refusing to overwrite)", path)
		}
	}
	mode := os.FileMode(0o644)
	if secret {
		mode = 0o600
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	err = tmp.Chmod(mode)
	if err == nil {
		_, err = tmp.Write(data)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

var secretTypes = map[string]bool{ArmorIssuerKey: true, ArmorOpenerKey: true, ArmorJoinSecret: true, ArmorMemberKey: true, ArmorShare: true}
