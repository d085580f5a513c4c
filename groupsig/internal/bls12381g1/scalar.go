package bls12381g1

import (
	"math/big"
	"math/bits"

	"github.com/cloudflare/circl/ecc/bls12381/ff"
)

// Curve parameter: the BLS12 seed is z = -0xd201000000010000.
const absZ = uint64(0xd201000000010000)

var (
	// glvLambda = z² - 1, a root of λ² + λ + 1 ≡ 0 (mod r); φ(P) = [λ]P
	// for φ(x, y) = (β·x, y) with β = glvBeta.
	glvLambda [2]uint64
	// glvBarrett = floor(2^384 / glvLambda), 5 limbs.
	glvBarrett [5]uint64
	// scalarOrder is r as little-endian limbs.
	scalarOrder [4]uint64
)

func init() {
	z := new(big.Int).SetUint64(absZ)
	lam := new(big.Int).Mul(z, z)
	lam.Sub(lam, big.NewInt(1))
	putLimbs(glvLambda[:], lam)
	m := new(big.Int).Lsh(big.NewInt(1), 384)
	m.Quo(m, lam)
	putLimbs(glvBarrett[:], m)
	putLimbs(scalarOrder[:], new(big.Int).SetBytes(ff.ScalarOrder()))
}

func putLimbs(out []uint64, x *big.Int) {
	if x.BitLen() > 64*len(out) {
		panic("bls12381g1: constant too large")
	}
	for i := range out {
		out[i] = 0
	}
	for i, w := range x.Bits() {
		out[i] = uint64(w)
	}
}

// scalarLimbs returns k as little-endian 64-bit limbs.
func scalarLimbs(k *ff.Scalar) [4]uint64 {
	b, _ := k.MarshalBinary() // 32 bytes, big-endian
	var l [4]uint64
	for i := 0; i < 4; i++ {
		for j := 0; j < 8; j++ {
			l[i] |= uint64(b[31-8*i-j]) << (8 * j)
		}
	}
	return l
}

// mulWide sets out = a·b (schoolbook, data-independent). len(out) must be
// len(a)+len(b).
func mulWide(out, a, b []uint64) {
	for i := range out {
		out[i] = 0
	}
	for i := range a {
		var carry uint64
		for j := range b {
			hi, lo := bits.Mul64(a[i], b[j])
			var c uint64
			lo, c = bits.Add64(lo, out[i+j], 0)
			hi += c
			lo, c = bits.Add64(lo, carry, 0)
			hi += c
			out[i+j] = lo
			carry = hi
		}
		out[i+len(b)] = carry
	}
}

// glvSplit returns k1, k2 with k = k1 + k2·λ (as integers), 0 ≤ k1 < λ and
// 0 ≤ k2 ≤ λ+1, so both fit in 128 bits. Constant time (Barrett division by
// the constant λ with one conditional correction done by masking).
func glvSplit(k *[4]uint64) (k1, k2 [2]uint64) {
	var prod [9]uint64
	mulWide(prod[:], k[:], glvBarrett[:])
	q := [3]uint64{prod[6], prod[7], prod[8]} // floor(k·m / 2^384)
	var ql [5]uint64
	mulWide(ql[:], q[:], glvLambda[:])
	// rem = k - q·λ, in [0, 2λ)
	var rem [4]uint64
	var b uint64
	for i := 0; i < 4; i++ {
		rem[i], b = bits.Sub64(k[i], ql[i], b)
	}
	// t = rem - λ; if no borrow, rem >= λ: take t and q+1.
	var t [4]uint64
	b = 0
	for i := 0; i < 4; i++ {
		var l uint64
		if i < 2 {
			l = glvLambda[i]
		}
		t[i], b = bits.Sub64(rem[i], l, b)
	}
	mask := b - 1 // all ones if rem >= λ
	k1[0] = rem[0] ^ ((rem[0] ^ t[0]) & mask)
	k1[1] = rem[1] ^ ((rem[1] ^ t[1]) & mask)
	var c uint64
	k2[0], c = bits.Add64(q[0], mask&1, 0)
	k2[1], _ = bits.Add64(q[1], 0, c)
	return k1, k2
}

// recodeRegular writes the n signed odd digits d_i ∈ [-(2^w-1), 2^w-1] of the
// odd integer k (little-endian limbs, modified in place) such that
// k = Σ d_i·2^(w·i). The caller must ensure k < 2^(w·(n-1)+w) roughly, i.e.
// that after n-1 steps the remaining value is below 2^w. Constant time.
func recodeRegular(k []uint64, w uint, out []int32) {
	mask := uint64(1)<<(w+1) - 1
	n := len(out)
	for i := 0; i < n-1; i++ {
		out[i] = int32(k[0]&mask) - int32(1)<<w
		// k = (k - d) / 2^w = (k >> w) | 1
		for j := 0; j < len(k)-1; j++ {
			k[j] = k[j]>>w | k[j+1]<<(64-w)
		}
		k[len(k)-1] >>= w
		k[0] |= 1
	}
	out[n-1] = int32(k[0])
}

// ctAbs returns |d| and 1 if d < 0 (else 0), in constant time.
func ctAbs(d int32) (uint32, int) {
	s := d >> 31
	return uint32((d ^ s) - s), int(s & 1)
}

// wnaf returns the width-w NAF of k (digits least significant first; every
