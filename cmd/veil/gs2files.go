package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/veilchain/veil/genesis"
	"github.com/veilchain/veil/groupsig"
)

// The v2 files of the CLI. The objects and their PEM blocks are
// groupsig's; this file only names the files and puts the blocks together.

// errFileExists: a command refuses to replace a file it would write.
var errFileExists = errors.New("file exists (refusing to overwrite)")

// checkAbsent refuses, before anything is written, when one of paths exists.
func checkAbsent(paths ...string) error {
	for _, p := range paths {
		if _, err := os.Lstat(p); err == nil {
			return badInput(fmt.Errorf("%s: %w", p, errFileExists))
		} else if !errors.Is(err, fs.ErrNotExist) {
			return badInput(err)
		}
	}
	return nil
}

// writeBlocks writes PEM blocks with groupsig.WriteFile (mode 0600 when a
// block is secret, 0644 otherwise), refusing an existing file unless
// overwrite.
func writeBlocks(path string, overwrite bool, blocks ...*pem.Block) error {
	if !overwrite {
		if err := checkAbsent(path); err != nil {
			return err
		}
	}
	if err := groupsig.WriteFile(path, overwrite, blocks...); err != nil {
		return badInput(err)
	}
	return nil
}

// writeObjects writes each object as its PEM block (see writeBlocks).
func writeObjects(path string, overwrite bool, objs ...interface{ MarshalBinary() ([]byte, error) }) error {
	var blocks []*pem.Block
	for _, o := range objs {
		b, err := groupsig.Block(o, nil)
		if err != nil {
			return err
		}
		blocks = append(blocks, b)
	}
	return writeBlocks(path, overwrite, blocks...)
}

// writeFile writes data to path with mode, atomically
// (genesis.WriteFileAtomic); unless overwrite it refuses an existing file.
func writeFile(path string, data []byte, mode os.FileMode, overwrite bool) error {
	if !overwrite {
		if err := checkAbsent(path); err != nil {
			return err
		}
	}
	if err := genesis.WriteFileAtomic(path, data, mode); err != nil {
		return badInput(fmt.Errorf("write %s: %w", path, err))
	}
	return nil
}

// gs2Dir is an issuer's directory for one v2 group: NAME.gpk (public:
// the group key of the current epoch with the issuer and opener proofs),
// NAME.issuer.key and NAME.opener.key (secret), NAME.registry (public) and
// NAME.epoch-E.revocation, one per revocation.
type gs2Dir struct{ dir, name string }

func (g gs2Dir) path(suffix string) string { return filepath.Join(g.dir, g.name+suffix) }
func (g gs2Dir) gpkPath() string           { return g.path(".gpk") }
func (g gs2Dir) issuerKeyPath() string     { return g.path(".issuer.key") }
func (g gs2Dir) openerKeyPath() string     { return g.path(".opener.key") }
func (g gs2Dir) registryPath() string      { return g.path(".registry") }
func (g gs2Dir) recordPath(epoch uint64) string {
	return g.path(fmt.Sprintf(".epoch-%d.revocation", epoch))
}

// version tells what the directory holds for the group, by its .gpk file:
// 2 for a group as 'group create', genesis and testnet write it, 1 for a
// retired v1 (BBS04) group, 0 when there is none.
func (g gs2Dir) version() int {
	data, err := os.ReadFile(g.gpkPath())
	if err != nil {
		return 0
	}
	return fileVersion(data)
}

// load reads the issuer key and the registry and checks they are one group.
func (g gs2Dir) load() (*groupsig.IssuerKey, *groupsig.Registry, error) {
	ik, reg := new(groupsig.IssuerKey), new(groupsig.Registry)
	if _, err := readGS2(g.issuerKeyPath(), ik); err != nil {
		return nil, nil, err
	}
	if _, err := readGS2(g.registryPath(), reg); err != nil {
		return nil, nil, err
	}
	if !ik.GroupKey().SameGroup(reg.GroupKey()) {
		return nil, nil, badInput(fmt.Errorf("%s and %s: %w: not the same group", g.issuerKeyPath(), g.registryPath(), groupsig.ErrWrongGroup))
	}
	return ik, reg, nil
}

// groupFile is a .gpk file: the group key and the proofs published with
// gpk_0 (any epoch of the group checks them).
type groupFile struct {
	gk *groupsig.GroupKey
	ip *groupsig.IssuerProof
	op *groupsig.OpenerProof
}

// readGroupFile reads a .gpk file with its proofs. Proofs given as
// arguments (hex or files) take the place of those in the file.
func readGroupFile(path, issuerProof, openerProof string) (*groupFile, error) {
	gf := &groupFile{gk: new(groupsig.GroupKey), ip: new(groupsig.IssuerProof), op: new(groupsig.OpenerProof)}
	if _, err := readGS2(path, gf.gk); err != nil {
		return nil, err
	}
	data, _ := os.ReadFile(path)
	for _, p := range []struct {
		flag, arg string
		v         interface{ UnmarshalBinary([]byte) error }
	}{{"issuer-proof", issuerProof, gf.ip}, {"opener-proof", openerProof, gf.op}} {
		if p.arg != "" {
			if err := readArg(p.flag, p.arg, p.v); err != nil {
				return nil, err
			}
			continue
		}
		if _, err := groupsig.Dearmor(data, p.v); err != nil {
			return nil, badInput(fmt.Errorf("%s: %w (give --%s when the key file does not hold it)", path, err, p.flag))
		}
	}
	return gf, nil
}

// write writes the file: the key at its epoch and the two proofs.
func (gf *groupFile) write(path string, overwrite bool) error {
	return writeObjects(path, overwrite, gf.gk, gf.ip, gf.op)
}

// readGroupKey reads the group key of a .gpk file, a member key file or
// the hex or raw bytes of gpk_e.
func readGroupKey(path string) (*groupsig.GroupKey, error) {
	gk := new(groupsig.GroupKey)
	if _, err := readGS2(path, gk); err != nil {
		return nil, err
	}
	return gk, nil
}

// memberFile is a member key file: the member key block (its label in
// the "Label" header and, for a key joined on chain, its group's name in
// "Group") and the group key block of the key's epoch.
type memberFile struct {
	mk    *groupsig.MemberKey
	gk    *groupsig.GroupKey // at mk's epoch
	label string
	group string // the group's name on chain, when known
}

// readMemberFile reads a member key file. A raw or hex member key has no
// group key nor label: gpkPath (a group key of any epoch of the group)
// and label supply them; when given they also take the place of the
// file's.
func readMemberFile(path, gpkPath, label string) (*memberFile, error) {
	mf := &memberFile{mk: new(groupsig.MemberKey), label: label}
	block, err := readGS2(path, mf.mk)
	if err != nil {
		return nil, err
	}
	if block != nil {
		if mf.label == "" {
			mf.label = block.Headers["Label"]
		}
		mf.group = block.Headers["Group"]
	}
	gk := new(groupsig.GroupKey)
	switch {
	case gpkPath != "":
		if gk, err = readGroupKey(gpkPath); err != nil {
			return nil, err
		}
	case block != nil:
		data, _ := os.ReadFile(path)
		if _, err := groupsig.Dearmor(data, gk); err != nil {
			return nil, badInput(fmt.Errorf("%s holds no group key: give --gpk: %w", path, err))
		}
	default:
		return nil, badInput(fmt.Errorf("%s is a bare member key: give --gpk", path))
	}
	if mf.mk.GroupRef() != gk.Ref() {
		return nil, badInput(fmt.Errorf("%w: the member key %s and the group key are of different groups", groupsig.ErrWrongGroup, path))
	}
	if mf.gk, err = gk.AtEpoch(mf.mk.Epoch()); err != nil {
		return nil, badInput(err)
	}
	return mf, nil
}

// write writes the member key file (mode 0600) atomically: a temporary
// file renamed over path, so that a reader never sees half a key.
func (mf *memberFile) write(path string, overwrite bool) error {
	headers := map[string]string{}
	if mf.label != "" {
		headers["Label"] = mf.label
	}
	if mf.group != "" {
		headers["Group"] = mf.group
	}
	if len(headers) == 0 {
		headers = nil
	}
	kb, err := groupsig.Block(mf.mk, headers)
	if err != nil {
		return err
	}
	gb, err := groupsig.Block(mf.gk, nil)
	if err != nil {
		return err
	}
	return writeBlocks(path, overwrite, kb, gb)
}

// gs is the groupsig form of the file, for package client.
func (mf *memberFile) gs() *groupsig.MemberFile {
	return &groupsig.MemberFile{Key: mf.mk, Label: mf.label, Group: mf.gk}
}

// with returns a copy of mf holding another key of the same member (an
// update of gs to a later epoch).
func (mf *memberFile) with(gs *groupsig.MemberFile) *memberFile {
	return &memberFile{mk: gs.Key, gk: gs.Group, label: mf.label, group: mf.group}
}

// readIdentity reads a member's Ed25519 identity key: PEM PKCS#8 as
// 'member keygen' writes it, or the hex or raw 32-byte seed or 64-byte key.
func readIdentity(path string) (ed25519.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, badInput(fmt.Errorf("read identity key: %w", err))
	}
	data = bytes.TrimSpace(data)
	if block, _ := pem.Decode(data); block != nil {
		key, err := genesis.ParsePrivateKey(data)
		if err != nil {
			return nil, badInput(fmt.Errorf("identity key %s: %w", path, err))
		}
		return key, nil
	}
	if raw, err := hex.DecodeString(string(data)); err == nil {
		data = raw
	}
	switch len(data) {
	case ed25519.SeedSize:
		return ed25519.NewKeyFromSeed(data), nil
	case ed25519.PrivateKeySize:
		key := ed25519.NewKeyFromSeed(data[:ed25519.SeedSize])
		if !bytes.Equal(key, data) {
			return nil, badInput(fmt.Errorf("identity key %s: its public half does not match its seed", path))
		}
		return key, nil
	}
	return nil, badInput(fmt.Errorf("identity key %s: not a PEM PKCS#8 Ed25519 key, nor a 32-byte seed or 64-byte key", path))
}

// marshalPublicKey is the PEM "PUBLIC KEY" (PKIX) form of an identity key.
func marshalPublicKey(pub ed25519.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// parsePublicKey reads an Ed25519 public key given inline in hex, or as a
// file: PEM "PUBLIC KEY" (as 'member keygen' writes it), the identity's
// private key file, or hex or raw 32 bytes.
func parsePublicKey(flag, s string) (ed25519.PublicKey, error) {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil {
		if len(b) != ed25519.PublicKeySize {
			return nil, badInput(fmt.Errorf("--%s: %d bytes, an Ed25519 key has %d", flag, len(b), ed25519.PublicKeySize))
		}
		return b, nil
	}
	data, err := os.ReadFile(s)
	if err != nil {
		return nil, badInput(fmt.Errorf("--%s is neither hex nor a readable file: %w", flag, err))
	}
	if block, _ := pem.Decode(bytes.TrimSpace(data)); block != nil {
		switch block.Type {
		case "PUBLIC KEY":
			k, err := x509.ParsePKIXPublicKey(block.Bytes)
			if pub, ok := k.(ed25519.PublicKey); err == nil && ok {
				return pub, nil
			}
			return nil, badInput(fmt.Errorf("--%s: %s is not an Ed25519 public key", flag, s))
		case "PRIVATE KEY":
			key, err := readIdentity(s)
			if err != nil {
				return nil, err
			}
			return key.Public().(ed25519.PublicKey), nil
		}
		return nil, badInput(fmt.Errorf("--%s: %s holds a %q block, not a public key", flag, s, block.Type))
	}
	if b, err := hex.DecodeString(string(bytes.TrimSpace(data))); err == nil {
		data = b
	}
	if len(data) != ed25519.PublicKeySize {
		return nil, badInput(fmt.Errorf("--%s: %s is not an Ed25519 public key (PEM, hex or 32 raw bytes)", flag, s))
	}
	return data, nil
}
