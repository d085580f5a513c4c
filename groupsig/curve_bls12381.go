package groupsig

import (
	"fmt"
	"io"

	bls "github.com/cloudflare/circl/ecc/bls12381"
	g1 "github.com/veilchain/veil/groupsig/internal/bls12381g1"
	pair "github.com/veilchain/veil/groupsig/internal/bls12381pair"
)

// Suite 0x01: BLS12-381. G1 arithmetic runs on the internal bls12381g1
// package (constant-time combs and regular windows for secrets, GLV/wNAF
// for public data); G2, GT, scalars and the pairing are circl's.

type (
	blsScalar struct{ v bls.Scalar }
	blsG1     struct{ p g1.Point }
	blsG2     struct{ p bls.G2 }
	blsGT     struct{ v *bls.Gt }
	blsFixed  struct{ t *g1.FixedBase }
	blsVar    struct{ t *g1.VarBase }
	blsPrep   struct{ p *pair.Prepared }
)

func (*blsPrep) isPrepared() {}

func (*blsScalar) isScalar() {}
func (*blsG1) isG1()         {}
func (*blsG2) isG2()         {}
func (*blsGT) isGT()         {}
func (*blsFixed) isFixed()   {}
func (*blsVar) isVar()       {}

var blsDims = newDims("bls12-381", bls.G1SizeCompressed, bls.G2SizeCompressed, 576,
	"VEIL-BBS04-BLS12381-SHA256-v1", "VEIL-BBS04-OPEN-BLS12381-SHA256-v1")

type blsCurve struct{}

func (blsCurve) id() byte    { return SuiteBLS12381 }
func (blsCurve) dims() *dims { return &blsDims }

func bs(s scalar) *bls.Scalar { return &s.(*blsScalar).v }
func bp(p pointG1) *g1.Point  { return &p.(*blsG1).p }
func bq(q pointG2) *bls.G2    { return &q.(*blsG2).p }

func (blsCurve) randomScalar(rand io.Reader) (scalar, error) {
	s := new(blsScalar)
	if err := s.v.Random(rand); err != nil {
		return nil, fmt.Errorf("draw random scalar: %w", err)
	}
	return s, nil
}

func (blsCurve) decodeScalar(b []byte) (scalar, bool) {
	s := new(blsScalar)
	if len(b) != scalarSize || s.v.UnmarshalBinary(b) != nil {
		return nil, false
	}
	return s, true
}

func (blsCurve) reduceWide(b []byte) scalar {
	s := new(blsScalar)
	s.v.SetBytes(b)
	return s
}

func (blsCurve) appendScalar(b []byte, s scalar) []byte {
	enc, _ := bs(s).MarshalBinary() // never fails
	return append(b, enc...)
}

func (blsCurve) add(a, b scalar) scalar { s := new(blsScalar); s.v.Add(bs(a), bs(b)); return s }
func (blsCurve) sub(a, b scalar) scalar { s := new(blsScalar); s.v.Sub(bs(a), bs(b)); return s }
func (blsCurve) mul(a, b scalar) scalar { s := new(blsScalar); s.v.Mul(bs(a), bs(b)); return s }
func (blsCurve) neg(a scalar) scalar {
	s := new(blsScalar)
	s.v.Set(bs(a))
	s.v.Neg()
	return s
}

// inv uses circl's fixed exponentiation by r−2: constant time.
func (blsCurve) inv(a scalar) scalar         { s := new(blsScalar); s.v.Inv(bs(a)); return s }
func (blsCurve) isZero(a scalar) bool        { return bs(a).IsZero() == 1 }
func (blsCurve) equal(a, b scalar) bool      { return bs(a).IsEqual(bs(b)) == 1 }
func (blsCurve) g1Generator() pointG1        { return &blsG1{g1.Generator()} }
func (blsCurve) isIdentityG1(p pointG1) bool { return bp(p).IsIdentity() }

func (blsCurve) decodeG1(b []byte) (pointG1, error) {
	p, err := g1.Decompress(b)
	if err != nil {
		return nil, err
	}
	return &blsG1{p}, nil
}

func (blsCurve) compressG1(ps ...pointG1) [][]byte {
	in := make([]*g1.Point, len(ps))
	for i, p := range ps {
		in[i] = bp(p)
	}
	enc := g1.BatchCompress(in)
	out := make([][]byte, len(enc))
	for i := range enc {
		out[i] = enc[i][:]
	}
	return out
}

func (blsCurve) addG1(a, b pointG1) pointG1 { r := new(blsG1); r.p.Add(bp(a), bp(b)); return r }
func (blsCurve) negG1(a pointG1) pointG1    { r := new(blsG1); r.p.Neg(bp(a)); return r }
func (blsCurve) equalG1(a, b pointG1) bool  { return bp(a).Equal(bp(b)) }

// mulCT is a regular-window multiplication: constant time in k.
func (blsCurve) mulCT(p pointG1, k scalar) pointG1 { return &blsG1{g1.MulCT(bp(p), bs(k))} }

// fixed builds the comb tables of a key point (≈10 ms, 840 KiB).
func (blsCurve) fixed(p pointG1) fixedBase { return &blsFixed{g1.NewFixedBase(bp(p))} }
func (blsCurve) fixedMulCT(t fixedBase, k scalar) pointG1 {
	return &blsG1{t.(*blsFixed).t.MulCT(bs(k))}
}
func (blsCurve) fixedMulVT(t fixedBase, k scalar) pointG1 {
	return &blsG1{t.(*blsFixed).t.MulVT(bs(k))}
}
func (blsCurve) varBase(p pointG1) varBase { return &blsVar{g1.NewVarBase(bp(p))} }
func (blsCurve) varMulVT(t varBase, k scalar) pointG1 {
	return &blsG1{t.(*blsVar).t.MulVT(bs(k))}
}

func (blsCurve) multiMulVT(ps []pointG1, ks []scalar) pointG1 {
	pp, kk := make([]*g1.Point, len(ps)), make([]*bls.Scalar, len(ks))
	for i := range ps {
		pp[i], kk[i] = bp(ps[i]), bs(ks[i])
	}
	return &blsG1{g1.MultiMulVT(pp, kk)}
}

func (blsCurve) g2Generator() pointG2        { return &blsG2{*bls.G2Generator()} }
func (blsCurve) isIdentityG2(p pointG2) bool { return bq(p).IsIdentity() }

func (blsCurve) decodeG2(b []byte) (pointG2, error) {
	q := new(blsG2)
	if err := q.p.SetBytes(b); err != nil {
		return nil, err
	}
	return q, nil
}

func (blsCurve) appendG2(b []byte, p pointG2) []byte { return append(b, bq(p).BytesCompressed()...) }
func (blsCurve) addG2(a, b pointG2) pointG2          { r := new(blsG2); r.p.Add(bq(a), bq(b)); return r }
func (blsCurve) equalG2(a, b pointG2) bool           { return bq(a).IsEqual(bq(b)) }

// mulG2 is circl's ScalarMult, constant time.
func (blsCurve) mulG2(p pointG2, k scalar) pointG2 {
	r := new(blsG2)
	r.p.ScalarMult(bs(k), bq(p))
	return r
}

// prepare precomputes q's Miller-loop lines (q is a key point, never the
// identity: decoders refuse it).
func (blsCurve) prepare(q pointG2) prepared {
	p, err := pair.Prepare(bq(q))
	if err != nil {
		panic("groupsig: prepare a key's G2 point: " + err.Error())
	}
	return &blsPrep{p}
}

// pairPrepared runs one Miller loop for all pairs over precomputed lines
// and circl's final exponentiation: byte for byte circl's ProdPairFrac
// (the internal package's tests pin that), about a quarter cheaper.
func (blsCurve) pairPrepared(ps []pointG1, qs []prepared) gtElem {
	pts := make([]*g1.Point, 0, len(ps))
	pq := make([]*pair.Prepared, 0, len(ps))
	for i := range ps {
		if !bp(ps[i]).IsIdentity() {
			pts, pq = append(pts, bp(ps[i])), append(pq, qs[i].(*blsPrep).p)
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

// pairProduct is circl's ProdPairFrac: e is the cube of the reduced
// optimal-ate pairing (SPEC-bbs04.md).
func (blsCurve) pairProduct(ps []pointG1, qs []pointG2, signs []int) gtElem {
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

func (blsCurve) isOneGT(t gtElem) bool { return t.(*blsGT).v.IsIdentity() }

func (blsCurve) appendGT(b []byte, t gtElem) []byte {
	enc, _ := t.(*blsGT).v.MarshalBinary() // never fails
	return append(b, enc...)
}
