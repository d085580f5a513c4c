package chain

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"sort"

	"github.com/veilchain/veil/groupsig/bbs04"
)

// DefaultExpiryWindow is how far past the head, in blocks, a transaction's
// expiry may lie.
const DefaultExpiryWindow = 1000

// Validator is a node allowed to propose blocks: its node id (the CN of its
// certificate) and the Ed25519 public key of that certificate.
type Validator struct {
	ID        string
	PublicKey ed25519.PublicKey
}

// GenesisGroup is a group that exists from the first block.
type GenesisGroup struct {
	Name      string
	PublicKey []byte            // groupsig public key encoding, epoch 0
	AdminKey  ed25519.PublicKey // the issuer's admin key
}

// Genesis is the chain's starting state: what every node must agree on
// before the first block. The genesis package reads and writes it as
// genesis.json; this is the form the ledger checks and hashes.
type Genesis struct {
	ChainID      string
	Time         int64             // Unix nanoseconds
	AdminKey     ed25519.PublicKey // the consortium admin: signs new groups
	Validators   []Validator
	Groups       []GenesisGroup
	ExpiryWindow uint64 // 0 means DefaultExpiryWindow
}

// Validate checks the genesis for internal consistency.
func (g *Genesis) Validate() error {
	if g.ChainID == "" || len(g.ChainID) > MaxChainIDLen {
		return fmt.Errorf("genesis: chain id must be 1 to %d bytes", MaxChainIDLen)
	}
	if len(g.AdminKey) != ed25519.PublicKeySize {
		return errors.New("genesis: consortium admin key must be an Ed25519 public key")
	}
	if len(g.Validators) == 0 {
		return errors.New("genesis: no validators")
	}
	seen := map[string]bool{}
	for _, v := range g.Validators {
		if v.ID == "" || len(v.ID) > MaxNodeIDLen || seen[v.ID] {
			return fmt.Errorf("genesis: validator id %q is empty, too long or repeated", v.ID)
		}
		if len(v.PublicKey) != ed25519.PublicKeySize {
			return fmt.Errorf("genesis: validator %q: key must be Ed25519", v.ID)
		}
		seen[v.ID] = true
	}
	groups := map[string]bool{}
	for _, gr := range g.Groups {
		if !ValidGroupName(gr.Name) || groups[gr.Name] {
			return fmt.Errorf("genesis: group name %q is invalid or repeated", gr.Name)
		}
		var pk bbs04.PublicKey
		if err := pk.UnmarshalBinary(gr.PublicKey); err != nil {
			return fmt.Errorf("genesis: group %q: %w", gr.Name, err)
		}
		if pk.Epoch() != 0 {
			return fmt.Errorf("genesis: group %q: key at epoch %d, want 0", gr.Name, pk.Epoch())
		}
		if len(gr.AdminKey) != ed25519.PublicKeySize {
			return fmt.Errorf("genesis: group %q: admin key must be Ed25519", gr.Name)
		}
		groups[gr.Name] = true
	}
	return nil
}

func (g *Genesis) expiryWindow() uint64 {
	if g.ExpiryWindow == 0 {
		return DefaultExpiryWindow
	}
	return g.ExpiryWindow
}

// Hash is the hash of block 0: SHA-256 of the canonical genesis encoding
// (validators and groups sorted by name, so file order does not matter).
func (g *Genesis) Hash() [32]byte {
	vals := append([]Validator(nil), g.Validators...)
	sort.Slice(vals, func(i, j int) bool { return vals[i].ID < vals[j].ID })
	groups := append([]GenesisGroup(nil), g.Groups...)
	sort.Slice(groups, func(i, j int) bool { return groups[i].Name < groups[j].Name })
	e := &encoder{b: []byte("veil/genesis/v1\x00")}
	e.str8(g.ChainID)
	e.u64(uint64(g.Time))
	e.raw(g.AdminKey)
	e.u64(g.expiryWindow())
	e.u32(uint32(len(vals)))
	for _, v := range vals {
		e.str8(v.ID)
		e.raw(v.PublicKey)
	}
	e.u32(uint32(len(groups)))
	for _, gr := range groups {
		e.str8(gr.Name)
		e.bytes16(gr.PublicKey)
		e.raw(gr.AdminKey)
	}
	return sha256.Sum256(e.b)
}
