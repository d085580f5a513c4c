package chain

import (
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
	"maps"
	"slices"

	"github.com/veilchain/veil/groupsig"
	"github.com/veilchain/veil/storage"
)

// Threshold state keys (under storage's state prefix). See doc.go.
const (
	stateCommittee = "c/" // c/ ‖ u8 len(name) ‖ name ‖ cref → committee record
	stateApproval  = "a/" // a/ ‖ u8 len(name) ‖ name ‖ cref_new ‖ u8 i → approval record
	stateOpening   = "o/" // o/ ‖ subject id ‖ cref ‖ u8 what ‖ [u8 i] → consent, partial or completed opening
	stateNotes     = "e/" // e/ ‖ u64 height → the block's threshold notes (committee changes, openings)
)

// What an opening record under o/ ‖ subject ‖ cref is.
const (
	openConsent   = 1 // ‖ u8 i: authority i's consent
	openPartial   = 2 // ‖ u8 i: authority i's partial opening
	openCompleted = 3 // the threshold opening, once t partials are in
)

func committeeKey(name string, cref [32]byte) []byte {
	return append(named(stateCommittee, name), cref[:]...)
}

func approvalKey(name string, next [32]byte, i int) []byte {
	return append(append(named(stateApproval, name), next[:]...), byte(i))
}

func openingPrefix(subject [32]byte) []byte { return append([]byte(stateOpening), subject[:]...) }

func openingKey(subject, cref [32]byte, what uint8, i int) []byte {
	k := append(append(openingPrefix(subject), cref[:]...), what)
	if what != openCompleted {
		k = append(k, byte(i))
	}
	return k
}

func notesKey(height uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte(stateNotes), height)
}

// Committee statuses and abort reasons, as stored and as the API names
// them.
const (
	committeePending uint8 = 1
	committeeActive  uint8 = 2
	committeeRetired uint8 = 3
	committeeAborted uint8 = 4

	abortSuperseded uint8 = 1 // a later committee was posted while it was pending
	abortAdmin      uint8 = 2 // the consortium admin's adsig_ABORT
	abortExpired    uint8 = 3 // pending past CommitteeExpiryTime and CommitteeExpiryBlocks
)

var (
	statusNames = map[uint8]string{committeePending: "pending", committeeActive: "active", committeeRetired: "retired", committeeAborted: "aborted"}
	reasonNames = map[uint8]string{abortSuperseded: "superseded", abortAdmin: "admin", abortExpired: "expired"}
)

// committeeRecord is one committee posted for a group, with what the
// ledger saw of it. Published records are never mutated: a change clones.
type committeeRecord struct {
	cm        *groupsig.Committee
	raw       []byte
	certs     [][]byte // authority i's member certificate at i−1
	orgs      []string // the organisation each certificate names
	status    uint8
	reason    uint8 // for an aborted committee
	height    uint64
	time      int64 // block time it was posted at (Unix ns)
	txID      [32]byte
	prev      [32]byte // the committee active when it was posted (zero: the group's first)
	approvers []int    // the approvals that authorised a rotation, by index in prev
	proofs    []uint64 // height of authority i's share proof at i−1; 0: none yet
	activated uint64
	ended     uint64 // height it was retired or aborted at
}

func (r *committeeRecord) clone() *committeeRecord {
	c := *r
	c.proofs = slices.Clone(r.proofs)
	return &c
}

func (r *committeeRecord) ref() [32]byte { return r.cm.Ref() }

func (r *committeeRecord) proved() int {
	n := 0
	for _, h := range r.proofs {
		if h != 0 {
			n++
		}
	}
	return n
}

// encode is u8 status ‖ u8 reason ‖ u64 height ‖ u64 time ‖ [32] tx id ‖
// [32] prev ‖ u64 activated ‖ u64 ended ‖ bytes32 committee ‖ u8 n ‖
// n × (bytes16 certificate ‖ str8 org ‖ u64 share proof height) ‖ u8 k ‖
// k × u8 approver.
func (r *committeeRecord) encode() []byte {
	e := &encoder{}
	e.u8(r.status)
	e.u8(r.reason)
	e.u64(r.height)
	e.u64(uint64(r.time))
	e.raw(r.txID[:])
	e.raw(r.prev[:])
	e.u64(r.activated)
	e.u64(r.ended)
	e.bytes32(r.raw)
	e.u8(uint8(len(r.certs)))
	for i := range r.certs {
		e.bytes16(r.certs[i])
		e.str8(r.orgs[i])
		e.u64(r.proofs[i])
	}
	e.u8(uint8(len(r.approvers)))
	for _, a := range r.approvers {
		e.u8(uint8(a))
	}
	return e.b
}

func decodeCommitteeRecord(b []byte) (*committeeRecord, error) {
	d := &decoder{b: b}
	r := &committeeRecord{status: d.u8("status"), reason: d.u8("reason"), height: d.u64("height"), time: int64(d.u64("time"))}
	d.fixed(r.txID[:], "tx id")
	d.fixed(r.prev[:], "prev")
	r.activated, r.ended = d.u64("activated"), d.u64("ended")
	r.raw = d.bytes32(MaxCommitteeSize, "committee")
	n := d.u8("authorities")
	for i := uint8(0); i < n && d.err == nil; i++ {
		r.certs = append(r.certs, d.bytes16(MaxCertSize, "certificate"))
		r.orgs = append(r.orgs, d.str8(MaxOrgLen, "org"))
		r.proofs = append(r.proofs, d.u64("share proof height"))
	}
	k := d.u8("approvers")
	for i := uint8(0); i < k && d.err == nil; i++ {
		a := int(d.u8("approver"))
		if d.err == nil && (a == 0 || len(r.approvers) > 0 && a <= r.approvers[len(r.approvers)-1]) {
			d.fail("approvers must be increasing indices ≥ 1")
		}
		r.approvers = append(r.approvers, a)
	}
	d.end("committee record")
	if d.err != nil {
		return nil, d.err
	}
	if statusNames[r.status] == "" || (r.status == committeeAborted) != (r.reason != 0) || reasonNames[r.reason] == "" && r.reason != 0 {
		return nil, errorf(ErrMalformed, "committee record: status %d, reason %d", r.status, r.reason)
	}
	r.cm = new(groupsig.Committee)
	if err := r.cm.UnmarshalBinary(r.raw); err != nil {
		return nil, errorf(ErrMalformed, "committee record: %v", err)
	}
	if len(r.cm.Authorities()) != len(r.certs) {
		return nil, errorf(ErrMalformed, "committee record: %d certificates for %d authorities", len(r.certs), len(r.cm.Authorities()))
	}
	return r, nil
}

// approvalRecord is an approval on the ledger: authority i of the
// committee old approves the rotation to the committee it is keyed by.
type approvalRecord struct {
	a      *groupsig.Approval
	height uint64
	txID   [32]byte
}

// encode is u64 height ‖ [32] tx id ‖ bytes16 approval.
func (r *approvalRecord) encode() []byte {
	e := &encoder{}
	e.u64(r.height)
	e.raw(r.txID[:])
	raw, _ := r.a.MarshalBinary()
	e.bytes16(raw)
	return e.b
}

func decodeApprovalRecord(b []byte) (*approvalRecord, error) {
	d := &decoder{b: b}
	r := &approvalRecord{height: d.u64("height")}
	d.fixed(r.txID[:], "tx id")
	raw := d.bytes16(maxObject, "approval")
	d.end("approval record")
	if d.err != nil {
		return nil, d.err
	}
	r.a = new(groupsig.Approval)
	if err := r.a.UnmarshalBinary(raw); err != nil {
		return nil, errorf(ErrMalformed, "approval record: %v", err)
	}
	return r, nil
}

// thresholdGroup is a group's committees and approvals. A block works on
// a clone (view.mutableTh); a published one is never mutated.
type thresholdGroup struct {
	committees map[[32]byte]*committeeRecord
	active     *committeeRecord
	pending    *committeeRecord
	approvals  map[[32]byte]map[int]*approvalRecord // by cref_new, then the approver's index
}

func newThresholdGroup() *thresholdGroup {
	return &thresholdGroup{committees: map[[32]byte]*committeeRecord{}, approvals: map[[32]byte]map[int]*approvalRecord{}}
}

func (t *thresholdGroup) clone() *thresholdGroup {
	c := *t
	c.committees = maps.Clone(t.committees)
	c.approvals = maps.Clone(t.approvals)
	return &c
}

// set stores a (new or changed) record and keeps active and pending.
func (t *thresholdGroup) set(r *committeeRecord) {
	ref := r.ref()
	t.committees[ref] = r
	switch {
	case r.status == committeeActive:
		t.active = r
	case t.active != nil && t.active.ref() == ref:
		t.active = nil
	}
	switch {
	case r.status == committeePending:
		t.pending = r
	case t.pending != nil && t.pending.ref() == ref:
		t.pending = nil
	}
}

// openingAct is one consent or partial opening on the ledger: (sref, e,
// cref, i, L_i, idpk_i, height) with the transaction and the object.
type openingAct struct {
	height uint64
	txID   [32]byte
	epoch  uint64
	sref   [32]byte
	label  string
	idpk   ed25519.PublicKey
	object []byte
}

// encode is u64 height ‖ [32] tx id ‖ u64 e ‖ [32] sref ‖ str8 label ‖
// [32] idpk ‖ bytes16 object.
func (a *openingAct) encode() []byte {
	e := &encoder{}
	e.u64(a.height)
	e.raw(a.txID[:])
	e.u64(a.epoch)
	e.raw(a.sref[:])
	e.str8(a.label)
	e.raw(a.idpk)
	e.bytes16(a.object)
	return e.b
}

func decodeOpeningAct(b []byte) (*openingAct, error) {
	d := &decoder{b: b}
	a := &openingAct{height: d.u64("height")}
	d.fixed(a.txID[:], "tx id")
	a.epoch = d.u64("epoch")
	d.fixed(a.sref[:], "sref")
	a.label = d.str8(MaxLabelLen, "label")
	a.idpk = ed25519.PublicKey(d.take(ed25519.PublicKeySize, "identity key"))
	a.object = d.bytes16(maxObject, "object")
	d.end("opening record")
	return a, d.err
}

// completedOpening is the threshold opening the ledger combined at the
// t-th partial, with the A it names and the member certified on A at the
// signature's epoch ("" when no member on the ledger holds it).
type completedOpening struct {
	height  uint64
	txID    [32]byte // the t-th partial's transaction
	opening []byte
	a       []byte
	label   string
}

// encode is u64 height ‖ [32] tx id ‖ bytes16 opening ‖ bytes16 A ‖ str8
// label.
func (c *completedOpening) encode() []byte {
	e := &encoder{}
	e.u64(c.height)
	e.raw(c.txID[:])
	e.bytes16(c.opening)
	e.bytes16(c.a)
	e.str8(c.label)
	return e.b
}

func decodeCompletedOpening(b []byte) (*completedOpening, error) {
	d := &decoder{b: b}
	c := &completedOpening{height: d.u64("height")}
	d.fixed(c.txID[:], "tx id")
	c.opening = d.bytes16(maxObject*16, "threshold opening")
	c.a = d.bytes16(maxObject, "A")
	c.label = d.str8(MaxLabelLen, "label")
	d.end("completed opening")
	return c, d.err
}

// openingRound is what one committee's authorities did about one
// signature.
type openingRound struct {
	consents map[int]*openingAct
	partials map[int]*openingAct
	done     *completedOpening
}

// openingState is every round about one anonymous transaction's
// signature, by cref. A block works on a clone.
type openingState struct {
	subject [32]byte
	rounds  map[[32]byte]*openingRound
}

func (o *openingState) round(cref [32]byte) *openingRound {
	if r, ok := o.rounds[cref]; ok {
		return r
	}
	return &openingRound{consents: map[int]*openingAct{}, partials: map[int]*openingAct{}}
}

// cloneRound returns a private copy of the round of cref for a change.
func (o *openingState) cloneRound(cref [32]byte) *openingRound {
	r := o.round(cref)
	c := &openingRound{consents: maps.Clone(r.consents), partials: maps.Clone(r.partials), done: r.done}
	o.rounds[cref] = c
	return c
}

func (o *openingState) clone() *openingState {
	return &openingState{subject: o.subject, rounds: maps.Clone(o.rounds)}
}

// loadOpening reads the committed rounds about subject.
func (l *Ledger) loadOpening(subject [32]byte) (*openingState, error) {
	o := &openingState{subject: subject, rounds: map[[32]byte]*openingRound{}}
	prefix := openingPrefix(subject)
	err := l.db.IterateState(prefix, func(k, v []byte) error {
		rest := k[len(prefix):]
		if len(rest) < 33 {
			return fmt.Errorf("opening key %x: %w", k, storage.ErrCorrupt)
		}
		cref, what := [32]byte(rest[:32]), rest[32]
		r, ok := o.rounds[cref]
		if !ok {
			r = &openingRound{consents: map[int]*openingAct{}, partials: map[int]*openingAct{}}
			o.rounds[cref] = r
		}
		switch {
		case what == openCompleted && len(rest) == 33:
			c, err := decodeCompletedOpening(v)
			if err != nil {
				return fmt.Errorf("opening of %x: %w: %w", subject[:8], err, storage.ErrCorrupt)
			}
			r.done = c
		case (what == openConsent || what == openPartial) && len(rest) == 34:
			a, err := decodeOpeningAct(v)
			if err != nil {
				return fmt.Errorf("opening of %x: %w: %w", subject[:8], err, storage.ErrCorrupt)
			}
			if what == openConsent {
				r.consents[int(rest[33])] = a
			} else {
				r.partials[int(rest[33])] = a
			}
		default:
			return fmt.Errorf("opening key %x: %w", k, storage.ErrCorrupt)
		}
		return nil
	})
	return o, err
}

// loadThreshold reads every group's committees and approvals (openings
// stay in the database and are read per transaction).
func (l *Ledger) loadThreshold() error {
	l.thr = map[string]*thresholdGroup{}
	get := func(name string) *thresholdGroup {
		t, ok := l.thr[name]
		if !ok {
			t = newThresholdGroup()
			l.thr[name] = t
		}
		return t
	}
	for name := range l.groups {
		prefix := named(stateCommittee, name)
		err := l.db.IterateState(prefix, func(k, v []byte) error {
			r, err := decodeCommitteeRecord(v)
			if err != nil || len(k) != len(prefix)+32 || r.ref() != [32]byte(k[len(prefix):]) {
				return fmt.Errorf("group %q committee %x: %v: %w", name, k[len(prefix):], err, storage.ErrCorrupt)
			}
			get(name).set(r)
			return nil
		})
		if err != nil {
			return err
		}
		prefix = named(stateApproval, name)
		err = l.db.IterateState(prefix, func(k, v []byte) error {
			r, err := decodeApprovalRecord(v)
			if err != nil || len(k) != len(prefix)+33 || r.a.NewRef() != [32]byte(k[len(prefix):len(prefix)+32]) || r.a.Index() != int(k[len(k)-1]) {
				return fmt.Errorf("group %q approval %x: %v: %w", name, k[len(prefix):], err, storage.ErrCorrupt)
			}
			t := get(name)
			m, ok := t.approvals[r.a.NewRef()]
			if !ok {
				m = map[int]*approvalRecord{}
				t.approvals[r.a.NewRef()] = m
			}
			m[r.a.Index()] = r
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// ThresholdNote is one change a block made to the threshold state beyond
// its transactions' own records: a committee's new status, or an opening
// completed. Notes are kept per block (the event stream replays them).
type ThresholdNote struct {
	// Tx is the index of the transaction that made the change in its
	// block, or -1 for the end of the block (a pending committee expired).
	Tx        int
	Group     string
	Committee [32]byte
	// Status is the committee's new status ("pending", "active",
	// "retired", "aborted"), or "opened": the transaction's partial
	// opening completed the threshold opening of Subject.
	Status  string
	Reason  string   // an aborted committee's: "superseded", "admin", "expired"
	Subject [32]byte // an opening: the anonymous transaction opened
	Label   string   // an opening: the member certified on A ("" if none on the ledger)
}

var noteCodes = map[string]uint8{"pending": 1, "active": 2, "retired": 3, "aborted": 4, "opened": 5}

// encodeNotes is u16 n ‖ n × (u32 tx+1 ‖ str8 group ‖ [32] cref ‖ u8
// status ‖ u8 reason ‖ [32] subject ‖ str8 label).
func encodeNotes(notes []ThresholdNote) []byte {
	e := &encoder{}
	e.u16(uint16(len(notes)))
	for _, n := range notes {
		e.u32(uint32(n.Tx + 1))
		e.str8(n.Group)
		e.raw(n.Committee[:])
		e.u8(noteCodes[n.Status])
		var reason uint8
		for c, name := range reasonNames {
			if name == n.Reason {
				reason = c
			}
		}
		e.u8(reason)
		e.raw(n.Subject[:])
		e.str8(n.Label)
	}
	return e.b
}

func decodeNotes(b []byte) ([]ThresholdNote, error) {
	d := &decoder{b: b}
	count := d.u16("notes")
	var out []ThresholdNote
	for i := uint16(0); i < count && d.err == nil; i++ {
		n := ThresholdNote{Tx: int(d.u32("tx")) - 1, Group: d.str8(MaxGroupNameLen, "group")}
		d.fixed(n.Committee[:], "cref")
		st, reason := d.u8("status"), d.u8("reason")
		for name, c := range noteCodes {
			if c == st {
				n.Status = name
			}
		}
		n.Reason = reasonNames[reason]
		if d.err == nil && (n.Status == "" || (reason != 0) != (n.Status == "aborted") || reason != 0 && n.Reason == "") {
			d.fail("note status %d reason %d", st, reason)
		}
		d.fixed(n.Subject[:], "subject")
		n.Label = d.str8(MaxLabelLen, "label")
		out = append(out, n)
	}
	d.end("notes")
	return out, d.err
}
