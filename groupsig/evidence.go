package groupsig

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// Evidence is the bundle an opener hands to anyone who is to check an
// opening (§5): the group, the signed message, the signature and its
// opening, the member's join record and the group's revocation records
// into the signature's epoch. Its JSON form (hex for bytes) is what
// `veil audit evidence` writes and `veil audit check` reads.
type Evidence struct {
	GroupKey     HexBytes   `json:"group_key"` // gpk_0
	Epoch        uint64     `json:"epoch"`     // the signature's epoch e
	Message      HexBytes   `json:"message"`
	Scope        HexBytes   `json:"scope,omitempty"` // absent for an untagged signature
	Signature    HexBytes   `json:"signature"`
	Opening      HexBytes   `json:"opening"`
	Label        string     `json:"label"` // the member named; informative, checked against the join record
	JoinRequest  HexBytes   `json:"join_request"`
	JoinResponse HexBytes   `json:"join_response"`
	Records      []HexBytes `json:"revocation_records"` // records into epochs 1..e, in order
}

// HexBytes is a byte string that JSON carries as lower-case hex.
type HexBytes []byte

// MarshalJSON writes the bytes as a hex string.
func (h HexBytes) MarshalJSON() ([]byte, error) { return json.Marshal(hex.EncodeToString(h)) }

// UnmarshalJSON reads a hex string.
func (h *HexBytes) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := hex.DecodeString(s)
	if err != nil {
		return fmt.Errorf("not hex: %w", err)
	}
	*h = v
	return nil
}

// NewEvidence assembles the bundle for an opening of sig at gk's epoch.
// records must be the group's accepted records into epochs 1..e (more
// are cut off).
func NewEvidence(gk *GroupKey, msg, scope, sig []byte, o *Opening, join *JoinRecord, records []*RevocationRecord) (*Evidence, error) {
	if err := usable(gk); err != nil {
		return nil, err
	}
	if uint64(len(records)) < gk.epoch {
		return nil, fmt.Errorf("evidence: %d records given for epoch %d", len(records), gk.epoch)
	}
	ob, err := o.MarshalBinary()
	if err != nil {
		return nil, err
	}
	ev := &Evidence{GroupKey: gk.g.gpk0, Epoch: gk.epoch, Message: msg, Scope: scope, Signature: sig, Opening: ob,
		Label: join.Label(), JoinRequest: join.Request.enc, JoinResponse: join.Response.enc}
	for _, rec := range records[:gk.epoch] {
		ev.Records = append(ev.Records, rec.enc)
	}
	return ev, nil
}

// Check decodes the bundle and runs AccountableOpening on it (see there
// for accused). A bundle that does not decode is an error wrapping
// ErrMalformed; a check that fails is an *AccountabilityError.
func (ev *Evidence) Check(accused ed25519.PublicKey) (*Accused, error) {
	gk0 := new(GroupKey)
	if err := gk0.UnmarshalBinary(ev.GroupKey); err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	if gk0.epoch != 0 {
		return nil, fmt.Errorf("evidence: %w: group_key must be gpk_0", ErrMalformed)
	}
	gk, err := gk0.AtEpoch(ev.Epoch)
	if err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	var o Opening
	if err := o.UnmarshalBinary(ev.Opening); err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	join := &JoinRecord{Request: new(JoinRequest), Response: new(JoinResponse)}
	if err := join.Request.UnmarshalBinary(ev.JoinRequest); err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	if err := join.Response.UnmarshalBinary(ev.JoinResponse); err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	if ev.Label != join.Label() {
		return nil, fmt.Errorf("evidence: %w: label %q, the join record is for %q", ErrMalformed, ev.Label, join.Label())
	}
	records := make([]*RevocationRecord, len(ev.Records))
	for i, b := range ev.Records {
		records[i] = new(RevocationRecord)
		if err := records[i].UnmarshalBinary(b); err != nil {
			return nil, fmt.Errorf("evidence: record %d: %w", i+1, err)
		}
	}
	if ev.Scope != nil {
		if err := CheckScope(ev.Scope); err != nil {
			return nil, fmt.Errorf("evidence: %w", err)
		}
	}
	return AccountableOpening(gk, ev.Message, ev.Scope, ev.Signature, &o, join, records, accused)
}
