package chain

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"sort"
	"time"
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

// GenesisGroup is a group that exists from the first block: gpk_0 with the
// issuer and opener proofs published with it, the issuer's admin key, and
// its founding members' join records.
type GenesisGroup struct {
	Name        string
	GroupKey    []byte
	IssuerProof []byte
	OpenerProof []byte
	AdminKey    ed25519.PublicKey
	Members     []GenesisMember
}

// GenesisMember is a founding member: its join request (made on its own
// machine; the issuer never saw y), the issuer's response at epoch 0 and
// its member identity certificate (DER).
type GenesisMember struct {
	Request, Response, Cert []byte
}

// Genesis is the chain's starting state: what every node must agree on
// before the first block. The genesis package reads and writes it as
// genesis.json; this is the form the ledger checks and hashes.
type Genesis struct {
	ChainID      string
	Time         int64             // Unix nanoseconds
	AdminKey     ed25519.PublicKey // the consortium admin: signs new groups, topic rules, node revocations
	CACert       []byte            // the chain CA's certificate (DER): member identities chain to it
	Validators   []Validator
	Groups       []GenesisGroup
	ExpiryWindow uint64 // 0 means DefaultExpiryWindow
	// Consensus is the ordering engine every node of the chain runs:
	// ConsensusRaft ("" reads as raft) or ConsensusBFT. It is fixed at
	// genesis: the two engines' blocks are the same, but a BFT block is
	// final only with its commit certificate, which raft nodes neither
	// make nor check.
	Consensus string
}

// The ordering engines a genesis can name.
const (
	ConsensusRaft = "raft"
	ConsensusBFT  = "bft"
)

// Engine is the genesis's consensus engine, with "" read as raft.
func (g *Genesis) Engine() string {
	if g.Consensus == "" {
		return ConsensusRaft
	}
	return g.Consensus
}

// CA parses the chain CA certificate.
func (g *Genesis) CA() (*x509.Certificate, error) {
	ca, err := x509.ParseCertificate(g.CACert)
	if err != nil {
		return nil, fmt.Errorf("genesis: CA certificate: %w", err)
	}
	if !ca.IsCA {
		return nil, errors.New("genesis: CA certificate is not a CA")
	}
	return ca, nil
}

// Validate checks the genesis for internal consistency: chain id, keys,
// CA certificate, validators, and each group's name, key and proofs.
// Founding members' join records and certificates are checked when a
// ledger is first written from the genesis (Open on an empty database):
// ~3 ms a member, so a restart of a node whose genesis founded 10,000
// members does not pay 30 s again for what its database already holds.
func (g *Genesis) Validate() error {
	if g.ChainID == "" || len(g.ChainID) > MaxChainIDLen {
		return fmt.Errorf("genesis: chain id must be 1 to %d bytes", MaxChainIDLen)
	}
	if len(g.AdminKey) != ed25519.PublicKeySize {
		return errors.New("genesis: consortium admin key must be an Ed25519 public key")
	}
	if _, err := g.CA(); err != nil {
		return err
	}
	if len(g.Validators) == 0 {
		return errors.New("genesis: no validators")
	}
	if e := g.Engine(); e != ConsensusRaft && e != ConsensusBFT {
		return fmt.Errorf("genesis: consensus %q is neither %q nor %q", g.Consensus, ConsensusRaft, ConsensusBFT)
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
	_, err := g.groups(nil)
	return err
}

// groups checks the genesis groups and builds their state; with a nil ca
// it leaves the founding members out.
func (g *Genesis) groups(ca *x509.Certificate) (map[string]*group, error) {
	out := map[string]*group{}
	gids := map[[32]byte]bool{}
	at := time.Unix(0, g.Time)
	for _, gg := range g.Groups {
		if !ValidGroupName(gg.Name) || out[gg.Name] != nil {
			return nil, fmt.Errorf("genesis: group name %q is invalid or repeated", gg.Name)
		}
		gr, err := newGroup(gg.Name, gg.GroupKey, gg.IssuerProof, gg.OpenerProof, gg.AdminKey)
		if err != nil {
			return nil, fmt.Errorf("genesis: group %q: %w", gg.Name, err)
		}
		if gids[gr.key.GID()] {
			return nil, fmt.Errorf("genesis: group %q repeats another group's gid", gg.Name)
		}
		gids[gr.key.GID()] = true
		for i, m := range gg.Members {
			if ca == nil {
				break
			}
			p, err := gr.checkRequest(m.Request, m.Cert, ca, at)
			if err != nil {
				return nil, fmt.Errorf("genesis: group %q member %d: %w", gg.Name, i, err)
			}
			gr.pending[p.req.Hash()] = p
			e, err := gr.checkResponse(m.Response)
			if err != nil {
				return nil, fmt.Errorf("genesis: group %q member %d: %w", gg.Name, i, err)
			}
			gr.admit(e, 0)
		}
		out[gg.Name] = gr
	}
	return out, nil
}

func (g *Genesis) expiryWindow() uint64 {
	if g.ExpiryWindow == 0 {
		return DefaultExpiryWindow
	}
	return g.ExpiryWindow
}

// Hash is the hash of block 0: SHA-256 of the canonical genesis encoding
// (validators and groups sorted by name, so file order does not matter;
// founding members in the order given, which is their ledger order).
func (g *Genesis) Hash() [32]byte {
	vals := append([]Validator(nil), g.Validators...)
	sort.Slice(vals, func(i, j int) bool { return vals[i].ID < vals[j].ID })
	groups := append([]GenesisGroup(nil), g.Groups...)
	sort.Slice(groups, func(i, j int) bool { return groups[i].Name < groups[j].Name })
	e := &encoder{b: []byte("veil/genesis/v2\x00")}
	e.str8(g.ChainID)
	e.u64(uint64(g.Time))
	e.raw(g.AdminKey)
	e.bytes16(g.CACert)
	e.u64(g.expiryWindow())
	e.u32(uint32(len(vals)))
	for _, v := range vals {
		e.str8(v.ID)
		e.raw(v.PublicKey)
	}
	e.u32(uint32(len(groups)))
	for _, gr := range groups {
		e.str8(gr.Name)
		e.bytes16(gr.GroupKey)
		e.bytes16(gr.IssuerProof)
		e.bytes16(gr.OpenerProof)
		e.raw(gr.AdminKey)
		e.u32(uint32(len(gr.Members)))
		for _, m := range gr.Members {
			e.bytes16(m.Request)
			e.bytes16(m.Response)
			e.bytes16(m.Cert)
		}
	}
	if g.Engine() != ConsensusRaft {
		// Only a non-raft engine is hashed, so that every raft chain
		// keeps the hash it had before the field existed.
		e.str8(g.Engine())
	}
	return sha256.Sum256(e.b)
}
