package groupsig

import (
	"encoding/pem"
	"fmt"
	"io"
	"path/filepath"
)

// IssuerDir is an issuer's directory for one group, the layout the veil
// CLI and local networks use:
//
//	NAME.gpk                 public: the group key with the issuer and opener proofs
//	NAME.issuer.key          secret (0600): γ
//	NAME.opener.key          secret (0600): ξ1, ξ2 (the regulator's; move it off the issuer's machine)
//	NAME.registry            public: the join records and revocation records
//	NAME.epoch-E.revocation  public: the record into epoch E
type IssuerDir struct {
	Dir, Name string
}

func (d IssuerDir) path(suffix string) string { return filepath.Join(d.Dir, d.Name+suffix) }

// GroupKeyPath is the path of the public group file.
func (d IssuerDir) GroupKeyPath() string { return d.path(".gpk") }

// IssuerKeyPath is the path of the issuer key.
func (d IssuerDir) IssuerKeyPath() string { return d.path(".issuer.key") }

// OpenerKeyPath is the path of the opener key.
func (d IssuerDir) OpenerKeyPath() string { return d.path(".opener.key") }

// RegistryPath is the path of the registry.
func (d IssuerDir) RegistryPath() string { return d.path(".registry") }

// RecordPath is the path of the revocation record into epoch e.
func (d IssuerDir) RecordPath(e uint64) string { return d.path(fmt.Sprintf(".epoch-%d.revocation", e)) }

// Create sets up a new group of suite in the directory, refusing to
// replace any file, and returns gpk_0 with its proofs.
func (d IssuerDir) Create(suite Suite, rand io.Reader) (*GroupKey, *IssuerProof, *OpenerProof, error) {
	gk, ik, ok, ip, op, err := Setup(suite, rand)
	if err != nil {
		return nil, nil, nil, err
	}
	reg, err := NewRegistry(gk)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := WriteGroupFile(d.GroupKeyPath(), false, gk, ip, op); err != nil {
		return nil, nil, nil, err
	}
	for _, f := range []struct {
		path string
		v    interface{ MarshalBinary() ([]byte, error) }
	}{{d.IssuerKeyPath(), ik}, {d.OpenerKeyPath(), ok}, {d.RegistryPath(), reg}} {
		b, err := Block(f.v, nil)
		if err != nil {
			return nil, nil, nil, err
		}
		if err := WriteFile(f.path, false, b); err != nil {
			return nil, nil, nil, err
		}
	}
	return gk, ip, op, nil
}

// Load reads the issuer key and the registry and checks they are one
// group.
func (d IssuerDir) Load() (*IssuerKey, *Registry, error) {
	ik, reg := new(IssuerKey), new(Registry)
	if _, err := ReadFile(d.IssuerKeyPath(), ik); err != nil {
		return nil, nil, err
	}
	if _, err := ReadFile(d.RegistryPath(), reg); err != nil {
		return nil, nil, err
	}
	if !ik.GroupKey().SameGroup(reg.GroupKey()) {
		return nil, nil, fmt.Errorf("%s and %s: %w: not the same group", d.IssuerKeyPath(), d.RegistryPath(), ErrWrongGroup)
	}
	return ik, reg, nil
}

// SaveRegistry replaces the registry file.
func (d IssuerDir) SaveRegistry(reg *Registry) error {
	b, err := Block(reg, nil)
	if err != nil {
		return err
	}
	return WriteFile(d.RegistryPath(), true, b)
}

// WriteGroupFile writes the public group file: the group key (any epoch)
// and the two proofs published with gpk_0.
func WriteGroupFile(path string, overwrite bool, gk *GroupKey, ip *IssuerProof, op *OpenerProof) error {
	var blocks []*pem.Block
	for _, v := range []interface{ MarshalBinary() ([]byte, error) }{gk, ip, op} {
		b, err := Block(v, nil)
		if err != nil {
			return err
		}
		blocks = append(blocks, b)
	}
	return WriteFile(path, overwrite, blocks...)
}

// ReadGroupFile reads a public group file and checks both proofs against
// its key, as a member must before joining (§2).
func ReadGroupFile(path string) (*GroupKey, *IssuerProof, *OpenerProof, error) {
	gk, ip, op := new(GroupKey), new(IssuerProof), new(OpenerProof)
	for _, v := range []interface{ UnmarshalBinary([]byte) error }{gk, ip, op} {
		if _, err := ReadFile(path, v); err != nil {
			return nil, nil, nil, err
		}
	}
	if err := ip.Verify(gk); err != nil {
		return nil, nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := op.Verify(gk); err != nil {
		return nil, nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return gk, ip, op, nil
}

// MemberFile is a member's key file: its member key (the PEM block's
// "Label" header names its label) and the group key of its epoch. The file
// is secret (0600).
type MemberFile struct {
	Key   *MemberKey
	Label string
	Group *GroupKey // at Key's epoch
}

// ReadMemberFile reads a member key file and checks that key and group
// key are one group; the returned Group is at the key's epoch.
func ReadMemberFile(path string) (*MemberFile, error) {
	mf := &MemberFile{Key: new(MemberKey)}
	block, err := ReadFile(path, mf.Key)
	if err != nil {
		return nil, err
	}
	if block != nil {
		mf.Label = block.Headers["Label"]
	}
	gk := new(GroupKey)
	if _, err := ReadFile(path, gk); err != nil {
		return nil, fmt.Errorf("%s holds no group key: %w", path, err)
	}
	if mf.Key.GroupRef() != gk.Ref() {
		return nil, fmt.Errorf("%s: %w: member key and group key are of different groups", path, ErrWrongGroup)
	}
	if mf.Group, err = gk.AtEpoch(mf.Key.Epoch()); err != nil {
		return nil, err
	}
	return mf, nil
}

// Write writes the member key file (mode 0600).
func (mf *MemberFile) Write(path string, overwrite bool) error {
	var headers map[string]string
	if mf.Label != "" {
		headers = map[string]string{"Label": mf.Label}
	}
	kb, err := Block(mf.Key, headers)
	if err != nil {
		return err
	}
	gb, err := Block(mf.Group, nil)
	if err != nil {
		return err
	}
	return WriteFile(path, overwrite, kb, gb)
}
