package chain

import (
	"encoding/hex"
	"time"
)

// TxJSON is the API's view of a transaction. Byte strings are hex, except
// the payload, which is base64 (encoding/json's []byte form).
type TxJSON struct {
	ID        string       `json:"id"`
	Kind      string       `json:"kind"`
	ChainID   string       `json:"chain_id"`
	Group     string       `json:"group"`
	Epoch     uint64       `json:"epoch"`
	Topic     string       `json:"topic,omitempty"`
	Payload   []byte       `json:"payload,omitempty"`
	Nonce     string       `json:"nonce"`
	Expiry    uint64       `json:"expiry"`
	Label     string       `json:"label,omitempty"`
	Identity  string       `json:"identity,omitempty"`
	Updates   []UpdateJSON `json:"updates,omitempty"`
	Node      string       `json:"node,omitempty"`
	Signature string       `json:"signature"`
	SizeBytes int          `json:"size"`
}

// UpdateJSON is one member's new A in a revocation.
type UpdateJSON struct {
	Label    string `json:"label"`
	Identity string `json:"identity"`
}

// JSON returns the API view of tx.
func (tx *Tx) JSON() TxJSON {
	id := tx.ID()
	j := TxJSON{ID: hex.EncodeToString(id[:]), Kind: tx.Kind.String(), ChainID: tx.ChainID, Group: tx.Group,
		Epoch: tx.Epoch, Topic: tx.Topic, Payload: tx.Payload, Nonce: hex.EncodeToString(tx.Nonce[:]),
		Expiry: tx.Expiry, Label: tx.Label, Node: tx.Node, Signature: hex.EncodeToString(tx.Auth), SizeBytes: tx.Size()}
	if tx.Kind == KindRegisterMember {
		j.Identity = tx.Identity.String()
	}
	for _, u := range tx.Updates {
		j.Updates = append(j.Updates, UpdateJSON{Label: u.Label, Identity: u.Identity.String()})
	}
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
