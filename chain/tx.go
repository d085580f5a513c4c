package chain

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"io"
	"regexp"
	"slices"

	"github.com/veilchain/veil/groupsig"
)

// Kind is a transaction's type.
type Kind uint8

// Transaction kinds.
const (
	// KindAnonymous is a member's transaction, signed with the group's
	// group signature (SPEC-groupsig-v2): nodes learn the group, never the
	// member. On a tagged topic it carries a tagged signature, one per
	// member.
	KindAnonymous Kind = 1
	// KindAddGroup registers a new group after genesis: gpk_0 with its
	// issuer and opener proofs and the issuer's admin key. The consortium
	// admin key signs it.
	KindAddGroup Kind = 2
	// KindJoinRequest posts a member's join request with its member
	// identity certificate; the member's identity key signs it.
	KindJoinRequest Kind = 3
	// KindRevokeMember publishes the issuer's authenticated revocation
	// record, moving the group to its next epoch; the group's issuer admin
	// key signs it.
	KindRevokeMember Kind = 4
	// KindRevokeNode revokes a node's certificate: once committed, every
	// node drops and refuses it on gossip, raft and sync, and the leader
	// removes it from raft. The consortium admin key signs it.
	KindRevokeNode Kind = 5
	// KindJoinResponse answers a posted join request; the group's issuer
	// admin key signs it.
	KindJoinResponse Kind = 6
	// KindTopicRule sets a topic's rule once: which groups may post, whether
	// a tag is required, the closing height. The consortium admin key signs
	// it.
	KindTopicRule Kind = 7
	// Kinds 8–13 are the threshold opening's (threshold_tx.go):
	// KindCommittee, KindApproval, KindShareProof, KindConsent,
	// KindPartialOpening and KindCommitteeAbort.

	// KindAddValidator makes a node certified by the chain CA a
	// validator from the next block on: it carries the node id, its raft
	// address and its node certificate, whose key signs its blocks. The
	// consortium admin key signs it (validators.go).
	KindAddValidator Kind = 14
	// KindRemoveValidator takes a validator out of the set from the next
	// block on; it goes on as an observer. The consortium admin key signs
	// it.
	KindRemoveValidator Kind = 15
)

var kindNames = map[Kind]string{
	KindAnonymous: "anonymous", KindAddGroup: "add_group", KindJoinRequest: "join_request",
	KindRevokeMember: "revoke_member", KindRevokeNode: "revoke_node", KindJoinResponse: "join_response",
	KindTopicRule: "topic_rule", KindCommittee: "committee", KindApproval: "approval", KindShareProof: "share_proof",
	KindConsent: "consent", KindPartialOpening: "partial_opening", KindCommitteeAbort: "committee_abort",
	KindAddValidator: "add_validator", KindRemoveValidator: "remove_validator",
}

// String returns the kind's name as the API shows it ("anonymous", …).
func (k Kind) String() string {
	if n, ok := kindNames[k]; ok {
		return n
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Limits of the transaction encoding.
const (
	TxVersion       = 2
	MaxChainIDLen   = 64
	MaxGroupNameLen = 64
	MaxTopicLen     = 64
	MaxPayloadLen   = 64 << 10
	MaxLabelLen     = groupsig.MaxLabelLen
	NonceSize       = 16
	// MaxTxSize bounds every encoded transaction but a revocation (the
	// largest other kind is an anonymous one with its 64 KiB payload).
	MaxTxSize = 1 << 20
	// MaxRevocationTxSize bounds a revocation transaction: its record
	// re-issues every remaining member (1 + label length + 48 bytes each
	// for BLS12-381, 32 for BN254), so it may fill a block alone — about
	// 147,000 BLS12-381 members with 8-byte labels, 74,000 with 64-byte
	// ones. A larger one is refused, too_large.
	MaxRevocationTxSize = MaxBlockSize - maxBlockFraming
	// MaxCertSize bounds a member identity certificate (DER).
	MaxCertSize = 4096
	// MaxRuleGroups bounds the groups a topic rule names.
	MaxRuleGroups = 64
	maxObject     = 1024 // a group key, proof, request or response
)

// txDomain separates transaction ids from every other hash in veil.
const txDomain = "veil/tx/v2\x00"

var (
	groupNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	nodeIDRE    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
)

// ValidNodeID reports whether s can be a node id (a certificate CN).
func ValidNodeID(s string) bool { return nodeIDRE.MatchString(s) }

// ValidGroupName reports whether s can name a group: 1 to 64 of a-z 0-9 . _ -,
// starting with a letter or digit.
func ValidGroupName(s string) bool { return groupNameRE.MatchString(s) }

// TopicScope is the scope S (SPEC-groupsig-v2 §4) of a topic's tags:
// "veil/" ‖ chain id ‖ "/" ‖ topic, so that tags never link across chains
// or topics.
func TopicScope(chainID, topic string) []byte { return []byte("veil/" + chainID + "/" + topic) }

// TopicRule is a topic's rule: the groups that may post to it (all when
// empty), whether each member may act once (a tagged signature, its tag
// kept by the ledger), and the last height it takes transactions at (0:
// never closes).
type TopicRule struct {
	Groups []string
	Tagged bool
	Closes uint64
}

// Allows reports whether the rule lets group post.
func (r *TopicRule) Allows(group string) bool {
	return len(r.Groups) == 0 || slices.Contains(r.Groups, group)
}

// Tx is a transaction. Which fields are set depends on Kind; the canonical
// encoding (see doc.go) carries exactly those. Decode and the Build
// functions fill the id; treat a Tx as immutable once built.
type Tx struct {
	Kind    Kind
	ChainID string
	Expiry  uint64 // last height at which the transaction may be committed
	Nonce   [NonceSize]byte

	Group string // every kind but KindRevokeNode and KindTopicRule

	// KindAnonymous (Topic also KindTopicRule)
	Epoch   uint64
	Topic   string
	Payload []byte

	// KindAddGroup
	GroupKey    []byte            // gpk_0
	IssuerProof []byte            // its issuer proof
	OpenerProof []byte            // its opener proof
	AdminKey    ed25519.PublicKey // the group issuer's admin key

	// KindJoinRequest
	JoinRequest []byte // the spec's join request
	MemberCert  []byte // the member's identity certificate (DER) from the chain CA

	// KindJoinResponse
	JoinResponse []byte

	// KindRevokeMember
	Revocation []byte // the spec's revocation record

	// KindRevokeNode: the node id (certificate CN) revoked;
	// KindAddValidator, KindRemoveValidator: the validator's. Group is
	// empty.
	Node string
	// KindAddValidator: the node's raft address (host:port) and its node
	// certificate (DER) from the chain CA.
	RaftAddr string
	NodeCert []byte

	// KindTopicRule
	Rule TopicRule

	// Kinds 8–13, the threshold opening (see threshold_tx.go).
	Committee      []byte   // KindCommittee: the committee (0B)
	AuthorityCerts [][]byte // KindCommittee: each authority's member certificate (DER), in index order
	AdminSig       []byte   // adsig_ADMIN(cref) of a first committee (empty for a rotation), adsig_ABORT(cref) of an abort
	CommitteeRef   [32]byte // KindCommitteeAbort: the cref aborted
	Subject        [32]byte // KindConsent, KindPartialOpening: id of the anonymous transaction whose signature is to be opened
	Object         []byte   // KindApproval, KindShareProof, KindConsent, KindPartialOpening: the authority's signed object

	// Auth is the group signature (anonymous), the identity key's Ed25519
	// signature (join request) or the Ed25519 admin signature, over the id.
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
		e.bytes16(tx.IssuerProof)
		e.bytes16(tx.OpenerProof)
		e.raw(tx.AdminKey)
	case KindJoinRequest:
		e.bytes16(tx.JoinRequest)
		e.bytes16(tx.MemberCert)
	case KindJoinResponse:
		e.bytes16(tx.JoinResponse)
	case KindRevokeMember:
		e.bytes32(tx.Revocation)
	case KindRevokeNode, KindRemoveValidator:
		e.str8(tx.Node)
	case KindAddValidator:
		e.str8(tx.Node)
		e.str8(tx.RaftAddr)
		e.bytes16(tx.NodeCert)
	case KindTopicRule:
		e.str8(tx.Topic)
		e.u8(uint8(len(tx.Rule.Groups)))
		for _, g := range tx.Rule.Groups {
			e.str8(g)
		}
		e.u8(boolByte(tx.Rule.Tagged))
		e.u64(tx.Rule.Closes)
	default:
		tx.encodeThreshold(e)
	}
}

func boolByte(b bool) uint8 {
	if b {
		return 1
	}
	return 0
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
	if tx.size > maxTxSize(tx.Kind) {
		return tooLarge(tx.Kind, tx.size)
	}
	return nil
}

// maxTxSize is the most bytes a transaction of kind k may encode to.
func maxTxSize(k Kind) int {
	if k == KindRevokeMember {
		return MaxRevocationTxSize
	}
	return MaxTxSize
}

func tooLarge(k Kind, size int) error {
	if k == KindRevokeMember {
		return errorf(ErrTooLarge, "revocation transaction is %d bytes, at most %d: its record re-issues every remaining member "+
			"and must fit alone in a block of %d bytes, so this group has too many members to revoke in one record", size, MaxRevocationTxSize, MaxBlockSize)
	}
	return errorf(ErrTooLarge, "transaction is %d bytes, at most %d", size, MaxTxSize)
}

func (tx *Tx) checkFields() error {
	switch {
	case tx.ChainID == "" || len(tx.ChainID) > MaxChainIDLen:
		return errorf(ErrMalformed, "chain id must be 1 to %d bytes", MaxChainIDLen)
	case tx.Kind == KindRevokeNode || tx.Kind == KindTopicRule || tx.Kind == KindAddValidator || tx.Kind == KindRemoveValidator:
		if tx.Group != "" {
			return errorf(ErrMalformed, "a %s transaction names no group", tx.Kind)
		}
	case !ValidGroupName(tx.Group):
		return errorf(ErrMalformed, "group name %q: 1 to 64 of a-z 0-9 . _ -", tx.Group)
	}
	if len(tx.Topic) > MaxTopicLen {
		return errorf(ErrMalformed, "topic is %d bytes, at most %d", len(tx.Topic), MaxTopicLen)
	}
	switch tx.Kind {
	case KindAnonymous:
		if len(tx.Payload) > MaxPayloadLen {
			return errorf(ErrTooLarge, "payload is %d bytes, at most %d", len(tx.Payload), MaxPayloadLen)
		}
		if !slices.Contains(groupsig.SignatureSizes(), len(tx.Auth)) {
			return errorf(ErrMalformed, "group signature is %d bytes, want one of %v", len(tx.Auth), groupsig.SignatureSizes())
		}
		return nil
	case KindAddGroup:
		if len(tx.GroupKey) == 0 || len(tx.IssuerProof) == 0 || len(tx.OpenerProof) == 0 {
			return errorf(ErrMalformed, "a new group needs its key, issuer proof and opener proof")
		}
		if len(tx.AdminKey) != ed25519.PublicKeySize {
			return errorf(ErrMalformed, "admin key is %d bytes, want %d", len(tx.AdminKey), ed25519.PublicKeySize)
		}
	case KindJoinRequest:
		if len(tx.JoinRequest) == 0 || len(tx.MemberCert) == 0 {
			return errorf(ErrMalformed, "a join request needs the request and the member certificate")
		}
	case KindJoinResponse:
		if len(tx.JoinResponse) == 0 {
			return errorf(ErrMalformed, "a join response needs the response")
		}
	case KindRevokeMember:
		if len(tx.Revocation) == 0 {
			return errorf(ErrMalformed, "a revocation needs its record")
		}
	case KindRevokeNode, KindRemoveValidator:
		if !ValidNodeID(tx.Node) {
			return errorf(ErrMalformed, "node id %q: 1 to 64 of A-Z a-z 0-9 . _ -", tx.Node)
		}
	case KindAddValidator:
		if err := checkValidatorFields(tx); err != nil {
			return err
		}
	case KindTopicRule:
		if len(tx.Rule.Groups) > MaxRuleGroups {
			return errorf(ErrMalformed, "a topic rule names at most %d groups", MaxRuleGroups)
		}
		for i, g := range tx.Rule.Groups {
			if !ValidGroupName(g) || (i > 0 && tx.Rule.Groups[i-1] >= g) {
				return errorf(ErrMalformed, "topic rule groups must be valid names in increasing order, at %q", g)
			}
		}
	case KindCommittee, KindApproval, KindShareProof, KindConsent, KindPartialOpening, KindCommitteeAbort:
		return tx.checkThresholdFields()
	default:
		return errorf(ErrMalformed, "unknown transaction kind %d", tx.Kind)
	}
	if len(tx.Auth) != ed25519.SignatureSize {
		return errorf(ErrMalformed, "Ed25519 signature is %d bytes, want %d", len(tx.Auth), ed25519.SignatureSize)
	}
	return nil
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
		var k Kind
		if len(b) > 1 {
			k = Kind(b[1])
		}
		if len(b) > maxTxSize(k) {
			return nil, tooLarge(k, len(b))
		}
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
		tx.GroupKey = d.bytes16(maxObject, "group key")
		tx.IssuerProof = d.bytes16(maxObject, "issuer proof")
		tx.OpenerProof = d.bytes16(maxObject, "opener proof")
		tx.AdminKey = ed25519.PublicKey(d.take(ed25519.PublicKeySize, "admin key"))
	case KindJoinRequest:
		tx.JoinRequest = d.bytes16(maxObject, "join request")
		tx.MemberCert = d.bytes16(MaxCertSize, "member certificate")
	case KindJoinResponse:
		tx.JoinResponse = d.bytes16(maxObject, "join response")
	case KindRevokeMember:
		tx.Revocation = d.bytes32(MaxRevocationTxSize, "revocation record")
	case KindRevokeNode, KindRemoveValidator:
		tx.Node = d.str8(MaxNodeIDLen, "node id")
	case KindAddValidator:
		tx.Node = d.str8(MaxNodeIDLen, "node id")
		tx.RaftAddr = d.str8(MaxRaftAddrLen, "raft address")
		tx.NodeCert = d.bytes16(MaxCertSize, "node certificate")
	case KindTopicRule:
		tx.Topic = d.str8(MaxTopicLen, "topic")
		n := d.u8("group count")
		for i := uint8(0); i < n && d.err == nil; i++ {
			tx.Rule.Groups = append(tx.Rule.Groups, d.str8(MaxGroupNameLen, "rule group"))
		}
		if t := d.u8("tagged"); d.err == nil && t > 1 {
			d.fail("tagged flag %d, want 0 or 1", t)
		} else {
			tx.Rule.Tagged = t == 1
		}
		tx.Rule.Closes = d.u64("closing height")
	case KindCommittee, KindApproval, KindShareProof, KindConsent, KindPartialOpening, KindCommitteeAbort:
		tx.decodeThreshold(d)
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

// SignAnonymous fills the id and signs it with a member key under gk, the
// group's key at tx.Epoch: untagged, or tagged with the topic's scope when
// tagged (a tagged topic's rule requires it).
func (tx *Tx) SignAnonymous(gk *groupsig.GroupKey, mk *groupsig.MemberKey, tagged bool, rand io.Reader) error {
	tx.Kind = KindAnonymous
	var scope []byte
	if tagged {
		scope = TopicScope(tx.ChainID, tx.Topic)
	}
	tx.Auth = make([]byte, groupsig.SignatureSizes()[0]) // any valid size, for seal's checks
	if err := tx.seal(); err != nil {
		return err
	}
	sig, err := groupsig.Sign(gk, mk, tx.id[:], scope, rand)
	if err != nil {
		return fmt.Errorf("sign transaction: %w", err)
	}
	tx.Auth = sig
	tx.size = len(tx.Encode())
	return nil
}

// SignAdmin fills the id and signs it with an Ed25519 key: the consortium
// admin's (KindAddGroup, KindRevokeNode, KindTopicRule, KindAddValidator,
// KindRemoveValidator), the group
// issuer's (KindJoinResponse, KindRevokeMember) or the member's identity
// key (KindJoinRequest).
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
