package groupsig

import (
	"encoding/binary"
	"fmt"
	"unicode/utf8"
)

// Kind bytes (§1), the second byte of every encoding. Kinds from 0x80 up
// are this project's: the secret keys and files the spec leaves to the
// implementation (see doc.go).
const (
	kindGroupKey     = 0x01
	kindIssuerProof  = 0x02
	kindJoinRequest  = 0x03
	kindJoinResponse = 0x04
	kindMemberKey    = 0x05
	kindSignature    = 0x06
	kindTagged       = 0x07
	kindOpening      = 0x08
	kindRecord       = 0x09
	kindOpenerProof  = 0x0A

	// Threshold opening (SPEC-groupsig-v2-threshold-opening).
	kindCommittee  = 0x0B
	kindShareProof = 0x0C
	kindPartial    = 0x0D
	kindThreshold  = 0x0E
	kindConsent    = 0x0F
	kindApproval   = 0x10

	kindIssuerKey  = 0x81
	kindOpenerKey  = 0x82
	kindJoinSecret = 0x83
	kindRegistry   = 0x84
	kindShare      = 0x85
)

// Bounds of §1.
const (
	// MaxLabelLen is the longest member label, in bytes of UTF-8.
	MaxLabelLen = 64
	// MaxScopeLen is the longest scope, in bytes.
	MaxScopeLen = 255
)

// CheckLabel reports whether l is a label of §1: 1..64 bytes of
// well-formed UTF-8 (not normalized).
func CheckLabel(l string) error {
	if l == "" || len(l) > MaxLabelLen || !utf8.ValidString(l) {
		return fmt.Errorf("%w: label must be 1 to %d bytes of well-formed UTF-8", ErrMalformed, MaxLabelLen)
	}
	return nil
}

// CheckScope reports whether s is a scope of §1: 1..255 arbitrary bytes.
func CheckScope(s []byte) error {
	if len(s) == 0 || len(s) > MaxScopeLen {
		return fmt.Errorf("%w: scope must be 1 to %d bytes, got %d", ErrMalformed, MaxScopeLen, len(s))
	}
	return nil
}

func appendLab(b []byte, l string) []byte { return append(append(b, byte(len(l))), l...) }
func appendSc(b []byte, s []byte) []byte  { return append(append(b, byte(len(s))), s...) }

// reader walks an encoding front to back, remembering the first error, so
// that decoders read like the layout they check. The suite byte picks the
// curve; the kind byte must be the one asked for.
type reader struct {
	c    curve
	b    []byte
	what string
	err  error
}

func newReader(b []byte, what string, kind byte) *reader {
	r := &reader{b: b, what: what}
	switch {
	case len(b) < 2:
		r.err = fmt.Errorf("%w: %s is %d bytes, too short", ErrMalformed, what, len(b))
	case curveOf(b[0]) == nil:
		r.err = fmt.Errorf("%w: %s names suite 0x%02x, this build implements 0x11 (bls12-381) and 0x12 (bn254)", ErrWrongSuite, what, b[0])
	case b[1] != kind:
		r.err = fmt.Errorf("%w: %s has kind 0x%02x, want 0x%02x", ErrMalformed, what, b[1], kind)
	default:
		r.c = curveOf(b[0])
		r.b = b[2:]
	}
	return r
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s: %s", ErrMalformed, r.what, fmt.Sprintf(format, args...))
	}
}

func (r *reader) next(n int, field string) []byte {
	if r.err != nil {
		return nil
	}
	if n > len(r.b) {
		r.fail("truncated at %s", field)
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) bytes(n int, field string) []byte { return append([]byte(nil), r.next(n, field)...) }

func (r *reader) uint64(field string) uint64 {
	if b := r.next(8, field); b != nil {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

func (r *reader) uint16(field string) uint16 {
	if b := r.next(2, field); b != nil {
		return binary.BigEndian.Uint16(b)
	}
	return 0
}

func (r *reader) uint32(field string) uint32 {
	if b := r.next(4, field); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}

// g1 decodes a compressed G1 point: canonical, on the curve, in the
// prime-order subgroup, not the identity.
func (r *reader) g1(field string) pointG1 {
	if r.err != nil {
		return nil
	}
	b := r.next(r.c.G1Size(), field)
	if b == nil {
		return nil
	}
	p, err := r.c.DecodeG1(b)
	if err != nil {
		r.fail("%s is not a point of G1: %v", field, err)
		return nil
	}
	if r.c.IsIdentityG1(p) {
		r.fail("%s is the identity", field)
		return nil
	}
	return p
}

// g2 decodes a compressed G2 point with the same checks as g1.
func (r *reader) g2(field string) pointG2 {
	if r.err != nil {
		return nil
	}
	b := r.next(r.c.G2Size(), field)
	if b == nil {
		return nil
	}
	p, err := r.c.DecodeG2(b)
	if err != nil {
		r.fail("%s is not a point of G2: %v", field, err)
		return nil
	}
	if r.c.IsIdentityG2(p) {
		r.fail("%s is the identity", field)
		return nil
	}
	return p
}

// scalar decodes a canonical scalar (below r).
func (r *reader) scalar(field string) scalar {
	b := r.next(scalarSize, field)
	if b == nil {
		return nil
	}
	s, ok := r.c.DecodeScalar(b)
	if !ok {
		r.fail("%s is not below the group order", field)
		return nil
	}
	return s
}

// nonzero refuses a zero scalar.
func (r *reader) nonzero(s scalar, field string) {
	if r.err == nil && r.c.IsZero(s) {
		r.fail("%s is zero", field)
	}
}

// label reads lab(L) = u8(len L) ‖ L and checks §1's rules.
func (r *reader) label(field string) string {
	n := r.next(1, field)
	if n == nil {
		return ""
	}
	l := string(r.next(int(n[0]), field))
	if r.err == nil {
		if err := CheckLabel(l); err != nil {
			r.fail("%s: label must be 1 to %d bytes of well-formed UTF-8", field, MaxLabelLen)
		}
	}
	return l
}

// end refuses trailing bytes.
func (r *reader) end() error {
	if r.err == nil && len(r.b) != 0 {
		r.fail("%d trailing bytes", len(r.b))
	}
	return r.err
}

// fixedLen refuses an encoding whose total length is not want (checked
// before decoding any point, so a wrong length is reported as such).
func (r *reader) fixedLen(total, want int) {
	if r.err == nil && total != want {
		r.err = fmt.Errorf("%w: %s of suite %s is %d bytes, want %d", ErrMalformed, r.what, r.c.Name(), total, want)
	}
}
