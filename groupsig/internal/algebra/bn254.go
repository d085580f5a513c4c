package algebra

import (
	"fmt"
	"io"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// BN254 through gnark-crypto's ecc/bn254. Scalar
// multiplications are gnark's GLV ScalarMultiplication; the pairing is
// bn254.Pair (multi-Miller loop of the optimal ate pairing, then
// FinalExponentiation). gnark-crypto makes no constant-time promise (see
// doc.go), so this suite offers no side-channel protection for secrets.

type (
	bnScalar struct{ v fr.Element }
	bnG1     struct{ p bn254.G1Jac }
	bnG2     struct{ p bn254.G2Affine }
	bnGT     struct{ v bn254.GT }
	bnFixed  struct {
		p   bn254.G1Jac
		tbl []bn254.G1Affine // comb for SumVT, bnCombWindows × bnCombEntries
	}
	bnVar struct{ p bn254.G1Jac }
)

func (*bnScalar) isScalar() {}
func (*bnG1) isG1()         {}
func (*bnG2) isG2()         {}
func (*bnGT) isGT()         {}
func (*bnFixed) isFixed()   {}
func (*bnVar) isVar()       {}

// bn2to128 and bn2to256 are 2^128 and 2^256 mod r, for reducing 48-byte
// integers with field arithmetic only.
var bn2to128, bn2to256 fr.Element

func init() {
	var t big.Int
	bn2to128.SetBigInt(t.Lsh(big.NewInt(1), 128))
	bn2to256.SetBigInt(t.Lsh(big.NewInt(1), 256))
}

type bnCurve struct{}

func (bnCurve) Name() string { return "bn254" }
func (bnCurve) G1Size() int  { return bn254.SizeOfG1AffineCompressed }
func (bnCurve) G2Size() int  { return bn254.SizeOfG2AffineCompressed }
func (bnCurve) GTSize() int  { return bn254.SizeOfGT }

func ns(s Scalar) *fr.Element   { return &s.(*bnScalar).v }
func np(p PointG1) *bn254.G1Jac { return &p.(*bnG1).p }
func nq(q PointG2) *bn254.G2Affine {
	return &q.(*bnG2).p
}

// bigOf converts a Scalar for gnark's multiplication API, which takes a
// *big.Int (not constant time).
func bigOf(s Scalar) *big.Int { return ns(s).BigInt(new(big.Int)) }

// randomScalar draws 48 bytes and reduces them mod r (bias below 2^-130).
func (c bnCurve) RandomScalar(rand io.Reader) (Scalar, error) {
	var b [48]byte
	if _, err := io.ReadFull(rand, b[:]); err != nil {
		return nil, fmt.Errorf("draw random scalar: %w", err)
	}
	return c.ReduceWide(b[:]), nil
}

func (bnCurve) DecodeScalar(b []byte) (Scalar, bool) {
	s := new(bnScalar)
	if s.v.SetBytesCanonical(b) != nil {
		return nil, false
	}
	return s, true
}

// reduceWide reads 48 bytes big-endian as a·2^256 + b·2^128 + c with
// 16-byte a, b, c (each below r) and sums them in the field.
func (bnCurve) ReduceWide(in []byte) Scalar {
	var limb [3]fr.Element
	for i := range limb {
		var buf [fr.Bytes]byte
		copy(buf[16:], in[16*i:16*i+16])
		limb[i].SetBytes(buf[:]) // < 2^128 < r: canonical fast path
	}
	s := new(bnScalar)
	s.v.Mul(&limb[0], &bn2to256)
	limb[1].Mul(&limb[1], &bn2to128)
	s.v.Add(&s.v, &limb[1])
	s.v.Add(&s.v, &limb[2])
	return s
}

func (bnCurve) AppendScalar(b []byte, s Scalar) []byte {
	enc := ns(s).Bytes()
	return append(b, enc[:]...)
}

func (bnCurve) Add(a, b Scalar) Scalar      { s := new(bnScalar); s.v.Add(ns(a), ns(b)); return s }
func (bnCurve) Sub(a, b Scalar) Scalar      { s := new(bnScalar); s.v.Sub(ns(a), ns(b)); return s }
func (bnCurve) Mul(a, b Scalar) Scalar      { s := new(bnScalar); s.v.Mul(ns(a), ns(b)); return s }
func (bnCurve) Neg(a Scalar) Scalar         { s := new(bnScalar); s.v.Neg(ns(a)); return s }
func (bnCurve) Inv(a Scalar) Scalar         { s := new(bnScalar); s.v.Inverse(ns(a)); return s }
func (bnCurve) IsZero(a Scalar) bool        { return ns(a).IsZero() }
func (bnCurve) Equal(a, b Scalar) bool      { return ns(a).Equal(ns(b)) }
func (bnCurve) IsIdentityG1(p PointG1) bool { return np(p).Z.IsZero() }

func (bnCurve) G1Generator() PointG1 {
	_, _, g1, _ := bn254.Generators()
	r := new(bnG1)
	r.p.FromAffine(&g1)
	return r
}

// decodeG1 is gnark's SetBytes on exactly 32 bytes: the two top bits are
// the flags (10/11 compressed with the smaller/larger y, 01 the identity;
// 00, uncompressed, needs 64 bytes and is refused), x must be below p and
// on the curve. G1 of BN254 has cofactor 1, so gnark's subgroup check is
// the curve check.
func (bnCurve) DecodeG1(b []byte) (PointG1, error) {
	var a bn254.G1Affine
	if len(b) != bn254.SizeOfG1AffineCompressed {
		return nil, fmt.Errorf("%d bytes", len(b))
	}
	if _, err := a.SetBytes(b); err != nil {
		return nil, err
	}
	r := new(bnG1)
	r.p.FromAffine(&a)
	return r, nil
}

func (bnCurve) CompressG1(ps ...PointG1) [][]byte {
	jac := make([]bn254.G1Jac, len(ps))
	for i, p := range ps {
		jac[i] = *np(p)
	}
	aff := bn254.BatchJacobianToAffineG1(jac)
	out := make([][]byte, len(ps))
	for i := range aff {
		enc := aff[i].Bytes()
		out[i] = enc[:]
	}
	return out
}

func (bnCurve) AddG1(a, b PointG1) PointG1 {
	r := new(bnG1)
	r.p.Set(np(a))
	r.p.AddAssign(np(b))
	return r
}
func (bnCurve) NegG1(a PointG1) PointG1   { r := new(bnG1); r.p.Neg(np(a)); return r }
func (bnCurve) EqualG1(a, b PointG1) bool { return np(a).Equal(np(b)) }

// mulCT: gnark has no constant-time multiplication; this is its GLV
// ScalarMultiplication, the same as for public data.
func (bnCurve) MulCT(p PointG1, k Scalar) PointG1 {
	r := new(bnG1)
	r.p.ScalarMultiplication(np(p), bigOf(k))
	return r
}

// A key point's "fixed base" keeps the point for FixedMulCT (gnark's GLV,
// as everywhere on this suite) and a comb for public scalars: 32 windows
// of signed 8-bit digits, entry m−1 of window j = m·2^(8j)·P (256 KiB), so
// each key-point term of SumVT is 32 mixed additions instead of a GLV multiplication.
const (
	bnCombWindow  = 8
	bnCombWindows = 32 // r < 2^254
	bnCombEntries = 1 << (bnCombWindow - 1)
)

func (bnCurve) Fixed(p PointG1) FixedBase {
	t := &bnFixed{p: *np(p)}
	if t.p.Z.IsZero() {
		return t
	}
	all := make([]bn254.G1Jac, bnCombWindows*bnCombEntries)
	base := t.p
	for j := range bnCombWindows {
		row := all[j*bnCombEntries : (j+1)*bnCombEntries]
		row[0] = base
		for m := 1; m < bnCombEntries; m++ {
			row[m].Set(&row[m-1]).AddAssign(&base)
		}
		base.Double(&row[bnCombEntries-1]) // 2^(8(j+1))·P
	}
	t.tbl = bn254.BatchJacobianToAffineG1(all)
	return t
}

func (bnCurve) FixedMulCT(t FixedBase, k Scalar) PointG1 {
	r := new(bnG1)
	r.p.ScalarMultiplication(&t.(*bnFixed).p, bigOf(k))
	return r
}

// addComb adds k·P to acc from the comb (variable time).
func (t *bnFixed) addComb(acc *bn254.G1Jac, k *fr.Element) {
	if t.tbl == nil {
		return // the identity
	}
	l := k.Bits() // canonical, little-endian
	carry := uint64(0)
	for j := range bnCombWindows {
		bit := uint(j * bnCombWindow) // windows never straddle a limb
		d := int(l[bit/64]>>(bit%64)&(1<<bnCombWindow-1) + carry)
		carry = 0
		if d > bnCombEntries {
			d -= 1 << bnCombWindow
			carry = 1
		}
		switch {
		case d > 0:
			acc.AddMixed(&t.tbl[j*bnCombEntries+d-1])
		case d < 0:
			var n bn254.G1Affine
			n.Neg(&t.tbl[j*bnCombEntries-d-1])
			acc.AddMixed(&n)
		}
	}
	// k < r < 2^254: the top window has 6 bits, so no carry is left.
}

func (bnCurve) VarBase(p PointG1) VarBase { return &bnVar{*np(p)} }

// MultiMulVT is one GLV multiplication per point for a few points and
// gnark's Pippenger MultiExp (on this goroutine) for many (a revocation
// record's batched check).
func (bnCurve) MultiMulVT(ps []PointG1, ks []Scalar) PointG1 {
	r := new(bnG1)
	if len(ps) >= pippengerFrom {
		jac := make([]bn254.G1Jac, len(ps))
		frs := make([]fr.Element, len(ks))
		for i := range ps {
			jac[i], frs[i] = *np(ps[i]), *ns(ks[i])
		}
		if _, err := r.p.MultiExp(bn254.BatchJacobianToAffineG1(jac), frs, ecc.MultiExpConfig{NbTasks: 1}); err != nil {
			panic("algebra: gnark MultiExp: " + err.Error()) // lengths match by construction
		}
		return r
	}
	var t bn254.G1Jac
	for i := range ps {
		t.ScalarMultiplication(np(ps[i]), bigOf(ks[i]))
		if i == 0 {
			r.p.Set(&t)
		} else {
			r.p.AddAssign(&t)
		}
	}
	return r
}

// SumVT adds each key point's multiple from its comb and one GLV
// multiplication per var base.
func (bnCurve) SumVT(fs []FixedBase, fk []Scalar, vs []VarBase, vk []Scalar) PointG1 {
	r := new(bnG1)
	r.p.X.SetOne()
	r.p.Y.SetOne()
	var t bn254.G1Jac
	for i := range fs {
		fs[i].(*bnFixed).addComb(&r.p, ns(fk[i]))
	}
	for i := range vs {
		r.p.AddAssign(t.ScalarMultiplication(&vs[i].(*bnVar).p, bigOf(vk[i])))
	}
	return r
}

func (bnCurve) G2Generator() PointG2 {
	_, _, _, g2 := bn254.Generators()
	return &bnG2{g2}
}

// decodeG2 is gnark's SetBytes on exactly 64 bytes (same flags as G1),
// which checks the curve and the prime-order subgroup.
func (bnCurve) DecodeG2(b []byte) (PointG2, error) {
	q := new(bnG2)
	if len(b) != bn254.SizeOfG2AffineCompressed {
		return nil, fmt.Errorf("%d bytes", len(b))
	}
	if _, err := q.p.SetBytes(b); err != nil {
		return nil, err
	}
	return q, nil
}

func (bnCurve) IsIdentityG2(p PointG2) bool { return nq(p).IsInfinity() }
func (bnCurve) AppendG2(b []byte, p PointG2) []byte {
	enc := nq(p).Bytes()
	return append(b, enc[:]...)
}
func (bnCurve) AddG2(a, b PointG2) PointG2 { r := new(bnG2); r.p.Add(nq(a), nq(b)); return r }
func (bnCurve) EqualG2(a, b PointG2) bool  { return nq(a).Equal(nq(b)) }
func (bnCurve) MulG2(p PointG2, k Scalar) PointG2 {
	r := new(bnG2)
	r.p.ScalarMultiplication(nq(p), bigOf(k))
	return r
}

// bnPrep holds gnark's precomputed Miller-loop lines of a key's G2 point.
type bnPrep struct {
	lines [2][len(bn254.LoopCounter)]bn254.LineEvaluationAff
}

func (*bnPrep) isPrepared() {}

func (bnCurve) Prepare(q PointG2) Prepared { return &bnPrep{lines: bn254.PrecomputeLines(*nq(q))} }

// PairPreparedCT is PairPreparedVT: gnark promises no constant time.
func (c bnCurve) PairPreparedCT(ps []PointG1, qs []Prepared) GT { return c.PairPreparedVT(ps, qs) }

// pairPreparedVT is gnark's PairFixedQ: the same pairing as bn254.Pair over
// lines precomputed once per key.
func (bnCurve) PairPreparedVT(ps []PointG1, qs []Prepared) GT {
	jac := make([]bn254.G1Jac, 0, len(ps))
	lines := make([][2][len(bn254.LoopCounter)]bn254.LineEvaluationAff, 0, len(ps))
	for i := range ps {
		if np(ps[i]).Z.IsZero() {
			continue
		}
		jac, lines = append(jac, *np(ps[i])), append(lines, qs[i].(*bnPrep).lines)
	}
	out := new(bnGT)
	if len(jac) == 0 {
		out.v.SetOne()
		return out
	}
	v, err := bn254.PairFixedQ(bn254.BatchJacobianToAffineG1(jac), lines)
	if err != nil {
		panic("groupsig: bn254.PairFixedQ: " + err.Error()) // lengths match by construction
	}
	out.v = v
	return out
}

// pairProduct is bn254.Pair over the non-identity pairs, with P negated
// for sign −1.
func (bnCurve) PairProduct(ps []PointG1, qs []PointG2, signs []int) GT {
	jac := make([]bn254.G1Jac, 0, len(ps))
	q2 := make([]bn254.G2Affine, 0, len(ps))
	for i := range ps {
		if np(ps[i]).Z.IsZero() || nq(qs[i]).IsInfinity() {
			continue
		}
		p := *np(ps[i])
		if signs[i] < 0 {
			p.Neg(&p)
		}
		jac, q2 = append(jac, p), append(q2, *nq(qs[i]))
	}
	out := new(bnGT)
	if len(jac) == 0 {
		out.v.SetOne()
		return out
	}
	v, err := bn254.Pair(bn254.BatchJacobianToAffineG1(jac), q2)
	if err != nil {
		panic("groupsig: bn254.Pair: " + err.Error()) // lengths match by construction
	}
	out.v = v
	return out
}

// HashToG1 is gnark's bn254.HashToG1 with the given DST: two SVDW maps
// (Z = 1) over expand_message_xmd(SHA-256) with L = 48; cofactor 1. Its
// error only reports a DST longer than 255 bytes, which callers never pass.
func (bnCurve) HashToG1(msg, dst []byte) PointG1 {
	a, err := bn254.HashToG1(msg, dst)
	if err != nil {
		panic("algebra: bn254.HashToG1: " + err.Error())
	}
	r := new(bnG1)
	r.p.FromAffine(&a)
	return r
}

func (bnCurve) IsOneGT(t GT) bool { return t.(*bnGT).v.IsOne() }

func (bnCurve) AppendGT(b []byte, t GT) []byte {
	enc := t.(*bnGT).v.Bytes()
	return append(b, enc[:]...)
}
