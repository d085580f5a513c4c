package api

import "github.com/veilchain/veil/chain"

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
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is a refusal's stable code and a human message.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// TxResponse is GET /v1/txs/{id}.
type TxResponse struct {
	chain.TxJSON
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

// GroupResponse is GET /v1/groups/{name}.
type GroupResponse struct {
	Name      string         `json:"name"`
	Epoch     uint64         `json:"epoch"`     // the group's current epoch
	KeyEpoch  uint64         `json:"key_epoch"` // the epoch of public_key (?epoch=N, else current)
	PublicKey string         `json:"public_key"`
	AdminKey  string         `json:"admin_key"`
	Members   []string       `json:"members"` // labels of current members
	Revoked   []string       `json:"revoked"` // labels of revoked members
	Registry  []MemberRecord `json:"registry"`
}

// MemberRecord is one on-chain registry entry: A at every epoch since the
// member joined, so an opener can name the signer of an old transaction.
type MemberRecord struct {
	Label     string   `json:"label"`
	Joined    uint64   `json:"joined_epoch"`
	RevokedAt uint64   `json:"revoked_epoch,omitempty"`
	History   []string `json:"identities"` // hex A, one per epoch from joined_epoch
}

// RevocationsResponse is GET /v1/groups/{name}/revocations.
type RevocationsResponse struct {
	Name    string   `json:"name"`
	Records []string `json:"records"` // hex; records[i] moved the group to epoch i+1
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

// Event is one message of the /v1/events stream: a committed block, or a
// committed transaction (valid ones only).
type Event struct {
	Type   string           `json:"type"` // "block" or "tx"
	Height uint64           `json:"height"`
	Block  *chain.BlockJSON `json:"block,omitempty"`
	Tx     *TxEvent         `json:"tx,omitempty"`
}

// TxEvent reports a committed transaction.
type TxEvent struct {
	ID    string `json:"id"`
	Index uint32 `json:"index"`
	Kind  string `json:"kind"`
	Group string `json:"group"`
	Epoch uint64 `json:"epoch"`
	Topic string `json:"topic,omitempty"`
}
