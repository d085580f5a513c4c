package bls12381g1

import (
	"math/big"

	"github.com/cloudflare/circl/ecc/bls12381/ff"
)

// sqrtStep is one step of the fixed sliding-window exponentiation by
// (p+1)/4: square sq times, then multiply by x^odd (odd = 0: no multiply).
type sqrtStep struct {
	sq  int
	odd int
}

const sqrtWindow = 5

var sqrtSteps []sqrtStep

func init() {
	e := new(big.Int).SetBytes(ff.FpOrder())
	e.Add(e, big.NewInt(1)).Rsh(e, 2)
	i := e.BitLen() - 1
	pending := 0
	for i >= 0 {
		if e.Bit(i) == 0 {
			pending++
			i--
			continue
		}
		// window [j, i] with e.Bit(j) == 1, width <= sqrtWindow
		j := max(i-sqrtWindow+1, 0)
		for e.Bit(j) == 0 {
			j++
		}
		v := 0
		for b := i; b >= j; b-- {
			v = v<<1 | int(e.Bit(b))
		}
		sqrtSteps = append(sqrtSteps, sqrtStep{sq: pending + i - j + 1, odd: v})
		pending = 0
		i = j - 1
	}
	if pending > 0 {
		sqrtSteps = append(sqrtSteps, sqrtStep{sq: pending})
	}
}

// sqrt sets z = x^((p+1)/4) and returns 1 if it is a square root of x (x is
// a quadratic residue), 0 otherwise, in which case z is unmodified. The
// operation sequence is fixed (independent of x).
func sqrt(z, x *ff.Fp) int {
	var tbl [1 << (sqrtWindow - 1)]ff.Fp // x^1, x^3, ..., x^31
	var x2 ff.Fp
	tbl[0] = *x
	x2.Sqr(x)
	for i := 1; i < len(tbl); i++ {
		tbl[i].Mul(&tbl[i-1], &x2)
	}
	y := fpOne
	for k, s := range sqrtSteps {
		if k == 0 {
			// the first window starts from one: skip its squarings
			y = tbl[s.odd>>1]
			continue
		}
		for i := 0; i < s.sq; i++ {
			y.Sqr(&y)
		}
		if s.odd != 0 {
			y.Mul(&y, &tbl[s.odd>>1])
		}
	}
	var c ff.Fp
	c.Sqr(&y)
	ok := c.IsEqual(x)
	z.CMov(z, &y, ok)
	return ok
}
