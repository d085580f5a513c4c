package bft

import (
	"crypto/ed25519"
	"errors"
	"fmt"

	"github.com/hyperledger-labs/SmartBFT/pkg/types"
)

// Domain tags: a node key also signs blocks and TLS handshakes; these
// make a consensus signature mean nothing anywhere else, and on any other
// chain.
const (
	commitTag  = "veil/bft/commit/v1" // a commit vote: digest ‖ auxiliary data
	messageTag = "veil/bft/message/v1"
)

// tagged is tag ‖ 0 ‖ chain id ‖ 0 ‖ msg: what an Ed25519 consensus
// signature signs.
func tagged(tag, chainID string, msg []byte) []byte {
	b := make([]byte, 0, len(tag)+len(chainID)+2+len(msg))
	b = append(b, tag...)
	b = append(b, 0)
	b = append(b, chainID...)
	b = append(b, 0)
	return append(b, msg...)
}

// signer signs as one validator (SmartBFT's Signer).
type signer struct {
	chainID string
	self    uint64
	key     ed25519.PrivateKey
}

// Sign signs view-change data.
func (s *signer) Sign(data []byte) []byte {
	return ed25519.Sign(s.key, tagged(messageTag, s.chainID, data))
}

// SignProposal signs a commit vote: its message is the proposal's digest
// ‖ aux (the prepares it saw), so the signature binds the block, its
// metadata and its verification sequence.
func (s *signer) SignProposal(p types.Proposal, aux []byte) *types.Signature {
	d, err := proposalDigest(p)
	if err != nil {
		panic(err) // SmartBFT's own Digest panics on the same input
	}
	msg := append(d, aux...)
	return &types.Signature{ID: s.self, Value: ed25519.Sign(s.key, tagged(commitTag, s.chainID, msg)), Msg: msg}
}

// verifyMessage checks a view-change signature by a member of m.
func verifyMessage(chainID string, m *members, sig types.Signature) error {
	key, ok := m.key(sig.ID)
	if !ok {
		return fmt.Errorf("signer %d is not a validator", sig.ID)
	}
	if !ed25519.Verify(key, tagged(messageTag, chainID, sig.Msg), sig.Value) {
		return errors.New("bad signature")
	}
	return nil
}

// auxiliary is the auxiliary data of a commit vote's message.
func auxiliary(msg []byte) []byte {
	if len(msg) < 32 {
		return nil
	}
	return msg[32:]
}
