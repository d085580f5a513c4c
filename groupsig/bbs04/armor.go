package bbs04

import (
	"bytes"
	"encoding"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
)

// Armor block types, one per encoding. A key file is one PEM block of its
// type holding the MarshalBinary bytes.
const (
	ArmorPublicKey        = "VEIL GROUP PUBLIC KEY"
	ArmorIssuerKey        = "VEIL GROUP ISSUER KEY"
	ArmorOpenerKey        = "VEIL GROUP OPENER KEY"
	ArmorMemberKey        = "VEIL GROUP MEMBER KEY"
	ArmorRegistry         = "VEIL GROUP REGISTRY"
	ArmorRevocationRecord = "VEIL GROUP REVOCATION RECORD"
	ArmorOpeningProof     = "VEIL GROUP OPENING PROOF"
	ArmorSignature        = "VEIL GROUP SIGNATURE"
)

// armorType names the block type of v and whether v holds a secret.
func armorType(v any) (string, bool, error) {
	switch v.(type) {
	case *PublicKey:
		return ArmorPublicKey, false, nil
	case *IssuerKey:
		return ArmorIssuerKey, true, nil
	case *OpenerKey:
		return ArmorOpenerKey, true, nil
	case *MemberKey:
		return ArmorMemberKey, true, nil
	case *Registry:
		return ArmorRegistry, true, nil
	case *RevocationRecord:
		return ArmorRevocationRecord, false, nil
	case *OpeningProof:
		return ArmorOpeningProof, false, nil
	case *Signature:
		return ArmorSignature, false, nil
	}
	return "", false, fmt.Errorf("groupsig: no armor for %T", v)
}

// Armor returns the PEM text form of a key, registry, record or proof.
func Armor(v encoding.BinaryMarshaler) ([]byte, error) {
	typ, _, err := armorType(v)
	if err != nil {
		return nil, err
	}
	b, err := v.MarshalBinary()
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), nil
}

// Dearmor decodes data into v. It accepts the PEM form Armor writes, the
// raw bytes of the encoding, or those bytes in hex, so that keys made by
// another implementation of SPEC-bbs04.md can be used as they are.
func Dearmor(data []byte, v encoding.BinaryUnmarshaler) error {
	typ, _, err := armorType(v)
	if err != nil {
		return err
	}
	trimmed := bytes.TrimSpace(data)
	if block, rest := pem.Decode(trimmed); block != nil {
		if block.Type != typ {
			return fmt.Errorf("%w: file holds a %q block, want %q", ErrMalformed, block.Type, typ)
		}
		if len(bytes.TrimSpace(rest)) != 0 {
			return fmt.Errorf("%w: data after the %q block", ErrMalformed, typ)
		}
		return v.UnmarshalBinary(block.Bytes)
	}
	if raw, err := hex.DecodeString(string(trimmed)); err == nil && len(raw) > 0 {
		return v.UnmarshalBinary(raw)
	}
	return v.UnmarshalBinary(data)
}

// WriteFile writes the armored form of v to path, atomically (a temporary
// file renamed into place). Secrets are written with mode 0600, public
// data with 0644.
func WriteFile(path string, v encoding.BinaryMarshaler) error {
	_, secret, err := armorType(v)
	if err != nil {
		return err
	}
	data, err := Armor(v)
	if err != nil {
		return err
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
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// ReadFile reads path into v with Dearmor.
func ReadFile(path string, v encoding.BinaryUnmarshaler) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := Dearmor(data, v); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	return nil
}
