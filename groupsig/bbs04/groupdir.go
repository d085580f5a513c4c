package bbs04

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// GroupDir is the issuer's directory layout for one group, as the veil CLI
// writes it: NAME.gpk (public key, current epoch), NAME.issuer.key,
// NAME.opener.key, NAME.registry and one NAME.epoch-N.revocation per
// revocation.
type GroupDir struct {
	Dir  string
	Name string
}

func (g GroupDir) path(suffix string) string { return filepath.Join(g.Dir, g.Name+suffix) }

// PublicKeyPath is the file of the group public key at the current epoch.
func (g GroupDir) PublicKeyPath() string { return g.path(".gpk") }

// IssuerKeyPath is the issuer key file.
func (g GroupDir) IssuerKeyPath() string { return g.path(".issuer.key") }

// OpenerKeyPath is the opener key file.
func (g GroupDir) OpenerKeyPath() string { return g.path(".opener.key") }

// RegistryPath is the issuer registry file.
func (g GroupDir) RegistryPath() string { return g.path(".registry") }

// RevocationPath is the file of the record that moved the group to epoch.
func (g GroupDir) RevocationPath(epoch uint64) string {
	return g.path(fmt.Sprintf(".epoch-%d.revocation", epoch))
}

// Create sets up a new BLS12-381 group and writes its files. It refuses to
// overwrite an existing group of the same name. CreateSuite chooses the
// pairing type.
func (g GroupDir) Create(rand io.Reader) (*PublicKey, error) {
	return g.CreateSuite(SuiteBLS12381, rand)
}

// CreateSuite sets up a new group of the given suite and writes its files.
// It refuses to overwrite an existing group of the same name.
func (g GroupDir) CreateSuite(suite Suite, rand io.Reader) (*PublicKey, error) {
	if _, err := mustCurve(suite); err != nil {
		return nil, fmt.Errorf("create group %q: %w", g.Name, err)
	}
	if g.Name == "" {
		return nil, errors.New("create group: empty name")
	}
	if _, err := os.Stat(g.IssuerKeyPath()); err == nil {
		return nil, fmt.Errorf("create group %q: %s already exists", g.Name, g.IssuerKeyPath())
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("create group %q: %w", g.Name, err)
	}
	if err := os.MkdirAll(g.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("create group %q: %w", g.Name, err)
	}
	pk, ik, ok, err := SetupSuite(suite, rand)
	if err != nil {
		return nil, err
	}
	return pk, g.save(ik, NewRegistry(pk), ok)
}

// save writes the issuer's state; the public key last, so a reader that
// sees the new key also finds the matching registry and issuer key.
func (g GroupDir) save(ik *IssuerKey, reg *Registry, ok *OpenerKey) error {
	if ok != nil {
		if err := WriteFile(g.OpenerKeyPath(), ok); err != nil {
			return err
		}
	}
	if err := WriteFile(g.RegistryPath(), reg); err != nil {
		return err
	}
	if err := WriteFile(g.IssuerKeyPath(), ik); err != nil {
		return err
	}
	return WriteFile(g.PublicKeyPath(), ik.PublicKey())
}

// Load reads the issuer key and registry and checks that they agree.
func (g GroupDir) Load() (*IssuerKey, *Registry, error) {
	ik, reg := new(IssuerKey), new(Registry)
	if err := ReadFile(g.IssuerKeyPath(), ik); err != nil {
		return nil, nil, err
	}
	if err := ReadFile(g.RegistryPath(), reg); err != nil {
		return nil, nil, err
	}
	if !ik.PublicKey().Equal(reg.PublicKey()) {
		return nil, nil, fmt.Errorf("group %q: %w: issuer key at epoch %d, registry at epoch %d", g.Name, ErrWrongGroup, ik.PublicKey().Epoch(), reg.PublicKey().Epoch())
	}
	return ik, reg, nil
}

// AddMember issues a member key under label and saves the registry.
func (g GroupDir) AddMember(label string, rand io.Reader) (*MemberKey, error) {
	ik, reg, err := g.Load()
	if err != nil {
		return nil, err
	}
	mk, err := reg.Issue(ik, label, rand)
	if err != nil {
		return nil, err
	}
	if err := WriteFile(g.RegistryPath(), reg); err != nil {
		return nil, err
	}
	return mk, nil
}

// Revoke revokes the member under label, writes the revocation record and
// the issuer's new state, and returns the record and the new registry.
func (g GroupDir) Revoke(label string) (*RevocationRecord, *Registry, error) {
	ik, reg, err := g.Load()
	if err != nil {
		return nil, nil, err
	}
	rec, nik, err := reg.Revoke(ik, label)
	if err != nil {
		return nil, nil, err
	}
	if err := WriteFile(g.RevocationPath(rec.Epoch()), rec); err != nil {
		return nil, nil, err
	}
	return rec, reg, g.save(nik, reg, nil)
}
