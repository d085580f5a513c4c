package chain

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/veilchain/veil/groupsig/bbs04"
)

// Kind is a transaction's type.
type Kind uint8

// Transaction kinds.
const (
	// KindAnonymous is a member's transaction, signed with the group's BBS04
	// signature: nodes learn the group, never the member.
	KindAnonymous Kind = 1
	// KindAddGroup registers a new group after genesis; the consortium admin
	// key signs it.
	KindAddGroup Kind = 2
	// KindRegisterMember records label → A in a group's on-chain registry;
	// the group's issuer admin key signs it.
	KindRegisterMember Kind = 3
	// KindRevokeMember publishes a revocation record and every remaining
	// member's new A, moving the group to its next epoch; the group's issuer
	// admin key signs it.
	KindRevokeMember Kind = 4
	// KindRevokeNode revokes a node's certificate: once committed, every
	// node drops and refuses it on gossip, raft and sync, and the leader
	// removes it from raft. The consortium admin key signs it.
	KindRevokeNode Kind = 5
)

// String returns the kind's name as the API shows it ("anonymous", …).
func (k Kind) String() string {
	switch k {
	case KindAnonymous:
		return "anonymous"
	case KindAddGroup:
		return "add_group"
	case KindRegisterMember:
		return "register_member"
	case KindRevokeMember:
		return "revoke_member"
	case KindRevokeNode:
		return "revoke_node"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Limits of the transaction encoding.
const (
	TxVersion       = 1
	MaxChainIDLen   = 64
	MaxGroupNameLen = 64
	MaxTopicLen     = 64
	MaxPayloadLen   = 64 << 10
	MaxLabelLen     = bbs04.MaxLabelLen
	NonceSize       = 16
	// MaxTxSize bounds any encoded transaction; a revocation that lists
	// every remaining member's new A is the largest kind.
	MaxTxSize = 1 << 20
	// MaxRevokeUpdates bounds the member list of one revocation.
	MaxRevokeUpdates = (MaxTxSize - 1024) / (1 + MaxLabelLen + bbs04.IdentitySize)
)

// txDomain separates transaction ids from every other hash in veil.
const txDomain = "veil/tx/v1\x00"

var (
	groupNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	nodeIDRE    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
)

// ValidNodeID reports whether s can be a node id (a certificate CN).
func ValidNodeID(s string) bool { return nodeIDRE.MatchString(s) }

// ValidGroupName reports whether s can name a group: 1 to 64 of a-z 0-9 . _ -,
// starting with a letter or digit.
func ValidGroupName(s string) bool { return groupNameRE.MatchString(s) }

// MemberUpdate is one remaining member's new A in a revocation.
type MemberUpdate struct {
	Label    string
	Identity bbs04.Identity
}

// Tx is a transaction. Which fields are set depends on Kind; the canonical
// encoding (see doc.go) carries exactly those. Decode and the Build
// functions fill the id; treat a Tx as immutable once built.
type Tx struct {
	Kind    Kind
	ChainID string
	Expiry  uint64 // last height at which the transaction may be committed
	Nonce   [NonceSize]byte

	Group string // every kind

	// KindAnonymous
	Epoch   uint64
	Topic   string
	Payload []byte

	// KindAddGroup
	GroupKey []byte            // groupsig public key encoding, epoch 0
	AdminKey ed25519.PublicKey // the group issuer's admin key

	// KindRegisterMember and KindRevokeMember
	Label    string
	Identity bbs04.Identity // KindRegisterMember: the new member's A

	// KindRevokeMember
	Revocation []byte // bbs04.RevocationRecord encoding
	Updates    []MemberUpdate

	// KindRevokeNode: the node id (certificate CN) revoked. Group is empty.
	Node string

	// Auth is the group signature (anonymous) or the Ed25519 admin
	// signature, over the id.
	Auth []byte

	id   [32]byte
	size int
}

// ID is the hash of the transaction's signed content: every field but
// Auth. Two transactions that differ only in their signature bytes have the
// same id, so a replayed or re-signed transaction is a duplicate.
func (tx *Tx) ID() [32]byte { return tx.id }

// Size is the length of the transaction's canonical encoding.
func (tx *Tx) Size() int { return tx.size }

// encodeBody writes everything but Auth: the signed content.
func (tx *Tx) encodeBody(e *encoder) {
	e.u8(TxVersion)
	e.u8(uint8(tx.Kind))
	e.str8(tx.ChainID)
	e.u64(tx.Expiry)
	e.raw(tx.Nonce[:])
	e.str8(tx.Group)
	switch tx.Kind {
	case KindAnonymous:
		e.u64(tx.Epoch)
		e.str8(tx.Topic)
		e.bytes32(tx.Payload)
	case KindAddGroup:
		e.bytes16(tx.GroupKey)
		e.raw(tx.AdminKey)
	case KindRegisterMember:
		e.str8(tx.Label)
		e.raw(tx.Identity[:])
	case KindRevokeMember:
		e.str8(tx.Label)
		e.bytes16(tx.Revocation)
		e.u32(uint32(len(tx.Updates)))
		for _, u := range tx.Updates {
			e.str8(u.Label)
			e.raw(u.Identity[:])
		}
	case KindRevokeNode:
		e.str8(tx.Node)
	}
}

// Encode returns the canonical encoding: body, then u16 length ‖ Auth.
func (tx *Tx) Encode() []byte {
	e := &encoder{b: make([]byte, 0, 256+len(tx.Payload)+len(tx.Auth))}
	tx.encodeBody(e)
	e.bytes16(tx.Auth)
	return e.b
}

// SigningHash returns the id that Auth signs: SHA-256 of a domain tag and
// the encoded body.
func (tx *Tx) SigningHash() [32]byte {
	e := &encoder{b: append(make([]byte, 0, 256+len(tx.Payload)), txDomain...)}
	tx.encodeBody(e)
	return sha256.Sum256(e.b)
}

// seal checks the fields against the encoding's limits and fills id and
// size. Every constructor and Decode ends with it.
func (tx *Tx) seal() error {
	if err := tx.checkFields(); err != nil {
		return err
	}
	tx.id = tx.SigningHash()
	tx.size = len(tx.Encode())
	if tx.size > MaxTxSize {
		return errorf(ErrTooLarge, "transaction is %d bytes, at most %d", tx.size, MaxTxSize)
	}
	return nil
}

func (tx *Tx) checkFields() error {
	switch {
	case tx.ChainID == "" || len(tx.ChainID) > MaxChainIDLen:
		return errorf(ErrMalformed, "chain id must be 1 to %d bytes", MaxChainIDLen)
	case tx.Kind == KindRevokeNode:
		if tx.Group != "" {
			return errorf(ErrMalformed, "a node revocation names no group")
		}
		if !ValidNodeID(tx.Node) {
			return errorf(ErrMalformed, "node id %q: 1 to 64 of A-Z a-z 0-9 . _ -", tx.Node)
		}
	case !ValidGroupName(tx.Group):
		return errorf(ErrMalformed, "group name %q: 1 to 64 of a-z 0-9 . _ -", tx.Group)
	}
	switch tx.Kind {
	case KindAnonymous:
		if len(tx.Topic) > MaxTopicLen {
			return errorf(ErrMalformed, "topic is %d bytes, at most %d", len(tx.Topic), MaxTopicLen)
		}
		if len(tx.Payload) > MaxPayloadLen {
			return errorf(ErrTooLarge, "payload is %d bytes, at most %d", len(tx.Payload), MaxPayloadLen)
		}
		if !suiteSize(len(tx.Auth), bbs04.SignatureSizeOf) {
			return errorf(ErrMalformed, "group signature is %d bytes, want %s", len(tx.Auth), suiteSizes(bbs04.SignatureSizeOf))
		}
		return nil
	case KindAddGroup:
		if !suiteSize(len(tx.GroupKey), bbs04.PublicKeySizeOf) {
			return errorf(ErrMalformed, "group key is %d bytes, want %s", len(tx.GroupKey), suiteSizes(bbs04.PublicKeySizeOf))
		}
		if len(tx.AdminKey) != ed25519.PublicKeySize {
			return errorf(ErrMalformed, "admin key is %d bytes, want %d", len(tx.AdminKey), ed25519.PublicKeySize)
		}
	case KindRegisterMember:
		if err := checkLabel(tx.Label); err != nil {
			return err
		}
	case KindRevokeMember:
		if err := checkLabel(tx.Label); err != nil {
			return err
		}
		if !suiteSize(len(tx.Revocation), bbs04.RevocationRecordSizeOf) {
			return errorf(ErrMalformed, "revocation record is %d bytes, want %s", len(tx.Revocation), suiteSizes(bbs04.RevocationRecordSizeOf))
		}
		if len(tx.Updates) > MaxRevokeUpdates {
			return errorf(ErrTooLarge, "%d member updates, at most %d", len(tx.Updates), MaxRevokeUpdates)
		}
		for _, u := range tx.Updates {
			if err := checkLabel(u.Label); err != nil {
				return err
			}
		}
	case KindRevokeNode:
	default:
		return errorf(ErrMalformed, "unknown transaction kind %d", tx.Kind)
	}
	if len(tx.Auth) != ed25519.SignatureSize {
		return errorf(ErrMalformed, "admin signature is %d bytes, want %d", len(tx.Auth), ed25519.SignatureSize)
	}
	return nil
}

// suiteSize reports whether n is the size of an encoding of some groupsig
// suite (groups of every pairing type share one ledger); the encoding's
// own decoder then checks that its suite byte agrees.
func suiteSize(n int, sizeOf func(bbs04.Suite) int) bool {
	for _, s := range bbs04.Suites() {
		if sizeOf(s) == n {
			return true
		}
	}
	return false
}

// maxSuiteSize is the largest size of an encoding over all suites.
func maxSuiteSize(sizeOf func(bbs04.Suite) int) int {
	m := 0
	for _, s := range bbs04.Suites() {
		m = max(m, sizeOf(s))
	}
	return m
}

// suiteSizes lists the accepted sizes for an error message.
func suiteSizes(sizeOf func(bbs04.Suite) int) string {
	var parts []string
	for _, s := range bbs04.Suites() {
		parts = append(parts, fmt.Sprintf("%d (%s)", sizeOf(s), s))
	}
	return strings.Join(parts, " or ")
}

func checkLabel(l string) error {
	if l == "" || len(l) > MaxLabelLen {
		return errorf(ErrMalformed, "member label must be 1 to %d bytes", MaxLabelLen)
	}
	return nil
}

// DecodeTx parses a canonical transaction encoding strictly: unknown
// versions and kinds, oversize lengths, invalid UTF-8 and trailing bytes
// are refused with an error wrapping ErrMalformed (or ErrTooLarge).
// Signatures are checked by validation, not here.
func DecodeTx(b []byte) (*Tx, error) {
	if len(b) > MaxTxSize {
		return nil, errorf(ErrTooLarge, "transaction is %d bytes, at most %d", len(b), MaxTxSize)
	}
	d := &decoder{b: b}
	if v := d.u8("version"); d.err == nil && v != TxVersion {
		return nil, errorf(ErrMalformed, "transaction version %d, this node reads %d", v, TxVersion)
	}
	tx := &Tx{Kind: Kind(d.u8("kind"))}
	tx.ChainID = d.str8(MaxChainIDLen, "chain id")
	tx.Expiry = d.u64("expiry")
	d.fixed(tx.Nonce[:], "nonce")
	tx.Group = d.str8(MaxGroupNameLen, "group")
	switch tx.Kind {
	case KindAnonymous:
		tx.Epoch = d.u64("epoch")
		tx.Topic = d.str8(MaxTopicLen, "topic")
		tx.Payload = d.bytes32(MaxPayloadLen, "payload")
	case KindAddGroup:
		tx.GroupKey = d.bytes16(maxSuiteSize(bbs04.PublicKeySizeOf), "group key")
		tx.AdminKey = ed25519.PublicKey(d.take(ed25519.PublicKeySize, "admin key"))
	case KindRegisterMember:
		tx.Label = d.str8(MaxLabelLen, "label")
		d.fixed(tx.Identity[:], "identity")
	case KindRevokeMember:
		tx.Label = d.str8(MaxLabelLen, "label")
		tx.Revocation = d.bytes16(maxSuiteSize(bbs04.RevocationRecordSizeOf), "revocation record")
		n := d.u32("update count")
		if d.err == nil && (n > MaxRevokeUpdates || uint64(n)*(1+bbs04.IdentitySize) > uint64(len(d.b))) {
			d.fail("update count %d exceeds what is left", n)
		}
		for i := uint32(0); i < n && d.err == nil; i++ {
			var u MemberUpdate
			u.Label = d.str8(MaxLabelLen, "update label")
			d.fixed(u.Identity[:], "update identity")
			tx.Updates = append(tx.Updates, u)
		}
	case KindRevokeNode:
		tx.Node = d.str8(MaxNodeIDLen, "node id")
	default:
		if d.err == nil {
			return nil, errorf(ErrMalformed, "unknown transaction kind %d", tx.Kind)
		}
	}
	bodyLen := len(b) - len(d.b)
	tx.Auth = d.bytes16(1024, "auth")
	d.end("transaction")
	if d.err != nil {
		return nil, d.err
	}
	if err := tx.checkFields(); err != nil {
		return nil, err
	}
	// The id hashes the body bytes as received: the encoding is canonical,
	// so they are the bytes encodeBody would write, without a second pass.
	h := sha256.New()
	h.Write([]byte(txDomain))
	h.Write(b[:bodyLen])
	h.Sum(tx.id[:0])
	tx.size = len(b)
	return tx, nil
}

// SignAnonymous fills the id and signs it with a member key: the node
// checks the signature against the group key at tx.Epoch from chain state.
func (tx *Tx) SignAnonymous(mk *bbs04.MemberKey, rand io.Reader) error {
	tx.Kind = KindAnonymous
	tx.Auth = make([]byte, bbs04.SignatureSizeOf(mk.PublicKey().Suite())) // sized for seal's checks and tx.size
	if err := tx.seal(); err != nil {
		return err
	}
	sig, err := bbs04.Sign(mk, tx.id[:], rand)
	if err != nil {
		return fmt.Errorf("sign transaction: %w", err)
	}
	tx.Auth = sig
	return nil
}

// SignAdmin fills the id and signs it with an Ed25519 admin key (the
// consortium admin's for KindAddGroup, the group issuer's otherwise).
func (tx *Tx) SignAdmin(key ed25519.PrivateKey) error {
	tx.Auth = make([]byte, ed25519.SignatureSize)
	if err := tx.seal(); err != nil {
		return err
	}
	tx.Auth = ed25519.Sign(key, tx.id[:])
	return nil
}

// NewNonce draws a transaction nonce.
func NewNonce(rand io.Reader) ([NonceSize]byte, error) {
	var n [NonceSize]byte
	if _, err := io.ReadFull(rand, n[:]); err != nil {
		return n, fmt.Errorf("draw nonce: %w", err)
	}
	return n, nil
}
