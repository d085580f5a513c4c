package groupsig

import (
	"bytes"
	"crypto/sha512"
	"fmt"
	"math/big"

	"filippo.io/edwards25519"
)

// Ed25519 as §3.1 fixes it: strict RFC 8032 §5.1.7, cofactorless, with a
// canonical, torsion-free identity key and R not the identity. Go's
// crypto/ed25519.Verify accepts non-canonical keys, keys with a torsion
// component and R = identity, so this file checks them itself.

// inv8 is 8^-1 mod ℓ: [8]([8^-1]A) = A exactly when A has no torsion
// component.
var inv8 *edwards25519.Scalar

// identityR is the encoding of the identity, refused as R.
var identityR = append([]byte{1}, make([]byte, 31)...)

func init() {
	l, _ := new(big.Int).SetString("7237005577332262213973186563042994240857116359379907606001950938285454250989", 10)
	v := new(big.Int).ModInverse(big.NewInt(8), l)
	var le [32]byte
	v.FillBytes(le[:])
	for i, j := 0, 31; i < j; i, j = i+1, j-1 {
		le[i], le[j] = le[j], le[i]
	}
	var err error
	if inv8, err = edwards25519.NewScalar().SetCanonicalBytes(le[:]); err != nil {
		panic("groupsig: 8^-1 mod ℓ: " + err.Error())
	}
}

// parseIdentityKey decodes idpk by §3.1: the canonical encoding (y < p,
// no x = 0 with the sign bit set) of a point other than the identity with
// [ℓ]A = O.
func parseIdentityKey(idpk []byte) (*edwards25519.Point, error) {
	if len(idpk) != 32 {
		return nil, fmt.Errorf("identity key is %d bytes, want 32", len(idpk))
	}
	a, err := new(edwards25519.Point).SetBytes(idpk)
	if err != nil {
		return nil, fmt.Errorf("identity key is not a point of edwards25519")
	}
	if !bytes.Equal(a.Bytes(), idpk) {
		return nil, fmt.Errorf("identity key is not canonically encoded")
	}
	if a.Equal(edwards25519.NewIdentityPoint()) == 1 {
		return nil, fmt.Errorf("identity key is the identity point")
	}
	t := new(edwards25519.Point).ScalarMult(inv8, a)
	if t.MultByCofactor(t).Equal(a) != 1 {
		return nil, fmt.Errorf("identity key has a small-order component")
	}
	return a, nil
}

// verifyEd25519 is §3.1's verification of sig = R ‖ S on msg under the
// key a (already checked by parseIdentityKey, encoding idpk).
func verifyEd25519(a *edwards25519.Point, idpk, msg, sig []byte) bool {
	if len(sig) != 64 || bytes.Equal(sig[:32], identityR) {
		return false
	}
	s, err := edwards25519.NewScalar().SetCanonicalBytes(sig[32:])
	if err != nil {
		return false
	}
	h := sha512.New()
	h.Write(sig[:32])
	h.Write(idpk)
	h.Write(msg)
	t, _ := edwards25519.NewScalar().SetUniformBytes(h.Sum(nil)) // 64 bytes: never fails
	r := new(edwards25519.Point).VarTimeDoubleScalarBaseMult(t.Negate(t), a, s)
	return bytes.Equal(r.Bytes(), sig[:32])
}
