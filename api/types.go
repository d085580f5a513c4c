package api

import (
	"time"

	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/version"
)

// The JSON bodies of the API. Package client decodes the same types.

// SubmitRequest is the body of POST /v1/txs.
type SubmitRequest struct {
	Tx string `json:"tx"` // hex of the canonical transaction encoding
}

// SubmitResponse is the 202 answer to POST /v1/txs.
type SubmitResponse struct {
	ID     string `json:"id"`
	Status string `json:"status"` // "pending"
}

// ErrorBody wraps every refusal: {"error": {"code": …, "message": …}}.
// A refusal because the node has found a fork (code forked: /readyz and
// POST /v1/txs) also lists the conflicts.
type ErrorBody struct {
	Error ErrorDetail    `json:"error"`
	Forks []ForkConflict `json:"forks,omitempty"`
}

// ErrorDetail is a refusal's stable code and a human message.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// TxResponse is GET /v1/txs/{id}.
type TxResponse struct {
	chain.TxJSON
	Raw    string  `json:"raw"`    // hex of the canonical encoding (what the id hashes, what evidence carries)
	Status string  `json:"status"` // "pending" or "committed"
	Height *uint64 `json:"height,omitempty"`
	Index  *uint32 `json:"index,omitempty"`
}

// TopicPage is GET /v1/topics/{topic}/txs.
type TopicPage struct {
	Topic string   `json:"topic"`
	IDs   []string `json:"ids"`
	Next  string   `json:"next"` // cursor for ?after=; unchanged at the end
}

// GroupsResponse is GET /v1/groups.
type GroupsResponse struct {
	Groups []string `json:"groups"`
}

// GroupResponse is GET /v1/groups/{name}: the group's key and its register
// of members, without the join records themselves (GET
// /v1/groups/{name}/members/{label} has those), so that it stays small for
// a group of ten thousand members.
type GroupResponse struct {
	Name     string `json:"name"`
	Epoch    uint64 `json:"epoch"`     // the group's current epoch
	KeyEpoch uint64 `json:"key_epoch"` // the epoch of group_key (?epoch=N, else current)
	GroupKey string `json:"group_key"` // hex; gpk_0 at epoch 0, else gpk_e
	AdminKey string `json:"admin_key"` // the issuer's Ed25519 admin key, hex
	// IssuerProof and OpenerProof are gpk_0's proofs (hex): a member
	// checks them before it makes a join request.
	IssuerProof string          `json:"issuer_proof"`
	OpenerProof string          `json:"opener_proof"`
	Members     []MemberSummary `json:"members"` // by label, revoked ones included
	Pending     []PendingJoin   `json:"pending"` // join requests not yet answered
}

// MemberSummary is one member of a group's register.
type MemberSummary struct {
	Label       string `json:"label"`
	Org         string `json:"org"`
	IdentityKey string `json:"identity_key"` // Ed25519, hex
	State       string `json:"state"`        // "active" or "revoked"
	Joined      uint64 `json:"joined_epoch"`
	Height      uint64 `json:"height"` // of its join response (0: genesis)
	RevokedAt   uint64 `json:"revoked_epoch,omitempty"`
	A           string `json:"a"` // hex A of its join response (later epochs: the revocation records)
}

// MemberResponse is GET /v1/groups/{name}/members/{label}: the public join
// record (request and response) and the identity certificate, which with
// the revocation records are what an opener needs to name the member and
// a third party to check the evidence.
type MemberResponse struct {
	MemberSummary
	Group        string `json:"group"`
	JoinRequest  string `json:"join_request"`  // hex
	JoinResponse string `json:"join_response"` // hex
	Cert         string `json:"cert"`          // identity certificate, DER hex
}

// PendingJoin is a join request on chain that no response answered yet.
type PendingJoin struct {
	Hash        string `json:"hash"` // hex H(request): what a response names
	Label       string `json:"label"`
	Org         string `json:"org"`
	IdentityKey string `json:"identity_key"`
	Height      uint64 `json:"height"`
	JoinRequest string `json:"join_request"` // hex
	Cert        string `json:"cert"`         // DER hex
}

// RevocationsResponse is GET /v1/groups/{name}/revocations.
type RevocationsResponse struct {
	Name    string   `json:"name"`
	Records []string `json:"records"` // hex; records[i] moved the group to epoch i+1
}

// TopicResponse is GET /v1/topics/{topic}: its rule, if one was set, and
// for a tagged topic the tally of distinct members who acted (distinct
// tags: a member acts at most once, whatever its epoch).
type TopicResponse struct {
	Topic  string          `json:"topic"`
	Rule   *chain.RuleJSON `json:"rule"`   // null: open to every group, untagged
	Height uint64          `json:"height"` // the height the rule was set at
	Scope  string          `json:"scope"`  // the tag scope S, as text
	Tally  uint64          `json:"tally"`  // distinct members who acted (tagged topics)
	Open   bool            `json:"open"`   // false once the closing height has passed
}

// Status is GET /v1/status.
type Status struct {
	NodeID   string `json:"node_id"`
	ChainID  string `json:"chain_id"`
	Height   uint64 `json:"height"`
	HeadHash string `json:"head_hash"`
	Leader   string `json:"leader"`
	Peers    int    `json:"peers"`
	Role     string `json:"role"` // "validator" or "observer"
	Mempool  int    `json:"mempool"`
	// Forked is set once this node has found a peer that committed a
	// different block at a height this node committed; Forks names each
	// such peer with the lowest height found. It clears only when the node
	// restarts (see package node).
	Forked bool           `json:"forked"`
	Forks  []ForkConflict `json:"forks,omitempty"`
	// Version is the node binary's build (as `veil version` prints it).
	Version version.Info `json:"version"`

	// Raft: this node's term and state (follower, candidate, leader,
	// shutdown), its commit and applied indexes, the voters and
	// observers (non-voters) of raft's configuration, by node id, and
	// the seconds since it last heard from the leader (0 on the leader,
	// -1 before any contact).
	Term               uint64   `json:"term"`
	RaftState          string   `json:"raft_state"`
	CommitIndex        uint64   `json:"commit_index"`
	AppliedIndex       uint64   `json:"applied_index"`
	Voters             []string `json:"voters"`
	Observers          []string `json:"observers"`
	LastContactSeconds float64  `json:"last_contact_seconds"`
	// Sync is "syncing" while the node restores a raft snapshot by block
	// sync or lags the highest head it knows (TargetHeight) by more than
	// a few blocks, else "caught_up".
	Sync         string `json:"sync"`
	TargetHeight uint64 `json:"target_height"`

	// Consensus is the chain's ordering engine, "raft" or "bft" (genesis).
	// On a BFT chain the raft fields stay empty, Voters lists the
	// validators SmartBFT orders with, Leader is the current view's
	// leader and BFT says the rest.
	Consensus string     `json:"consensus"`
	BFT       *BFTStatus `json:"bft,omitempty"`
}

// BFTStatus is the BFT engine's state as this node sees it.
type BFTStatus struct {
	// Running is false on an observer, and on a validator whose engine
	// has not started (or was evicted by a validator change).
	Running bool `json:"running"`
	// View is the current view number; each view has one leader.
	View uint64 `json:"view"`
	// Sequence is the last decided sequence (the block height).
	Sequence uint64 `json:"sequence"`
	// N is the number of validators and F = (N−1)/3 the number of
	// faulty (crashed or Byzantine) ones the chain tolerates; a decision
	// needs a quorum of ⌈(N+F+1)/2⌉ validators.
	N      int `json:"n"`
	F      int `json:"f"`
	Quorum int `json:"quorum"`
	// ViewChanges counts the view changes this node has taken part in
	// since it started.
	ViewChanges uint64 `json:"view_changes"`
}

// Health is GET /healthz: status "ok" (200) when every component is,
// else "unavailable" (503) with the failed ones and their errors.
type Health struct {
	Status     string             `json:"status"`
	Components map[string]string  `json:"components"` // component → "ok" or "failed"
	Failed     []ComponentFailure `json:"failed,omitempty"`
}

// ComponentFailure names a failed component and why.
type ComponentFailure struct {
	Component string `json:"component"`
	Error     string `json:"error"`
}

// ComponentHealth is one component's check as a Backend reports it: Err
// nil when it is ok.
type ComponentHealth struct {
	Component string
	Err       error
}

// ForkConflict is a height at which a peer holds a committed,
// validator-signed block other than this node's.
type ForkConflict struct {
	Peer         string    `json:"peer"`
	Height       uint64    `json:"height"`
	LocalHash    string    `json:"local_hash"`    // hex
	PeerHash     string    `json:"peer_hash"`     // hex
	PeerProposer string    `json:"peer_proposer"` // the validator that signed the peer's block
	DetectedAt   time.Time `json:"detected_at"`
}

// Peer is one entry of GET /v1/peers.
type Peer struct {
	ID      string `json:"id"`
	Addr    string `json:"addr"`
	APIAddr string `json:"api_addr,omitempty"`
	Role    string `json:"role,omitempty"`
	Height  uint64 `json:"height"`
	Alive   bool   `json:"alive"`
}

// Event is one message of the /v1/events stream: a committed block, a
// committed transaction (valid ones only), a committee's change of status
// or a completed threshold opening (threshold_events.go).
type Event struct {
	Type      string           `json:"type"` // "block", "tx", "committee" or "opening"
	Height    uint64           `json:"height"`
	Block     *chain.BlockJSON `json:"block,omitempty"`
	Tx        *TxEvent         `json:"tx,omitempty"`
	Committee *CommitteeEvent  `json:"committee,omitempty"`
	Opening   *OpeningEvent    `json:"opening,omitempty"`
}

// TxEvent reports a committed transaction.
type TxEvent struct {
	ID      string `json:"id"`
	Index   uint32 `json:"index"`
	Kind    string `json:"kind"`
	Group   string `json:"group"`
	Epoch   uint64 `json:"epoch"`
	Topic   string `json:"topic,omitempty"`
	Tag     string `json:"tag,omitempty"`     // τ of a tagged anonymous transaction, hex
	Label   string `json:"label,omitempty"`   // the member of a join request or response
	Request string `json:"request,omitempty"` // a join request's hash (both join kinds), hex
	// The threshold kinds: the committee (cref, hex) posted, approved,
	// proved, consented or released under, or aborted; the authority's
	// index; the anonymous transaction a consent or partial is about.
	Committee string `json:"cref,omitempty"`
	Authority int    `json:"authority,omitempty"`
	Subject   string `json:"subject,omitempty"`
}
