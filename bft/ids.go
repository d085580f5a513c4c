package bft

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/veilchain/veil/chain"
)

// idTag separates the derivation of SmartBFT ids from every other hash
// of a node id.
const idTag = "veil/bft/id/v1\x00"

// NumericID is the SmartBFT id of a veil node: the first 8 bytes of
// SHA-256(idTag ‖ node id), big-endian, never 0 (SmartBFT refuses 0).
func NumericID(nodeID string) uint64 {
	h := sha256.Sum256(append([]byte(idTag), nodeID...))
	if v := binary.BigEndian.Uint64(h[:8]); v != 0 {
		return v
	}
	return 1
}

// members is a validator set as SmartBFT sees it.
type members struct {
	ids   []uint64 // sorted: SmartBFT's order, which picks each view's leader
	byNum map[uint64]chain.ValidatorInfo
}

// membersOf maps a validator set to SmartBFT ids; two validators whose
// ids collide make the set unusable.
func membersOf(vals []chain.ValidatorInfo) (*members, error) {
	m := &members{byNum: make(map[uint64]chain.ValidatorInfo, len(vals))}
	for _, v := range vals {
		num := NumericID(v.ID)
		if other, ok := m.byNum[num]; ok {
			return nil, fmt.Errorf("validators %q and %q map to the same BFT id %d", other.ID, v.ID, num)
		}
		m.byNum[num] = v
		m.ids = append(m.ids, num)
	}
	slices.Sort(m.ids)
	return m, nil
}

func (m *members) key(num uint64) (ed25519.PublicKey, bool) {
	v, ok := m.byNum[num]
	return v.PublicKey, ok
}

// leader is the leader of view v with leader rotation off (SmartBFT's
// getLeaderID): the (v mod n)-th id.
func (m *members) leader(view uint64) uint64 { return m.ids[view%uint64(len(m.ids))] }

// Quorum returns SmartBFT's quorum and fault bound for n validators:
// f = ⌊(n−1)/3⌋, q = ⌈(n+f+1)/2⌉ (3 of 4, 4 of 5, 5 of 7).
func Quorum(n int) (q, f int) {
	f = (n - 1) / 3
	return (n + f + 2) / 2, f
}
