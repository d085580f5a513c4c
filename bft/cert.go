package bft

import (
	"crypto/ed25519"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"

	"github.com/hyperledger-labs/SmartBFT/pkg/types"
	"github.com/veilchain/veil/chain"
)

// Certificate limits: far above what a decision carries (a proposal's
// header is empty, its metadata tens of bytes, one signature per
// validator of at most a few hundred), so that a hostile encoding cannot
// make the decoder allocate much.
const (
	certVersion     = 1
	maxCertField    = 64 << 10
	maxCertSigs     = 1024
	maxCertSigField = 4 << 10
)

// ErrCertificate marks a commit certificate that does not decode or does
// not prove its block.
var ErrCertificate = errors.New("bad commit certificate")

// Certificate is the proof that a block was decided: what SmartBFT
// decided besides the block (its proposal's header, metadata and
// verification sequence) and the commit signatures of a quorum of
// validators over that proposal's digest. It is stored with its block
// (chain.Ledger.ApplyCertified) and served with it by block sync.
type Certificate struct {
	Header               []byte
	Metadata             []byte
	VerificationSequence uint64
	Signatures           []types.Signature // sorted by ID, distinct
}

// newCertificate records a decision of SmartBFT; the signatures are
// sorted by signer, as the encoding wants.
func newCertificate(p types.Proposal, sigs []types.Signature) *Certificate {
	c := &Certificate{Header: p.Header, Metadata: p.Metadata, VerificationSequence: uint64(p.VerificationSequence), Signatures: slices.Clone(sigs)}
	slices.SortFunc(c.Signatures, func(a, b types.Signature) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	c.Signatures = slices.CompactFunc(c.Signatures, func(a, b types.Signature) bool { return a.ID == b.ID })
	return c
}

// Proposal is the SmartBFT proposal the certificate and the block
// encoding raw make up.
func (c *Certificate) Proposal(raw []byte) types.Proposal {
	return types.Proposal{Payload: raw, Header: c.Header, Metadata: c.Metadata, VerificationSequence: int64(c.VerificationSequence)}
}

// MarshalBinary encodes the certificate: u8 version 1 ‖ u32 len ‖ header
// ‖ u32 len ‖ metadata ‖ u64 verification sequence ‖ u16 count ‖ per
// signature u64 id ‖ u16 len ‖ value ‖ u16 len ‖ msg, ids ascending.
func (c *Certificate) MarshalBinary() ([]byte, error) {
	if len(c.Header) > maxCertField || len(c.Metadata) > maxCertField || len(c.Signatures) > maxCertSigs {
		return nil, fmt.Errorf("%w: too large", ErrCertificate)
	}
	b := make([]byte, 0, 23+len(c.Header)+len(c.Metadata)+len(c.Signatures)*140)
	b = append(b, certVersion)
	b = binary.BigEndian.AppendUint32(b, uint32(len(c.Header)))
	b = append(b, c.Header...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(c.Metadata)))
	b = append(b, c.Metadata...)
	b = binary.BigEndian.AppendUint64(b, c.VerificationSequence)
	b = binary.BigEndian.AppendUint16(b, uint16(len(c.Signatures)))
	for i, s := range c.Signatures {
		if i > 0 && s.ID <= c.Signatures[i-1].ID {
			return nil, fmt.Errorf("%w: signatures not sorted by distinct id", ErrCertificate)
		}
		if len(s.Value) > maxCertSigField || len(s.Msg) > maxCertSigField {
			return nil, fmt.Errorf("%w: signature too large", ErrCertificate)
		}
		b = binary.BigEndian.AppendUint64(b, s.ID)
		b = binary.BigEndian.AppendUint16(b, uint16(len(s.Value)))
		b = append(b, s.Value...)
		b = binary.BigEndian.AppendUint16(b, uint16(len(s.Msg)))
		b = append(b, s.Msg...)
	}
	return b, nil
}

// UnmarshalBinary decodes MarshalBinary's encoding strictly: the version,
// every length within its bound and the bytes left, signers ascending and
// distinct, nothing after the last signature. Decoded fields do not alias
// b.
func (c *Certificate) UnmarshalBinary(b []byte) error {
	d := certDecoder{b: b}
	if v := d.u8(); d.err == nil && v != certVersion {
		return fmt.Errorf("%w: version %d", ErrCertificate, v)
	}
	var out Certificate
	out.Header = d.bytes(int(d.u32()), maxCertField)
	out.Metadata = d.bytes(int(d.u32()), maxCertField)
	out.VerificationSequence = d.u64()
	n := int(d.u16())
	if n > maxCertSigs {
		d.fail("too many signatures")
	}
	for i := 0; i < n && d.err == nil; i++ {
		s := types.Signature{ID: d.u64()}
		s.Value = d.bytes(int(d.u16()), maxCertSigField)
		s.Msg = d.bytes(int(d.u16()), maxCertSigField)
		if d.err == nil && i > 0 && s.ID <= out.Signatures[i-1].ID {
			d.fail("signatures not sorted by distinct id")
		}
		out.Signatures = append(out.Signatures, s)
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail("trailing bytes")
	}
	if d.err != nil {
		return d.err
	}
	*c = out
	return nil
}

type certDecoder struct {
	b   []byte
	err error
}

func (d *certDecoder) fail(why string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", ErrCertificate, why)
	}
}

func (d *certDecoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.b) {
		d.fail("truncated")
		return nil
	}
	out := d.b[:n]
	d.b = d.b[n:]
	return out
}

func (d *certDecoder) u8() uint8 {
	if b := d.take(1); b != nil {
		return b[0]
	}
	return 0
}

func (d *certDecoder) u16() uint16 {
	if b := d.take(2); b != nil {
		return binary.BigEndian.Uint16(b)
	}
	return 0
}

func (d *certDecoder) u32() uint32 {
	if b := d.take(4); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}

func (d *certDecoder) u64() uint64 {
	if b := d.take(8); b != nil {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

func (d *certDecoder) bytes(n, limit int) []byte {
	if n > limit {
		d.fail("field too large")
		return nil
	}
	b := d.take(n)
	if n == 0 || b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}

// Verify checks that the certificate proves the block encoded as raw on
// chain chainID: commit signatures, over the digest of the proposal that
// the certificate and raw make up, of a quorum of distinct validators of
// vals (the set in force after the block before it). One lying peer
// cannot forge it; without it block sync would take any validator-signed
// block, and a Byzantine leader's second block for a height with it.
func (c *Certificate) Verify(chainID string, raw []byte, vals []chain.ValidatorInfo) error {
	m, err := membersOf(vals)
	if err != nil {
		return err
	}
	q, _ := Quorum(len(m.ids))
	digest, err := proposalDigest(c.Proposal(raw))
	if err != nil {
		return err
	}
	valid := 0
	for _, s := range c.Signatures {
		if verifyCommit(chainID, m, s, digest) == nil {
			valid++
		}
	}
	if valid < q {
		return fmt.Errorf("%w: %d valid validator signatures, a quorum of %d validators needs %d", ErrCertificate, valid, len(m.ids), q)
	}
	return nil
}

// proposalDigest is SmartBFT's digest of p (types.Proposal.Digest, hex),
// as bytes.
func proposalDigest(p types.Proposal) ([]byte, error) {
	d, err := hex.DecodeString(p.Digest())
	if err != nil || len(d) != 32 {
		return nil, fmt.Errorf("proposal digest: %v", err)
	}
	return d, nil
}

// verifyCommit checks one commit signature: its signer is in m, its
// message binds digest, and its value is the signer's signature of it.
func verifyCommit(chainID string, m *members, s types.Signature, digest []byte) error {
	key, ok := m.key(s.ID)
	if !ok {
		return fmt.Errorf("signer %d is not a validator", s.ID)
	}
	if len(s.Msg) < 32 || string(s.Msg[:32]) != string(digest) {
		return errors.New("signature is over another proposal")
	}
	if !ed25519.Verify(key, tagged(commitTag, chainID, s.Msg), s.Value) {
		return fmt.Errorf("bad signature of %d", s.ID)
	}
	return nil
}
