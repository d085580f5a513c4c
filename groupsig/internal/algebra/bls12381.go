package algebra

import (
	"fmt"
	"io"

	bls "github.com/cloudflare/circl/ecc/bls12381"
	gnark "github.com/consensys/gnark-crypto/ecc/bls12-381"
	g1 "github.com/veilchain/veil/groupsig/internal/bls12381g1"
	pair "github.com/veilchain/veil/groupsig/internal/bls12381pair"
)

// BLS12-381. Secrets go through constant-time code only: the internal
// bls12381g1 package (combs and regular windows, complete additions) for
// G1, bls12381pair for the signer's pairing, circl for G2, scalars and GT.
// Public data takes the verify fast path of bls12381vt.go (gnark-crypto).

type (
	blsScalar struct{ v bls.Scalar }
	// blsG1 is a point of G1; aP is a·P when the decoder's subgroup
	// check computed it (for the point's var-base table).
	blsG1 struct {
		p  g1.Point
		aP *gnark.G1Jac
	}
	blsG2    struct{ p bls.G2 }
	blsGT    struct{ v *bls.Gt }
	blsFixed struct {
		ct *g1.FixedBase
		vt *vtBase
	}
	blsVar  struct{ t *vtBase }
	blsPrep struct {
		ct *pair.Prepared
		vt *[2][len(gnark.LoopCounter) - 1]gnark.LineEvaluationAff
	}
)

func (*blsPrep) isPrepared() {}

func (*blsScalar) isScalar() {}
func (*blsG1) isG1()         {}
func (*blsG2) isG2()         {}
func (*blsGT) isGT()         {}
func (*blsFixed) isFixed()   {}
func (*blsVar) isVar()       {}

type blsCurve struct{}

func (blsCurve) Name() string { return "bls12-381" }
func (blsCurve) G1Size() int  { return bls.G1SizeCompressed }
func (blsCurve) G2Size() int  { return bls.G2SizeCompressed }
func (blsCurve) GTSize() int  { return 576 }

func bs(s Scalar) *bls.Scalar { return &s.(*blsScalar).v }
func bp(p PointG1) *g1.Point  { return &p.(*blsG1).p }
func bq(q PointG2) *bls.G2    { return &q.(*blsG2).p }

func (blsCurve) RandomScalar(rand io.Reader) (Scalar, error) {
	s := new(blsScalar)
	if err := s.v.Random(rand); err != nil {
		return nil, fmt.Errorf("draw random scalar: %w", err)
	}
	return s, nil
}

func (blsCurve) DecodeScalar(b []byte) (Scalar, bool) {
	s := new(blsScalar)
	if len(b) != ScalarSize || s.v.UnmarshalBinary(b) != nil {
		return nil, false
	}
	return s, true
}

func (blsCurve) ReduceWide(b []byte) Scalar {
	s := new(blsScalar)
	s.v.SetBytes(b)
	return s
}

func (blsCurve) AppendScalar(b []byte, s Scalar) []byte {
	enc, _ := bs(s).MarshalBinary() // never fails
	return append(b, enc...)
}

func (blsCurve) Add(a, b Scalar) Scalar { s := new(blsScalar); s.v.Add(bs(a), bs(b)); return s }
func (blsCurve) Sub(a, b Scalar) Scalar { s := new(blsScalar); s.v.Sub(bs(a), bs(b)); return s }
func (blsCurve) Mul(a, b Scalar) Scalar { s := new(blsScalar); s.v.Mul(bs(a), bs(b)); return s }
func (blsCurve) Neg(a Scalar) Scalar {
	s := new(blsScalar)
	s.v.Set(bs(a))
	s.v.Neg()
	return s
}

// inv uses circl's fixed exponentiation by r−2: constant time.
func (blsCurve) Inv(a Scalar) Scalar         { s := new(blsScalar); s.v.Inv(bs(a)); return s }
func (blsCurve) IsZero(a Scalar) bool        { return bs(a).IsZero() == 1 }
func (blsCurve) Equal(a, b Scalar) bool      { return bs(a).IsEqual(bs(b)) == 1 }
func (blsCurve) G1Generator() PointG1        { return &blsG1{p: g1.Generator()} }
func (blsCurve) IsIdentityG1(p PointG1) bool { return bp(p).IsIdentity() }

func (blsCurve) DecodeG1(b []byte) (PointG1, error) {
	p, aP, err := decodeG1(b)
	if err != nil {
		return nil, err
	}
	return &blsG1{p: p, aP: aP}, nil
}

func (blsCurve) CompressG1(ps ...PointG1) [][]byte {
	in := make([]*g1.Point, len(ps))
	for i, p := range ps {
		in[i] = bp(p)
	}
	return compressG1(in)
}

func (blsCurve) AddG1(a, b PointG1) PointG1 { r := new(blsG1); r.p.Add(bp(a), bp(b)); return r }
func (blsCurve) NegG1(a PointG1) PointG1    { r := new(blsG1); r.p.Neg(bp(a)); return r }
func (blsCurve) EqualG1(a, b PointG1) bool  { return bp(a).Equal(bp(b)) }

// mulCT is a regular-window multiplication: constant time in k.
func (blsCurve) MulCT(p PointG1, k Scalar) PointG1 { return &blsG1{p: g1.MulCT(bp(p), bs(k))} }

// fixed builds both tables of a key point: the constant-time comb
// (bls12381g1, 129 KiB) and the VT table (192 KiB), ≈5 ms.
func (blsCurve) Fixed(p PointG1) FixedBase {
	return &blsFixed{ct: g1.NewFixedBase(bp(p)), vt: fixedVT(bp(p))}
}

func (blsCurve) FixedMulCT(t FixedBase, k Scalar) PointG1 {
	return &blsG1{p: t.(*blsFixed).ct.MulCT(bs(k))}
}

func (blsCurve) VarBase(p PointG1) VarBase { return &blsVar{varTable(p.(*blsG1))} }

func (blsCurve) SumVT(fs []FixedBase, fk []Scalar, vs []VarBase, vk []Scalar) PointG1 {
	ts, ks := make([]*vtBase, 0, len(fs)+len(vs)), make([]*bls.Scalar, 0, len(fs)+len(vs))
	for i := range fs {
		ts, ks = append(ts, fs[i].(*blsFixed).vt), append(ks, bs(fk[i]))
	}
	for i := range vs {
		ts, ks = append(ts, vs[i].(*blsVar).t), append(ks, bs(vk[i]))
	}
	r := sumVT(ts, ks)
	return &blsG1{p: g1.FromGnark(&r)}
}

func (blsCurve) MultiMulVT(ps []PointG1, ks []Scalar) PointG1 {
	r := multiMulVT(ps, ks)
	return &blsG1{p: g1.FromGnark(&r)}
}

func (blsCurve) G2Generator() PointG2        { return &blsG2{*bls.G2Generator()} }
func (blsCurve) IsIdentityG2(p PointG2) bool { return bq(p).IsIdentity() }

func (blsCurve) DecodeG2(b []byte) (PointG2, error) {
	q := new(blsG2)
	if err := q.p.SetBytes(b); err != nil {
		return nil, err
	}
	return q, nil
}

func (blsCurve) AppendG2(b []byte, p PointG2) []byte { return append(b, bq(p).BytesCompressed()...) }
func (blsCurve) AddG2(a, b PointG2) PointG2          { r := new(blsG2); r.p.Add(bq(a), bq(b)); return r }
func (blsCurve) EqualG2(a, b PointG2) bool           { return bq(a).IsEqual(bq(b)) }

// mulG2 is circl's ScalarMult, constant time.
func (blsCurve) MulG2(p PointG2, k Scalar) PointG2 {
	r := new(blsG2)
	r.p.ScalarMult(bs(k), bq(p))
	return r
}

// prepare precomputes q's Miller-loop lines twice: for the signer's
// constant-time loop and for gnark's (q is a key point, never the
// identity: decoders refuse it).
func (blsCurve) Prepare(q PointG2) Prepared {
	ct, err := pair.Prepare(bq(q))
	if err != nil {
		panic("groupsig: prepare a key's G2 point: " + err.Error())
	}
	vt, err := prepareVT(bq(q))
	if err != nil {
		panic("groupsig: prepare a key's G2 point: " + err.Error())
	}
	return &blsPrep{ct: ct, vt: vt}
}

// pairPreparedCT runs one Miller loop for all pairs over precomputed lines
// and circl's final exponentiation, in constant time: byte for byte circl's
// ProdPairFrac (the internal package's tests pin that), about a quarter
// cheaper.
func (blsCurve) PairPreparedCT(ps []PointG1, qs []Prepared) GT {
	pts := make([]*g1.Point, 0, len(ps))
	pq := make([]*pair.Prepared, 0, len(ps))
	for i := range ps {
		if !bp(ps[i]).IsIdentity() {
			pts, pq = append(pts, bp(ps[i])), append(pq, qs[i].(*blsPrep).ct)
		}
	}
	if len(pts) == 0 {
		one := new(bls.Gt)
		one.SetIdentity()
		return &blsGT{one}
	}
	xs, ys, _ := g1.BatchAffine(pts)
	return &blsGT{pair.Product(xs, ys, pq)}
}

func (blsCurve) PairPreparedVT(ps []PointG1, qs []Prepared) GT {
	return &blsGT{pairPreparedVT(ps, qs)}
}

// pairProduct is circl's ProdPairFrac: e is the cube of the reduced
// optimal-ate pairing (SPEC-groupsig-v2.md §1).
func (blsCurve) PairProduct(ps []PointG1, qs []PointG2, signs []int) GT {
	p2, q2, s2 := make([]*bls.G1, 0, len(ps)), make([]*bls.G2, 0, len(ps)), make([]int, 0, len(ps))
	for i := range ps {
		if bp(ps[i]).IsIdentity() || bq(qs[i]).IsIdentity() {
			continue
		}
		p2, q2, s2 = append(p2, bp(ps[i]).ToCircl()), append(q2, bq(qs[i])), append(s2, signs[i])
	}
	if len(p2) == 0 {
		one := new(bls.Gt)
		one.SetIdentity()
		return &blsGT{one}
	}
	return &blsGT{bls.ProdPairFrac(p2, q2, s2)}
}

// HashToG1 is RFC 9380 hash_to_curve with BLS12381G1_XMD:SHA-256_SSWU_RO_
// and the given DST (circl's G1.Hash).
func (blsCurve) HashToG1(msg, dst []byte) PointG1 {
	var q bls.G1
	q.Hash(msg, dst)
	return &blsG1{p: g1.FromCircl(&q)}
}

func (blsCurve) IsOneGT(t GT) bool { return t.(*blsGT).v.IsIdentity() }

func (blsCurve) AppendGT(b []byte, t GT) []byte {
	enc, _ := t.(*blsGT).v.MarshalBinary() // never fails
	return append(b, enc...)
}
