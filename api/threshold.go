package api

import (
	"encoding/hex"
	"errors"
	"net/http"
	"time"

	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/storage"
)

// The threshold opening's routes: a group's committees, and the record
// of who consented to and released a share for a transaction. A
// completed opening on the ledger is public: anyone reading the chain
// learns who signed.

// CommitteeResponse is GET /v1/groups/{name}/committee.
type CommitteeResponse struct {
	Group   string         `json:"group"`
	Active  *CommitteeJSON `json:"active"`  // null: no committee active (the group's opener key is single)
	Pending *CommitteeJSON `json:"pending"` // null: none pending
	// History lists the retired and aborted committees, by height.
	History []CommitteeSummary `json:"history"`
	// Approvals are the active committee's authorities' approvals of
	// rotations on the ledger (expired ones included, "live" false).
	Approvals []ApprovalJSON `json:"approvals"`
}

// CommitteeSummary is a committee in brief.
type CommitteeSummary struct {
	Ref       string `json:"cref"` // hex SHA-256 of the committee
	Status    string `json:"status"`
	Reason    string `json:"reason,omitempty"` // an aborted one's: superseded, admin, expired
	Threshold int    `json:"t"`
	N         int    `json:"n"`
	Height    uint64 `json:"height"`              // posted at
	Activated uint64 `json:"activated,omitempty"` // height of its n-th share proof
	Ended     uint64 `json:"ended,omitempty"`     // height it was retired or aborted at
	Tx        string `json:"tx"`                  // the committee transaction's id: it holds the committee and the certificates
}

// CommitteeJSON is a committee in full: its encoding, its authorities as
// the chain CA certified them, and what the ledger saw of it.
type CommitteeJSON struct {
	CommitteeSummary
	Committee string    `json:"committee"` // hex of the committee (0B): what an authority checks its share against
	Time      time.Time `json:"time"`      // block time it was posted at
	// Authorization is "admin" (the group's first committee, adsig_ADMIN)
	// or "approvals" (a rotation of Previous, by Approvers' approvals).
	Authorization string          `json:"authorization"`
	Previous      string          `json:"previous,omitempty"`
	Approvers     []int           `json:"approvers,omitempty"`
	ShareProofs   int             `json:"share_proofs"` // received; it activates with n
	Authorities   []AuthorityJSON `json:"authorities"`
	// ExpiresAfter and ExpiresAfterTime: a pending committee is aborted
	// at the end of the first block at or past both.
	ExpiresAfter     uint64     `json:"expires_after,omitempty"`
	ExpiresAfterTime *time.Time `json:"expires_after_time,omitempty"`
}

// AuthorityJSON is one authority of a committee.
type AuthorityJSON struct {
	Index       int    `json:"index"`
	Label       string `json:"label"`
	Org         string `json:"org"`
	IdentityKey string `json:"identity_key"` // Ed25519, hex
	Cert        string `json:"cert"`         // its member certificate, DER hex
	ShareProof  uint64 `json:"share_proof_height,omitempty"`
}

// ApprovalJSON is an approval of a rotation on the ledger.
type ApprovalJSON struct {
	Old       string `json:"old"` // cref of the approving committee
	New       string `json:"new"` // cref of the committee approved
	Authority int    `json:"authority"`
	Label     string `json:"label"`
	Deadline  uint64 `json:"deadline"`
	Live      bool   `json:"live"` // counts for the next block
	Height    uint64 `json:"height"`
	Tx        string `json:"tx"`
	Approval  string `json:"approval"` // hex
}

// OpeningsResponse is GET /v1/txs/{id}/openings: every consent and
// partial opening about the transaction's signature, by committee, and
// once t partials are in, the threshold opening — public: it names the
// signer to anyone.
type OpeningsResponse struct {
	Tx     string             `json:"tx"`
	Group  string             `json:"group"`
	Epoch  uint64             `json:"epoch"`
	SigRef string             `json:"sref"`   // hex SHA-256 of the signature
	Height uint64             `json:"height"` // the transaction's
	Opened bool               `json:"opened"`
	Rounds []OpeningRoundJSON `json:"rounds"`
	// Opening is the first completed opening, also in its round.
	Opening *CompletedOpeningJSON `json:"opening,omitempty"`
}

// OpeningRoundJSON is what one committee's authorities did about the
// signature.
type OpeningRoundJSON struct {
	Committee string                `json:"cref"`
	Status    string                `json:"status"` // the committee's now: under a retired one, openings restart
	Threshold int                   `json:"t"`
	Consents  []OpeningActJSON      `json:"consents"`
	Partials  []OpeningActJSON      `json:"partials"`
	Opening   *CompletedOpeningJSON `json:"opening,omitempty"`
}

// OpeningActJSON is one authority's consent or partial opening.
type OpeningActJSON struct {
	Authority   int    `json:"authority"`
	Label       string `json:"label"`
	IdentityKey string `json:"identity_key"`
	Height      uint64 `json:"height"`
	Tx          string `json:"tx"`
	Object      string `json:"object"` // the consent (0F) or partial opening (0D), hex
}

// CompletedOpeningJSON is the threshold opening the ledger recorded.
type CompletedOpeningJSON struct {
	Committee        string `json:"cref"`
	ThresholdOpening string `json:"threshold_opening"` // hex (0E)
	A                string `json:"a"`                 // hex
	Label            string `json:"label"`             // the member certified on A; "" if none on the ledger
	Epoch            uint64 `json:"epoch"`
	Height           uint64 `json:"height"` // of the t-th partial
	Tx               string `json:"tx"`     // the t-th partial's transaction
}

// registerThreshold adds the threshold opening's routes.
func (s *Server) registerThreshold() {
	s.handle("GET /v1/groups/{name}/committee", s.getCommittee)
	s.handle("GET /v1/txs/{id}/openings", s.getOpenings)
}

func summary(ci *chain.CommitteeInfo) CommitteeSummary {
	return CommitteeSummary{Ref: hex.EncodeToString(ci.Ref[:]), Status: ci.Status, Reason: ci.Reason, Threshold: ci.Threshold,
		N: len(ci.Authorities), Height: ci.Height, Activated: ci.Activated, Ended: ci.Ended, Tx: hex.EncodeToString(ci.TxID[:])}
}

func committeeJSON(ci *chain.CommitteeInfo) *CommitteeJSON {
	if ci == nil {
		return nil
	}
	hx := hex.EncodeToString
	cj := &CommitteeJSON{CommitteeSummary: summary(ci), Committee: hx(ci.Raw), Time: time.Unix(0, ci.Time).UTC(),
		Authorization: "admin", Authorities: []AuthorityJSON{}, ExpiresAfter: ci.ExpiresAfter}
	if ci.Previous != ([32]byte{}) {
		cj.Authorization, cj.Previous, cj.Approvers = "approvals", hx(ci.Previous[:]), ci.Approvers
	}
	if ci.ExpiresAfterTime != 0 {
		t := time.Unix(0, ci.ExpiresAfterTime).UTC()
		cj.ExpiresAfterTime = &t
	}
	for _, a := range ci.Authorities {
		if a.ShareProof != 0 {
			cj.ShareProofs++
		}
		cj.Authorities = append(cj.Authorities, AuthorityJSON{Index: a.Index, Label: a.Label, Org: a.Org, IdentityKey: hx(a.IdentityKey),
			Cert: hx(a.Cert), ShareProof: a.ShareProof})
	}
	return cj
}

func (s *Server) getCommittee(w http.ResponseWriter, r *http.Request) {
	l := s.b.Ledger()
	cs, err := l.Committees(r.PathValue("name"))
	if err != nil {
		writeError(w, http.StatusNotFound, CodeNotFound, err.Error())
		return
	}
	next := l.Head().Height + 1
	resp := CommitteeResponse{Group: cs.Group, Active: committeeJSON(cs.Active), Pending: committeeJSON(cs.Pending),
		History: []CommitteeSummary{}, Approvals: []ApprovalJSON{}}
	for i := range cs.History {
		resp.History = append(resp.History, summary(&cs.History[i]))
	}
	hx := hex.EncodeToString
	for _, a := range cs.Approvals {
		live := a.Deadline >= next && cs.Active != nil && a.Old == cs.Active.Ref
		resp.Approvals = append(resp.Approvals, ApprovalJSON{Old: hx(a.Old[:]), New: hx(a.New[:]), Authority: a.Authority, Label: a.Label,
			Deadline: a.Deadline, Live: live, Height: a.Height, Tx: hx(a.TxID[:]), Approval: hx(a.Raw)})
	}
	writeJSON(w, http.StatusOK, resp)
}

func actsJSON(acts []chain.OpeningAct) []OpeningActJSON {
	out := make([]OpeningActJSON, 0, len(acts))
	hx := hex.EncodeToString
	for _, a := range acts {
		out = append(out, OpeningActJSON{Authority: a.Authority, Label: a.Label, IdentityKey: hx(a.IdentityKey), Height: a.Height,
			Tx: hx(a.TxID[:]), Object: hx(a.Object)})
	}
	return out
}

func (s *Server) getOpenings(w http.ResponseWriter, r *http.Request) {
	id, ok := parseID(w, r.PathValue("id"))
	if !ok {
		return
	}
	op, err := s.b.Ledger().Openings(id)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		writeError(w, http.StatusNotFound, CodeNotFound, "no committed transaction with this id")
		return
	case errors.Is(err, chain.ErrNotOnLedger):
		writeError(w, http.StatusNotFound, CodeNotFound, err.Error())
		return
	case err != nil:
		s.internal(w, r, err)
		return
	}
	hx := hex.EncodeToString
	resp := OpeningsResponse{Tx: hx(op.Subject[:]), Group: op.Group, Epoch: op.Epoch, SigRef: hx(op.SigRef[:]), Height: op.Height, Rounds: []OpeningRoundJSON{}}
	for _, rd := range op.Rounds {
		rj := OpeningRoundJSON{Committee: hx(rd.Committee[:]), Status: rd.Status, Threshold: rd.Threshold, Consents: actsJSON(rd.Consents), Partials: actsJSON(rd.Partials)}
		if c := rd.Completed; c != nil {
			rj.Opening = &CompletedOpeningJSON{Committee: rj.Committee, ThresholdOpening: hx(c.Opening), A: hx(c.A), Label: c.Label, Epoch: op.Epoch,
				Height: c.Height, Tx: hx(c.TxID[:])}
			if resp.Opening == nil {
				resp.Opening, resp.Opened = rj.Opening, true
			}
		}
		resp.Rounds = append(resp.Rounds, rj)
	}
	writeJSON(w, http.StatusOK, resp)
}
