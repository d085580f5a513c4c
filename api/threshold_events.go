package api

import (
	"encoding/hex"

	"github.com/veilchain/veil/chain"
)

// CommitteeEvent is a committee's change of status: posted ("pending"),
// "active" with its n-th share proof, "retired" by a rotation's
// activation, or "aborted" (superseded by a later posting, by the admin,
// or expired at the end of a block).
type CommitteeEvent struct {
	Group     string `json:"group"`
	Committee string `json:"cref"` // hex
	Status    string `json:"status"`
	Reason    string `json:"reason,omitempty"`
	Tx        *int   `json:"tx_index,omitempty"` // the transaction that made the change; absent: the end of the block
}

// OpeningEvent is a completed threshold opening: the t-th partial made
// the signer of the transaction public.
type OpeningEvent struct {
	Group     string `json:"group"`
	Tx        string `json:"tx"` // the anonymous transaction opened, hex
	Committee string `json:"cref"`
	Label     string `json:"label"` // the member certified on A; "" if none on the ledger
}

// thresholdTxFields names what a threshold transaction is about.
func thresholdTxFields(te *TxEvent, tx *chain.Tx) {
	r, ok := tx.ThresholdRef()
	if !ok {
		return
	}
	te.Committee, te.Authority = hex.EncodeToString(r.Committee[:]), r.Authority
	if tx.Kind == chain.KindConsent || tx.Kind == chain.KindPartialOpening {
		te.Subject = hex.EncodeToString(r.Subject[:])
	}
}

// noteEvents are the events of a block's threshold notes made by its
// transaction at index (−1: at the end of the block).
func noteEvents(height uint64, notes []chain.ThresholdNote, index int) []Event {
	var out []Event
	for _, n := range notes {
		if n.Tx != index {
			continue
		}
		cref := hex.EncodeToString(n.Committee[:])
		if n.Status == "opened" {
			out = append(out, Event{Type: "opening", Height: height, Opening: &OpeningEvent{Group: n.Group, Tx: hex.EncodeToString(n.Subject[:]), Committee: cref, Label: n.Label}})
			continue
		}
		ce := &CommitteeEvent{Group: n.Group, Committee: cref, Status: n.Status, Reason: n.Reason}
		if n.Tx >= 0 {
			i := n.Tx
			ce.Tx = &i
		}
		out = append(out, Event{Type: "committee", Height: height, Committee: ce})
	}
	return out
}
