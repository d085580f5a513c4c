package groupsig

import (
	"bytes"
	"crypto/sha256"
	"slices"
	"testing"
)

// Fuzz targets for the threshold decoders, with the pattern of
// fuzz_test.go: no panic, refusals wrap a sentinel, what is accepted
// re-encodes to the same bytes, and only genuine objects (the shared
// threshold vectors' and the BN254 committee's) pass their checks. Seeds
// are committed under testdata/fuzz with the others (thresholdFuzzSeeds).

var thresholdFuzzTargets = []string{"FuzzCommittee", "FuzzShare", "FuzzShareProof", "FuzzConsent", "FuzzPartialOpening",
	"FuzzThresholdOpening", "FuzzApproval"}

// fuzzVerified runs check under every seed committee: where it passes,
// data must be one of that committee's genuine objects.
func fuzzVerified(t *testing.T, data []byte, genuine func(x *thresholdObjects) [][]byte, check func(x *thresholdObjects) error, sentinels ...error) {
	for _, x := range allThresholdObjects(t) {
		err := check(x)
		if err != nil {
			wantSentinel(t, err, sentinels...)
			continue
		}
		if !slices.ContainsFunc(genuine(x), func(g []byte) bool { return bytes.Equal(g, data) }) {
			t.Fatalf("%s: an object that is not genuine passes its check", x.name)
		}
	}
}

func FuzzCommittee(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		var cm Committee
		if !fuzzDecode(t, &cm, data, ErrMalformed, ErrWrongSuite) {
			return
		}
		if cm.Ref() != sha256.Sum256(data) || cm.Threshold() < 2 || cm.Threshold() > len(cm.Authorities()) {
			t.Fatal("cref, t or n")
		}
		fuzzVerified(t, data, func(x *thresholdObjects) [][]byte { return x.genuine[kindCommittee] },
			func(x *thresholdObjects) error { return cm.Verify(x.o.gk0) }, ErrInvalidProof, ErrInvalidKey, ErrWrongGroup, ErrWrongSuite)
	})
}

func FuzzShare(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		var sh Share
		if !fuzzDecode(t, &sh, data, ErrMalformed, ErrWrongSuite) {
			return
		}
		fuzzVerified(t, data, func(x *thresholdObjects) [][]byte { return x.shares },
			func(x *thresholdObjects) error { return sh.Check(x.o.gk0, x.cm) }, ErrInvalidKey, ErrWrongGroup, ErrWrongSuite, ErrUnknownMember)
	})
}

func FuzzShareProof(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		var p ShareProof
		if !fuzzDecode(t, &p, data, ErrMalformed, ErrWrongSuite) {
			return
		}
		fuzzVerified(t, data, func(x *thresholdObjects) [][]byte { return x.shareProofs },
			func(x *thresholdObjects) error { return p.Verify(x.o.gk0, x.cm) }, ErrInvalidProof, ErrWrongGroup, ErrWrongSuite, ErrUnknownMember)
	})
}

func FuzzConsent(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		var cs Consent
		if !fuzzDecode(t, &cs, data, ErrMalformed, ErrWrongSuite) {
			return
		}
		fuzzVerified(t, data, func(x *thresholdObjects) [][]byte { return x.consents },
			func(x *thresholdObjects) error { return cs.Verify(x.cm) }, ErrInvalidProof, ErrWrongGroup, ErrWrongSuite, ErrUnknownMember)
	})
}

func FuzzApproval(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		var a Approval
		if !fuzzDecode(t, &a, data, ErrMalformed, ErrWrongSuite) {
			return
		}
		fuzzVerified(t, data, func(x *thresholdObjects) [][]byte { return x.genuine[kindApproval] },
			func(x *thresholdObjects) error { return a.Verify(x.cm) }, ErrInvalidProof, ErrWrongGroup, ErrWrongSuite, ErrUnknownMember)
	})
}

// openingSentinels are what a partial or threshold opening's check may
// refuse with (an *AuthorityError wraps one of them).
var openingSentinels = []error{ErrInvalidProof, ErrWrongGroup, ErrWrongSuite, ErrUnknownMember, ErrInvalidSignature, ErrMalformed}

// FuzzPartialOpening checks a partial against the signature of the seed
// committee the selector picks.
func FuzzPartialOpening(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, sel uint8) {
		var p PartialOpening
		if !fuzzDecode(t, &p, data, ErrMalformed, ErrWrongSuite) {
			return
		}
		xs := allThresholdObjects(t)
		x := xs[int(sel)%len(xs)]
		if err := p.Verify(x.gk, x.cm, x.msg, x.scope, x.sig); err != nil {
			wantSentinel(t, err, openingSentinels...)
		} else if !slices.ContainsFunc(x.partials, func(g []byte) bool { return bytes.Equal(g, data) }) {
			t.Fatal("a partial opening that is not genuine checks")
		}
	})
}

// FuzzThresholdOpening: only openings made of genuine entries check,
// and they name the signer's A.
func FuzzThresholdOpening(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, sel uint8) {
		var o ThresholdOpening
		if !fuzzDecode(t, &o, data, ErrMalformed, ErrWrongSuite) {
			return
		}
		if ix := o.Indices(); len(ix) < 2 || !slices.IsSorted(ix) {
			t.Fatalf("indices %v", ix)
		}
		xs := allThresholdObjects(t)
		x := xs[int(sel)%len(xs)]
		a, err := o.Verify(x.gk, x.cm, x.msg, x.scope, x.sig)
		if err != nil {
			wantSentinel(t, err, openingSentinels...)
			return
		}
		for _, e := range o.entries {
			if !slices.ContainsFunc(x.thresholdEntry, func(g []byte) bool { return bytes.Equal(g, e.raw) }) {
				t.Fatal("a threshold opening with an entry that is not genuine checks")
			}
		}
		if !bytes.Equal(a, x.a) {
			t.Fatalf("a threshold opening names %x, the signer is %x", a, x.a)
		}
	})
}

// thresholdFuzzSeeds adds the threshold targets' seeds: each object of
// both seed committees, its variants, and a few edge cases.
func thresholdFuzzSeeds(t testing.TB, out map[string][][]any, variants func([]byte) [][]byte) {
	one := func(target string, bs ...[]byte) {
		for _, b := range bs {
			out[target] = append(out[target], []any{b})
		}
	}
	for sel, x := range allThresholdObjects(t) {
		for target, kind := range map[string]byte{"FuzzCommittee": kindCommittee, "FuzzShare": kindShare, "FuzzShareProof": kindShareProof,
			"FuzzConsent": kindConsent, "FuzzApproval": kindApproval} {
			one(target, variants(x.enc[kind])...)
		}
		for target, kind := range map[string]byte{"FuzzPartialOpening": kindPartial, "FuzzThresholdOpening": kindThreshold} {
			for _, b := range variants(x.enc[kind]) {
				out[target] = append(out[target], []any{b, uint8(sel)}, []any{b, uint8(sel + 1)})
			}
		}
		// A threshold opening of entries 1 and 3, and one of all three.
		top := x.enc[kindThreshold]
		hdr := top[:2+headerSize]
		out["FuzzThresholdOpening"] = append(out["FuzzThresholdOpening"],
			[]any{append(append(append(bytes.Clone(hdr), 2), x.thresholdEntry[0]...), x.thresholdEntry[2]...), uint8(sel)},
			[]any{append(append(append(append(bytes.Clone(hdr), 3), x.thresholdEntry[0]...), x.thresholdEntry[1]...), x.thresholdEntry[2]...), uint8(sel)})
		for _, p := range x.partials[1:] {
			out["FuzzPartialOpening"] = append(out["FuzzPartialOpening"], []any{p, uint8(sel)})
		}
	}
	one("FuzzCommittee", nil)
}
