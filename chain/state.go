package chain

import (
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
	"sort"

	"github.com/veilchain/veil/groupsig/bbs04"
)

// State keys (under storage's state prefix). See doc.go.
const (
	stateGroup   = "g/" // g/ ‖ name → epoch u64 ‖ admin key [32]
	stateGroupPK = "k/" // k/ ‖ u8 len(name) ‖ name ‖ epoch u64 → group key encoding
	stateMember  = "m/" // m/ ‖ u8 len(name) ‖ name ‖ label → member record
	stateResults = "r/" // r/ ‖ height u64 → one Code byte per transaction
	stateRevoke  = "v/" // v/ ‖ u8 len(name) ‖ name ‖ epoch u64 → the revocation record that started it
	stateNode    = "n/" // n/ ‖ node id → u64 height of the revocation
	stateGenesis = "genesis"
)

func groupKeyKey(name string, epoch uint64) []byte {
	k := append([]byte(stateGroupPK), byte(len(name)))
	k = append(k, name...)
	return binary.BigEndian.AppendUint64(k, epoch)
}

func memberPrefix(name string) []byte {
	k := append([]byte(stateMember), byte(len(name)))
	return append(k, name...)
}

func memberKey(name, label string) []byte { return append(memberPrefix(name), label...) }

func revocationKey(name string, epoch uint64) []byte {
	k := append([]byte(stateRevoke), byte(len(name)))
	k = append(k, name...)
	return binary.BigEndian.AppendUint64(k, epoch)
}

func resultsKey(height uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte(stateResults), height)
}

// member is one entry of a group's on-chain registry: its A at every epoch
// since it joined, for the opener to match openings of old transactions.
type member struct {
	joined    uint64
	revokedAt uint64 // epoch the revocation moved the group to; 0 while a member
	as        []bbs04.Identity
}

func (m *member) current() bbs04.Identity { return m.as[len(m.as)-1] }

func (m *member) encode() []byte {
	e := &encoder{}
	e.u64(m.joined)
	e.u64(m.revokedAt)
	e.u32(uint32(len(m.as)))
	for _, a := range m.as {
		e.raw(a[:])
	}
	return e.b
}

func decodeMember(b []byte) (*member, error) {
	d := &decoder{b: b}
	m := &member{joined: d.u64("joined"), revokedAt: d.u64("revoked")}
	n := d.u32("count")
	if d.err == nil && uint64(n)*bbs04.IdentitySize != uint64(len(d.b)) {
		d.fail("member record: %d keys in %d bytes", n, len(d.b))
	}
	for i := uint32(0); i < n && d.err == nil; i++ {
		var a bbs04.Identity
		d.fixed(a[:], "A")
		m.as = append(m.as, a)
	}
	d.end("member record")
	return m, d.err
}

// group is the in-memory state of one group: its current key and epoch,
// its admin key, and its registry.
type group struct {
	name    string
	key     *bbs04.PublicKey // current epoch
	keys    map[uint64]*bbs04.PublicKey
	admin   ed25519.PublicKey
	members map[string]*member
}

func (g *group) epoch() uint64 { return g.key.Epoch() }

// clone copies what a transaction may change, so a block's changes stay
// private until the block commits.
func (g *group) clone() *group {
	c := *g
	c.keys = make(map[uint64]*bbs04.PublicKey, len(g.keys))
	for e, k := range g.keys {
		c.keys[e] = k
	}
	c.members = make(map[string]*member, len(g.members))
	for l, m := range g.members {
		c.members[l] = m
	}
	return &c
}

// remaining lists the labels of members not revoked, sorted.
func (g *group) remaining() []string {
	var out []string
	for l, m := range g.members {
		if m.revokedAt == 0 {
			out = append(out, l)
		}
	}
	sort.Strings(out)
	return out
}

func encodeGroupHeader(g *group) []byte {
	b := binary.BigEndian.AppendUint64(nil, g.epoch())
	return append(b, g.admin...)
}

func decodeGroupHeader(b []byte) (epoch uint64, admin ed25519.PublicKey, err error) {
	if len(b) != 8+ed25519.PublicKeySize {
		return 0, nil, fmt.Errorf("group record is %d bytes, want %d", len(b), 8+ed25519.PublicKeySize)
	}
	return binary.BigEndian.Uint64(b), ed25519.PublicKey(b[8:]), nil
}

// GroupInfo is the public view of a group in chain state.
type GroupInfo struct {
	Name      string
	Epoch     uint64
	PublicKey *bbs04.PublicKey
	AdminKey  ed25519.PublicKey
	Members   []MemberInfo // sorted by label
}

// MemberInfo is one on-chain registry entry.
type MemberInfo struct {
	Label     string
	Identity  bbs04.Identity // A at the group's current epoch (the last A if revoked)
	Joined    uint64         // epoch the member was registered at
	RevokedAt uint64         // epoch its revocation started; 0 if a member
	History   []bbs04.Identity
}

func (g *group) info() GroupInfo {
	gi := GroupInfo{Name: g.name, Epoch: g.epoch(), PublicKey: g.key, AdminKey: g.admin}
	for l, m := range g.members {
		gi.Members = append(gi.Members, MemberInfo{Label: l, Identity: m.current(), Joined: m.joined, RevokedAt: m.revokedAt, History: append([]bbs04.Identity(nil), m.as...)})
	}
	sort.Slice(gi.Members, func(i, j int) bool { return gi.Members[i].Label < gi.Members[j].Label })
	return gi
}

// LabelOf names the member whose A at epoch is id (for the opener).
func (gi *GroupInfo) LabelOf(epoch uint64, id bbs04.Identity) (string, bool) {
	for _, m := range gi.Members {
		if epoch < m.Joined {
			continue
		}
		if i := epoch - m.Joined; i < uint64(len(m.History)) && m.History[i] == id {
			return m.Label, true
		}
	}
	return "", false
}
