package groupsig

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"
)

func TestVerifyCommitteeAuthorizationBytes(t *testing.T) {
	for _, s := range []Suite{SuiteBLS12381, SuiteBN254} {
		g := newTestGroup(t, s, "alice")
		cm := newTestCommittee(t, g.ok, 2, 3, "adm").cm
		admin := ed25519.NewKeyFromSeed(make([]byte, 32))
		adpk := admin.Public().(ed25519.PublicKey)
		adsig, err := AuthorizeCommittee(admin, g.gk, cm)
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifyCommitteeAuthorizationBytes(adpk, cm.enc, adsig); err != nil {
			t.Fatalf("%v: %v", s, err)
		}
		abort, _ := AbortCommittee(admin, cm)
		other := bytes.Clone(cm.enc)
		other[len(other)-1] ^= 1
		for name, c := range map[string]struct {
			committee, sig []byte
			want           error
		}{
			"an abort":          {cm.enc, abort, ErrInvalidProof},
			"another committee": {other, adsig, ErrInvalidProof},
			"short":             {cm.enc[:20], adsig, ErrMalformed},
			"another kind":      {append([]byte{cm.enc[0], kindShare}, cm.enc[2:]...), adsig, ErrMalformed},
			"an unknown suite":  {append([]byte{0x13}, cm.enc[1:]...), adsig, ErrWrongSuite},
			"a truncated adsig": {cm.enc, adsig[:63], ErrInvalidProof},
		} {
			if err := VerifyCommitteeAuthorizationBytes(adpk, c.committee, c.sig); !errors.Is(err, c.want) {
				t.Errorf("%v %s: %v, want %v", s, name, err, c.want)
			}
		}
	}
}
