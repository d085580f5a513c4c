package chain

import (
	"encoding/hex"
	"time"

	"github.com/veilchain/veil/groupsig"
)

// TxJSON is the API's view of a transaction. Byte strings are hex, except
// the payload, which is base64 (encoding/json's []byte form).
type TxJSON struct {
	ID           string    `json:"id"`
	Kind         string    `json:"kind"`
	ChainID      string    `json:"chain_id"`
	Group        string    `json:"group,omitempty"`
	Epoch        uint64    `json:"epoch"`
	Topic        string    `json:"topic,omitempty"`
	Payload      []byte    `json:"payload,omitempty"`
	Tagged       bool      `json:"tagged,omitempty"`
	Tag          string    `json:"tag,omitempty"` // τ of a tagged signature
	Nonce        string    `json:"nonce"`
	Expiry       uint64    `json:"expiry"`
	GroupKey     string    `json:"group_key,omitempty"`
	IssuerProof  string    `json:"issuer_proof,omitempty"`
	OpenerProof  string    `json:"opener_proof,omitempty"`
	AdminKey     string    `json:"admin_key,omitempty"`
	JoinRequest  string    `json:"join_request,omitempty"`
	MemberCert   string    `json:"member_cert,omitempty"`
	JoinResponse string    `json:"join_response,omitempty"`
	Revocation   string    `json:"revocation,omitempty"`
	Node         string    `json:"node,omitempty"`
	RaftAddr     string    `json:"raft_addr,omitempty"` // add_validator
	NodeCert     string    `json:"node_cert,omitempty"` // add_validator: DER, hex
	Rule         *RuleJSON `json:"rule,omitempty"`
	// The threshold kinds (8–13): the committee (hex), the authorities'
	// certificates, the admin's authorisation or abort, the authority's
	// object, and what they name (cref, authority index, the anonymous
	// transaction opened).
	Committee      string   `json:"committee,omitempty"`
	AuthorityCerts []string `json:"authority_certs,omitempty"`
	AdminSig       string   `json:"admin_sig,omitempty"`
	Object         string   `json:"object,omitempty"`
	CommitteeRef   string   `json:"cref,omitempty"`
	Authority      int      `json:"authority,omitempty"`
	Subject        string   `json:"subject,omitempty"`
	Signature      string   `json:"signature"`
	SizeBytes      int      `json:"size"`
}

// RuleJSON is the API's view of a topic rule.
type RuleJSON struct {
	Groups []string `json:"groups"` // empty: every group
	Tagged bool     `json:"tagged"`
	Closes uint64   `json:"closes"` // 0: never
}

// JSON returns the API view of a rule.
func (r TopicRule) JSON() RuleJSON {
	return RuleJSON{Groups: append([]string{}, r.Groups...), Tagged: r.Tagged, Closes: r.Closes}
}

// JSON returns the API view of tx.
func (tx *Tx) JSON() TxJSON {
	id := tx.ID()
	hx := hex.EncodeToString
	j := TxJSON{ID: hx(id[:]), Kind: tx.Kind.String(), ChainID: tx.ChainID, Group: tx.Group,
		Epoch: tx.Epoch, Topic: tx.Topic, Payload: tx.Payload, Nonce: hx(tx.Nonce[:]),
		Expiry: tx.Expiry, GroupKey: hx(tx.GroupKey), IssuerProof: hx(tx.IssuerProof), OpenerProof: hx(tx.OpenerProof),
		AdminKey: hx(tx.AdminKey), JoinRequest: hx(tx.JoinRequest), MemberCert: hx(tx.MemberCert),
		JoinResponse: hx(tx.JoinResponse), Revocation: hx(tx.Revocation), Node: tx.Node, RaftAddr: tx.RaftAddr, NodeCert: hx(tx.NodeCert),
		Signature: hx(tx.Auth), SizeBytes: tx.Size()}
	if tx.Kind == KindAnonymous && groupsig.IsTagged(tx.Auth) {
		j.Tagged, j.Tag = true, hx(groupsig.TagOf(tx.Auth))
	}
	if tx.Kind == KindTopicRule {
		r := tx.Rule.JSON()
		j.Rule = &r
	}
	tx.thresholdJSON(&j)
	return j
}

// BlockJSON is the API's view of a block header and its transaction ids.
type BlockJSON struct {
	Height   uint64    `json:"height"`
	Hash     string    `json:"hash"`
	PrevHash string    `json:"prev_hash"`
	Time     time.Time `json:"time"`
	Proposer string    `json:"proposer"`
	TxRoot   string    `json:"tx_root"`
	TxIDs    []string  `json:"tx_ids"`
	Results  []string  `json:"results,omitempty"` // validation code per transaction
}

// JSON returns the API view of b, with its transactions' codes if known.
func (b *Block) JSON(codes []Code) BlockJSON {
	h := b.Hash()
	j := BlockJSON{Height: b.Height, Hash: hex.EncodeToString(h[:]), PrevHash: hex.EncodeToString(b.PrevHash[:]),
		Time: time.Unix(0, b.Time).UTC(), Proposer: b.Proposer, TxRoot: hex.EncodeToString(b.TxRoot[:]), TxIDs: []string{}}
	for _, tx := range b.Txs {
		id := tx.ID()
		j.TxIDs = append(j.TxIDs, hex.EncodeToString(id[:]))
	}
	for _, c := range codes {
		j.Results = append(j.Results, c.String())
	}
	return j
}
