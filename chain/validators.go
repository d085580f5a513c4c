package chain

import (
	"cmp"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/veilchain/veil/storage"
)

// MaxRaftAddrLen bounds a validator's raft address (host:port).
const MaxRaftAddrLen = 255

// stateValidators keys the validator set in force after a block:
// "w/" ‖ u64 height → encodeValidatorSet. Heights without a change have
// no key; before the first change the set is genesis's.
const stateValidators = "w/"

func validatorsKey(height uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte(stateValidators), height)
}

// ValidatorInfo is a validator in chain state: its node id, the key of its
// node certificate (which signs its blocks), its raft address (empty for
// a genesis validator: its node config names it) and the height of the
// block that made it one (0: genesis).
type ValidatorInfo struct {
	ID        string
	PublicKey ed25519.PublicKey
	RaftAddr  string
	Since     uint64
}

// validatorSet is the set in force after the block at height, sorted by id.
type validatorSet struct {
	height uint64
	vals   []ValidatorInfo
}

func (s *validatorSet) find(id string) (ValidatorInfo, bool) {
	i, ok := slices.BinarySearchFunc(s.vals, id, func(v ValidatorInfo, id string) int { return strings.Compare(v.ID, id) })
	if !ok {
		return ValidatorInfo{}, false
	}
	return s.vals[i], true
}

// with returns the set after tx (checked) takes effect at height.
func (s *validatorSet) with(tx *Tx, key ed25519.PublicKey, height uint64) *validatorSet {
	out := &validatorSet{height: height}
	for _, v := range s.vals {
		if v.ID != tx.Node {
			out.vals = append(out.vals, v)
		}
	}
	if tx.Kind == KindAddValidator {
		out.vals = append(out.vals, ValidatorInfo{ID: tx.Node, PublicKey: key, RaftAddr: tx.RaftAddr, Since: height})
		slices.SortFunc(out.vals, func(a, b ValidatorInfo) int { return strings.Compare(a.ID, b.ID) })
	}
	return out
}

// encodeValidatorSet is u16 n ‖ n × (str8 id ‖ [32] key ‖ str8 raft
// address ‖ u64 since), sorted by id.
func encodeValidatorSet(s *validatorSet) []byte {
	e := &encoder{}
	e.u16(uint16(len(s.vals)))
	for _, v := range s.vals {
		e.str8(v.ID)
		e.raw(v.PublicKey)
		e.str8(v.RaftAddr)
		e.u64(v.Since)
	}
	return e.b
}

func decodeValidatorSet(height uint64, b []byte) (*validatorSet, error) {
	d := &decoder{b: b}
	s := &validatorSet{height: height}
	n := d.u16("validator count")
	for i := uint16(0); i < n && d.err == nil; i++ {
		v := ValidatorInfo{ID: d.str8(MaxNodeIDLen, "validator id")}
		v.PublicKey = ed25519.PublicKey(slices.Clone(d.take(ed25519.PublicKeySize, "validator key")))
		v.RaftAddr = d.str8(MaxRaftAddrLen, "raft address")
		v.Since = d.u64("since")
		if d.err == nil && (!ValidNodeID(v.ID) || (len(s.vals) > 0 && s.vals[len(s.vals)-1].ID >= v.ID)) {
			d.fail("validator ids must be valid and increasing, at %q", v.ID)
		}
		s.vals = append(s.vals, v)
	}
	d.end("validator set")
	if d.err != nil {
		return nil, d.err
	}
	return s, nil
}

// genesisSet is the validator set of genesis.
func genesisSet(gen *Genesis) *validatorSet {
	s := &validatorSet{}
	for _, v := range gen.Validators {
		s.vals = append(s.vals, ValidatorInfo{ID: v.ID, PublicKey: v.PublicKey})
	}
	slices.SortFunc(s.vals, func(a, b ValidatorInfo) int { return strings.Compare(a.ID, b.ID) })
	return s
}

// loadValidators reads every validator set change after genesis's, in
// height order (the state iterates keys in order, and heights are
// big-endian).
func (l *Ledger) loadValidators() error {
	l.sets = []*validatorSet{genesisSet(l.gen)}
	return l.db.IterateState([]byte(stateValidators), func(k, v []byte) error {
		if len(k) != len(stateValidators)+8 {
			return fmt.Errorf("validator set key %x: %w", k, storage.ErrCorrupt)
		}
		h := binary.BigEndian.Uint64(k[len(stateValidators):])
		s, err := decodeValidatorSet(h, v)
		if err != nil {
			return fmt.Errorf("validator set at height %d: %w: %w", h, err, storage.ErrCorrupt)
		}
		l.sets = append(l.sets, s)
		return nil
	})
}

// setAt returns the validator set in force after the block at height:
// the one that checks the proposer of block height+1.
func (l *Ledger) setAt(height uint64) *validatorSet {
	l.mu.RLock()
	defer l.mu.RUnlock()
	i, _ := slices.BinarySearchFunc(l.sets, height+1, func(s *validatorSet, h uint64) int { return cmp.Compare(s.height, h) })
	return l.sets[i-1] // sets[0] is genesis's, at height 0
}

// Validators returns the validator set at the head, sorted by id: the
// nodes whose blocks the next block may come from, whom raft's leader
// makes its voters.
func (l *Ledger) Validators() []ValidatorInfo {
	return slices.Clone(l.setAt(l.Head().Height).vals)
}

// ValidatorsAt returns the validator set in force after the block at
// height (the set that checks block height+1's proposer).
func (l *Ledger) ValidatorsAt(height uint64) []ValidatorInfo {
	return slices.Clone(l.setAt(height).vals)
}

// ValidatorChanges counts the validator set changes committed at or
// below height: the same number on every node at the same height (BFT's
// verification sequence).
func (l *Ledger) ValidatorChanges(height uint64) uint64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	i, _ := slices.BinarySearchFunc(l.sets, height+1, func(s *validatorSet, h uint64) int { return cmp.Compare(s.height, h) })
	return uint64(i - 1)
}

// IsValidator reports whether id is a validator at the head.
func (l *Ledger) IsValidator(id string) bool {
	_, ok := l.setAt(l.Head().Height).find(id)
	return ok
}

// ValidatorsAfter checks a validator change against the head's state, as
// admission does, and returns the set it would leave: so that the
// admitting node can check, from its own view of the network, that the
// set keeps a quorum (CheckQuorum) before it admits the change.
func (l *Ledger) ValidatorsAfter(tx *Tx) ([]ValidatorInfo, error) {
	if tx.Kind != KindAddValidator && tx.Kind != KindRemoveValidator {
		return nil, fmt.Errorf("%s is not a validator change", tx.Kind)
	}
	v := l.currentView(PriorityAPI)
	v.checked = map[[32]byte]any{}
	if _, err := v.precheck(tx); err != nil {
		return nil, err
	}
	s, key := v.validators(), ed25519.PublicKey(nil)
	if tx.Kind == KindAddValidator {
		key = v.checked[tx.ID()].(ed25519.PublicKey)
	}
	return s.with(tx, key, v.base+1).vals, nil
}

// Majority is raft's quorum of n voters: more than half.
func Majority(n int) int { return n/2 + 1 }

// CheckQuorum refuses, with ErrNoQuorum, a validator set of n after which
// fewer than quorum(n) validators are reachable (Majority on raft, a BFT
// quorum ⌈(n+f+1)/2⌉ on BFT): the engine would stop committing until they are back (a removal while others are down, an
// addition of a node that is not up). reachable reports what the
// admitting node sees; it is not chain state, so only admission checks it.
func CheckQuorum(after []ValidatorInfo, quorum func(n int) int, reachable func(id string) bool) error {
	if len(after) == 0 {
		return errorf(ErrNoQuorum, "the change removes the last validator")
	}
	up := 0
	var down []string
	for _, v := range after {
		if reachable(v.ID) {
			up++
		} else {
			down = append(down, v.ID)
		}
	}
	if need := quorum(len(after)); up < need {
		return errorf(ErrNoQuorum, "after the change %d of %d validators are reachable, a quorum needs %d (unreachable: %v)", up, len(after), need, down)
	}
	return nil
}

// validators is the set a transaction of the view is checked against:
// the block's, once one of its transactions changed it, else the head's.
func (v *view) validators() *validatorSet {
	if v.vals != nil {
		return v.vals
	}
	return v.l.setAt(v.base)
}

// checkValidatorChange is precheck's part for KindAddValidator and
// KindRemoveValidator, after the admin signature. An addition's
// certificate must be a chain-CA node certificate of tx.Node valid at the
// view's time (the block's), the node neither revoked nor a validator,
// its raft address no other validator's (and present on a raft chain; a BFT chain's validators need none); a removal must name a validator
// and leave one. One change a block: raft applies them one at a time,
// and a quorum is checked against one change.
func (v *view) checkValidatorChange(tx *Tx) error {
	if v.vals != nil {
		return errorf(ErrConflict, "this block already changes the validator set (one change a block)")
	}
	s := v.validators()
	_, is := s.find(tx.Node)
	if tx.Kind == KindRemoveValidator {
		switch {
		case !is:
			return errorf(ErrUnknownNode, "node %q is not a validator", tx.Node)
		case len(s.vals) == 1:
			return errorf(ErrNoQuorum, "node %q is the last validator", tx.Node)
		}
		return nil
	}
	switch {
	case tx.RaftAddr == "" && v.l.gen.Engine() == ConsensusRaft:
		return errorf(ErrMalformed, "node %q: a raft chain's validator needs a raft address", tx.Node)
	case is:
		return errorf(ErrConflict, "node %q is already a validator", tx.Node)
	case v.nodeRevoked(tx.Node):
		return errorf(ErrConflict, "node %q has a revoked certificate", tx.Node)
	}
	for _, o := range s.vals {
		if tx.RaftAddr != "" && o.RaftAddr == tx.RaftAddr { // BFT validators have none
			return errorf(ErrConflict, "raft address %s is validator %q's", tx.RaftAddr, o.ID)
		}
	}
	cert, err := x509.ParseCertificate(tx.NodeCert)
	if err != nil {
		return errorf(ErrUnknownNode, "node certificate: %v", err)
	}
	id, key, err := VerifyNode(cert, v.l.ca, v.at)
	if err != nil {
		return errorf(ErrUnknownNode, "%v", err)
	}
	if id != tx.Node {
		return errorf(ErrUnknownNode, "the certificate is node %q's, the transaction names %q", id, tx.Node)
	}
	v.remember(tx, key)
	return nil
}

// applyValidatorChange makes a checked change the block's set and writes
// it under the block's height.
func (v *view) applyValidatorChange(tx *Tx, height uint64, batch *storage.Batch) {
	var key ed25519.PublicKey
	if tx.Kind == KindAddValidator {
		key = v.checked[tx.ID()].(ed25519.PublicKey)
	}
	v.vals = v.validators().with(tx, key, height)
	batch.PutState(validatorsKey(height), encodeValidatorSet(v.vals))
}

func checkValidatorFields(tx *Tx) error {
	if !ValidNodeID(tx.Node) {
		return errorf(ErrMalformed, "node id %q: 1 to 64 of A-Z a-z 0-9 . _ -", tx.Node)
	}
	if tx.RaftAddr != "" { // a BFT chain's validators have none (checkValidatorChange)
		if err := checkRaftAddr(tx.RaftAddr); err != nil {
			return err
		}
	}
	if len(tx.NodeCert) == 0 || len(tx.NodeCert) > MaxCertSize {
		return errorf(ErrMalformed, "node certificate must be 1 to %d bytes of DER", MaxCertSize)
	}
	return nil
}

// checkRaftAddr accepts host:port with a non-empty host and a port of
// 1–65535, at most MaxRaftAddrLen bytes.
func checkRaftAddr(a string) error {
	host, port, err := net.SplitHostPort(a)
	if err != nil || host == "" || len(a) > MaxRaftAddrLen {
		return errorf(ErrMalformed, "raft address %q must be host:port", a)
	}
	if p, err := strconv.ParseUint(port, 10, 16); err != nil || p == 0 || strconv.FormatUint(p, 10) != port {
		return errorf(ErrMalformed, "raft address %q: port must be 1 to 65535", a)
	}
	return nil
}

// VerifyNode checks that cert is a node certificate issued by ca and
// valid at at: a valid node id as CN, not a CA, server and client TLS
// usage, an Ed25519 key, chained to ca. It returns the node id and key.
// The network layer checks every peer's TLS certificate with it (through
// package genesis), and the ledger a new validator's.
func VerifyNode(cert, ca *x509.Certificate, at time.Time) (nodeID string, key ed25519.PublicKey, err error) {
	if ca == nil {
		return "", nil, errors.New("node cert: no CA certificate")
	}
	id := cert.Subject.CommonName
	if !ValidNodeID(id) {
		return "", nil, fmt.Errorf("node cert: CN %q is not a valid node id", id)
	}
	if cert.IsCA {
		return "", nil, fmt.Errorf("node cert %q: is a CA certificate", id)
	}
	if !slices.Contains(cert.ExtKeyUsage, x509.ExtKeyUsageServerAuth) || !slices.Contains(cert.ExtKeyUsage, x509.ExtKeyUsageClientAuth) {
		return "", nil, fmt.Errorf("node cert %q: extended key usage must include both server and client auth", id)
	}
	pub, ok := cert.PublicKey.(ed25519.PublicKey)
	if !ok {
		return "", nil, fmt.Errorf("node cert %q: key is %T, want Ed25519", id, cert.PublicKey)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		return "", nil, fmt.Errorf("node cert %q: %w", id, err)
	}
	return id, pub, nil
}

// addedValidators adds to added the nodes that b's admin-signed
// KindAddValidator transactions name, with the key of a certificate that
// VerifyNode accepts at b's time (CheckBlocks).
func (l *Ledger) addedValidators(b *Block, added map[string]ed25519.PublicKey) map[string]ed25519.PublicKey {
	for _, tx := range b.Txs {
		if tx.Kind != KindAddValidator {
			continue
		}
		id := tx.ID()
		if !ed25519.Verify(l.gen.AdminKey, id[:], tx.Auth) {
			continue
		}
		cert, err := x509.ParseCertificate(tx.NodeCert)
		if err != nil {
			continue
		}
		if node, key, err := VerifyNode(cert, l.ca, time.Unix(0, b.Time)); err == nil && node == tx.Node {
			if added == nil {
				added = map[string]ed25519.PublicKey{}
			}
			added[node] = key
		}
	}
	return added
}
