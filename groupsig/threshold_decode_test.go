package groupsig

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"testing"
)

// Decoder strictness and tampering for the threshold objects (kinds 0B
// to 10 and this project's share file, 85), in both suites: the shared
// threshold vectors (BLS12-381) and a committee dealt on a fixed stream
// over the BN254 known-answer group.

// thresholdObjects is one committee with one of every threshold object.
type thresholdObjects struct {
	name           string
	o              *groupObjects
	gk             *GroupKey // the signature's epoch
	cm             *Committee
	msg, scope     []byte
	sig            []byte
	adpk           ed25519.PublicKey
	adsig          []byte
	enc            map[byte][]byte // one encoding per kind
	partials       [][]byte        // 1..n
	genuine        map[byte][][]byte
	shareProofs    [][]byte
	consents       [][]byte // every genuine consent of the committee
	shares         [][]byte // every share file
	thresholdEntry [][]byte // the genuine entries of sig (u8(i) ‖ … ‖ sig_i)
	a              []byte   // sig's A
}

var thresholdKinds = []byte{kindCommittee, kindShareProof, kindPartial, kindThreshold, kindConsent, kindApproval, kindShare}

// thresholdObjectsBLS is the shared vectors: opening 7 (epoch 1, tagged).
func thresholdObjectsBLS(t testing.TB) (*thresholdObjects, error) {
	f := loadThresholdFixture(t)
	o := mustObjects(t, sharedObjects)
	v := f.v.Openings[7]
	share, _ := f.shares[0].MarshalBinary()
	next, _, err := Deal(f.ok, 3, f.auths, streamRand("second committee"))
	if err != nil {
		return nil, err
	}
	ap, err := NewApproval(f.gk, f.cm, next, 1234, 2, f.ids[1])
	if err != nil {
		return nil, err
	}
	x := &thresholdObjects{name: "vectors", o: o, gk: o.gk1, cm: f.cm, msg: f.v.Message, scope: o.scope, sig: v.Signature,
		adpk: ed25519.PublicKey(f.v.AdminPK), adsig: f.v.Authorization}
	x.enc = map[byte][]byte{kindCommittee: f.v.Committee, kindShareProof: f.v.Authorities[0].ShareProof, kindPartial: v.Partials[0],
		kindThreshold: v.Threshold, kindConsent: v.Consents[0], kindApproval: ap.enc, kindShare: share}
	for k, a := range f.v.Authorities {
		x.shareProofs = append(x.shareProofs, a.ShareProof)
		b, _ := f.shares[k].MarshalBinary()
		x.shares = append(x.shares, b)
	}
	x.partials, x.a = toBytes(v.Partials), v.A
	for _, w := range f.v.Openings {
		x.consents = append(x.consents, toBytes(w.Consents)...)
	}
	return x.finish(), nil
}

func toBytes(hs []hexb) [][]byte {
	var out [][]byte
	for _, h := range hs {
		out = append(out, h)
	}
	return out
}

// thresholdObjectsBN254 deals 2-of-3 over the BN254 known answers on a
// fixed stream and opens member-0's epoch-1 tagged signature.
func thresholdObjectsBN254(t testing.TB) (*thresholdObjects, error) {
	o := mustObjects(t, katObjects[SuiteBN254])
	rnd := streamRand("threshold objects bn254")
	auths, ids := testAuthorities("bn-authority", 3)
	cm, shares, err := Deal(o.ok, 2, auths, rnd)
	if err != nil {
		return nil, err
	}
	admin := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	adsig, err := AuthorizeCommittee(admin, o.gk0, cm)
	if err != nil {
		return nil, err
	}
	x := &thresholdObjects{name: "bn254", o: o, gk: o.gk1, cm: cm, msg: o.msg, scope: o.scope, sig: o.epoch1[0].tsig,
		adpk: admin.Public().(ed25519.PublicKey), adsig: adsig}
	var consents []*Consent
	for i, sh := range shares {
		p, err := NewShareProof(o.gk0, cm, sh, ids[i], rnd)
		if err != nil {
			return nil, err
		}
		x.shareProofs = append(x.shareProofs, p.enc)
		cs, err := NewConsent(cm, 1, x.sig, i+1, ids[i])
		if err != nil {
			return nil, err
		}
		consents = append(consents, cs)
	}
	var partials []*PartialOpening
	for i, sh := range shares {
		p, err := NewPartialOpening(o.gk1, cm, sh, x.msg, x.scope, x.sig, consents[:2], ids[i], rnd)
		if err != nil {
			return nil, err
		}
		partials = append(partials, p)
		x.partials = append(x.partials, p.enc)
	}
	top, err := CombineOpening(o.gk1, cm, x.msg, x.scope, x.sig, partials)
	if err != nil {
		return nil, err
	}
	next, _, err := Deal(o.ok, 2, auths[:2], rnd)
	if err != nil {
		return nil, err
	}
	ap, err := NewApproval(o.gk0, cm, next, 99, 3, ids[2])
	if err != nil {
		return nil, err
	}
	share, _ := shares[0].MarshalBinary()
	for k, cs := range consents {
		x.consents = append(x.consents, cs.enc)
		b, _ := shares[k].MarshalBinary()
		x.shares = append(x.shares, b)
	}
	x.a = o.epoch1[0].a
	x.enc = map[byte][]byte{kindCommittee: cm.enc, kindShareProof: x.shareProofs[0], kindPartial: x.partials[0],
		kindThreshold: top.enc, kindConsent: x.consents[0], kindApproval: ap.enc, kindShare: share}
	return x.finish(), nil
}

func (x *thresholdObjects) finish() *thresholdObjects {
	x.genuine = map[byte][][]byte{kindShareProof: x.shareProofs, kindPartial: x.partials, kindConsent: x.consents,
		kindCommittee: {x.enc[kindCommittee]}, kindApproval: {x.enc[kindApproval]}, kindShare: x.shares}
	for _, p := range x.partials {
		x.thresholdEntry = append(x.thresholdEntry, p[2+headerSize:])
	}
	return x
}

var thresholdObjectsCache struct {
	sync.Mutex
	all []*thresholdObjects
}

// allThresholdObjects is the vectors' and the BN254 objects, made once.
func allThresholdObjects(t testing.TB) []*thresholdObjects {
	t.Helper()
	thresholdObjectsCache.Lock()
	defer thresholdObjectsCache.Unlock()
	if thresholdObjectsCache.all == nil {
		var out []*thresholdObjects
		for _, f := range []func(testing.TB) (*thresholdObjects, error){thresholdObjectsBLS, thresholdObjectsBN254} {
			x, err := f(t)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, x)
		}
		thresholdObjectsCache.all = out
	}
	return thresholdObjectsCache.all
}

// fIndex is an authority index u8(i) (≥ 1) or a threshold t, n, k.
const fIndex fieldKind = 100

// thresholdLayout splits a valid threshold encoding into its fields.
func thresholdLayout(b []byte) []field {
	c := curveOf(b[0])
	var out []field
	off := 0
	add := func(name string, k fieldKind, n int) {
		out = append(out, field{name, k, off, n})
		off += n
	}
	g1, sc := c.G1Size(), scalarSize
	hdr := func() {
		add("cref", fBytes, 32)
		add("epoch", fEpoch, 8)
		add("sref", fBytes, 32)
	}
	entry := func(p string) {
		add(p+"i", fIndex, 1)
		add(p+"D_i", fG1, g1)
		add(p+"c", fScalar, sc)
		add(p+"s1", fScalar, sc)
		add(p+"s2", fScalar, sc)
		add(p+"sig_i", fIdsig, 64)
	}
	add("suite", fSuite, 1)
	add("kind", fKind, 1)
	switch b[1] {
	case kindCommittee:
		add("gref", fBytes, 32)
		t, n := int(b[off]), int(b[off+1])
		add("t", fCount, 1)
		add("n", fCount, 1)
		for k := 1; k < t; k++ {
			add(fmt.Sprintf("C1_%d", k), fG1, g1)
		}
		for k := 1; k < t; k++ {
			add(fmt.Sprintf("C2_%d", k), fG1, g1)
		}
		for i := 1; i <= n; i++ {
			l := int(b[off])
			add(fmt.Sprintf("label %d length", i), fLabLen, 1)
			add(fmt.Sprintf("label %d", i), fLabel, l)
			add(fmt.Sprintf("idpk %d", i), fIdpk, 32)
		}
		add("c", fScalar, sc)
		add("s1", fScalar, sc)
		add("s2", fScalar, sc)
	case kindShareProof:
		add("cref", fBytes, 32)
		add("i", fIndex, 1)
		add("c", fScalar, sc)
		add("s1", fScalar, sc)
		add("s2", fScalar, sc)
		add("sig_i", fIdsig, 64)
	case kindConsent:
		hdr()
		add("i", fIndex, 1)
		add("sig_i", fIdsig, 64)
	case kindPartial:
		hdr()
		entry("")
	case kindThreshold:
		hdr()
		k := int(b[off])
		add("k", fCount, 1)
		for j := 1; j <= k; j++ {
			entry(fmt.Sprintf("entry %d ", j))
		}
	case kindApproval:
		add("cref_old", fBytes, 32)
		add("cref_new", fBytes, 32)
		add("deadline", fEpoch, 8)
		add("i", fIndex, 1)
		add("sig_i", fIdsig, 64)
	case kindShare:
		add("cref", fBytes, 32)
		add("i", fIndex, 1)
		add("xi1_i", fScalar, sc)
		add("xi2_i", fScalar, sc)
	default:
		panic(fmt.Sprintf("thresholdLayout: kind 0x%02x", b[1]))
	}
	if off != len(b) {
		panic(fmt.Sprintf("thresholdLayout: kind 0x%02x covers %d of %d bytes", b[1], off, len(b)))
	}
	return out
}

// thresholdDecoder decodes an encoding of kind into a fresh value.
func thresholdDecoder(kind byte) codec {
	switch kind {
	case kindCommittee:
		return new(Committee)
	case kindShareProof:
		return new(ShareProof)
	case kindPartial:
		return new(PartialOpening)
	case kindThreshold:
		return new(ThresholdOpening)
	case kindConsent:
		return new(Consent)
	case kindApproval:
		return new(Approval)
	case kindShare:
		return new(Share)
	}
	panic(fmt.Sprintf("no threshold decoder of kind %02x", kind))
}

func tdecode(kind byte, b []byte) error { return thresholdDecoder(kind).UnmarshalBinary(b) }

func tRefused(t *testing.T, what string, kind byte, b []byte, sentinels ...error) {
	t.Helper()
	err, panicked := callSafely(func() error { return tdecode(kind, b) })
	switch {
	case panicked:
		t.Errorf("kind %02x: %s: %v", kind, what, err)
	case err == nil:
		t.Errorf("kind %02x: %s: ACCEPTED", kind, what)
	case !isAny(err, sentinels...):
		t.Errorf("kind %02x: %s: %v, want one of %v", kind, what, err, sentinels)
	}
}

// tAccepted: decodes and re-encodes to the same bytes.
func tAccepted(t *testing.T, what string, kind byte, b []byte) {
	t.Helper()
	v := thresholdDecoder(kind)
	if err, p := callSafely(func() error { return v.UnmarshalBinary(b) }); p || err != nil {
		t.Errorf("kind %02x: %s: refused: %v", kind, what, err)
		return
	}
	if back, _ := v.MarshalBinary(); !bytes.Equal(back, b) {
		t.Errorf("kind %02x: %s: re-encodes differently", kind, what)
	}
}

// TestThresholdDecoders: every rule of every threshold decoder, both
// suites: lengths, suite and kind, points, scalars, indices, labels and
// identity keys, t and n, k and the order of entries.
func TestThresholdDecoders(t *testing.T) {
	for _, x := range allThresholdObjects(t) {
		t.Run(x.name, func(t *testing.T) {
			s := Suite(x.enc[kindCommittee][0])
			c := curveOf(byte(s))
			r := groupOrder[s]
			sc := func(v *big.Int) []byte { return v.FillBytes(make([]byte, scalarSize)) }
			one := big.NewInt(1)
			badScalars := []namedEnc{{"r", sc(r)}, {"r + 1", sc(new(big.Int).Add(r, one))}, {"2^256 − 1", bytes.Repeat([]byte{0xff}, 32)}}
			g1s := badG1(t, s)
			for _, kind := range thresholdKinds {
				enc := x.enc[kind]
				tAccepted(t, "the object", kind, enc)
				for n := range len(enc) {
					tRefused(t, fmt.Sprintf("truncated to %d of %d", n, len(enc)), kind, enc[:n], ErrMalformed)
				}
				for _, tail := range [][]byte{{0}, {0xff}, enc[2:]} {
					tRefused(t, fmt.Sprintf("%d trailing bytes", len(tail)), kind, append(bytes.Clone(enc), tail...), ErrMalformed)
				}
				for _, suite := range []byte{0x00, 0x01, 0x02, 0x13, 0xff} {
					tRefused(t, fmt.Sprintf("suite %02x", suite), kind, append([]byte{suite}, enc[1:]...), ErrWrongSuite)
				}
				for k := range 256 {
					if byte(k) != kind {
						tRefused(t, fmt.Sprintf("kind %02x", k), kind, append([]byte{enc[0], byte(k)}, enc[2:]...), ErrMalformed)
					}
				}
				for _, f := range thresholdLayout(enc) {
					switch f.kind {
					case fG1:
						tAccepted(t, f.name+" = the generator", kind, splice(enc, f, c.CompressG1(c.G1Generator())[0]))
						for _, b := range g1s {
							tRefused(t, f.name+" = "+b.name, kind, splice(enc, f, b.enc), ErrMalformed)
						}
					case fScalar:
						tAccepted(t, f.name+" = r − 1", kind, splice(enc, f, sc(new(big.Int).Sub(r, one))))
						for _, b := range badScalars {
							tRefused(t, f.name+" = "+b.name, kind, splice(enc, f, b.enc), ErrMalformed)
						}
						if kind == kindShare {
							tRefused(t, f.name+" = 0", kind, splice(enc, f, make([]byte, 32)), ErrMalformed)
						} else {
							tAccepted(t, f.name+" = 0", kind, splice(enc, f, make([]byte, 32)))
						}
					case fIndex:
						tRefused(t, f.name+" = 0", kind, splice(enc, f, []byte{0}), ErrMalformed)
						if kind != kindThreshold {
							tAccepted(t, f.name+" = 255", kind, splice(enc, f, []byte{255}))
						}
					case fIdpk:
						tAccepted(t, f.name+" = another valid key", kind, splice(enc, f, testIdpk("another")))
						for _, b := range badIdpks(t, enc[f.off:f.off+f.n]) {
							tRefused(t, f.name+" = "+b.name, kind, splice(enc, f, b.enc), ErrMalformed)
						}
					case fLabLen:
						for _, bl := range badLabels {
							tRefused(t, fmt.Sprintf("%s %q", f.name, bl), kind, labelSpliced(enc, f, bl), ErrMalformed)
						}
						for _, gl := range goodLabels {
							tAccepted(t, fmt.Sprintf("%s %q", f.name, gl), kind, labelSpliced(enc, f, gl))
						}
					}
				}
			}
			// Committee: t and n, duplicates.
			cmEnc := x.enc[kindCommittee]
			l := thresholdLayout(cmEnc)
			tf, nf := fieldNamed(l, "t"), fieldNamed(l, "n")
			tRefused(t, "t = 1", kindCommittee, splice(cmEnc, tf, []byte{1}), ErrMalformed)
			tRefused(t, "t = 0", kindCommittee, splice(cmEnc, tf, []byte{0}), ErrMalformed)
			tRefused(t, "n = 1 < t", kindCommittee, splice(cmEnc, nf, []byte{1}), ErrMalformed)
			noC := splice(splice(cmEnc, fieldNamed(l, "C2_1"), nil), fieldNamed(l, "C1_1"), nil)
			tRefused(t, "t = 1 without commitments", kindCommittee, splice(noC, tf, []byte{1}), ErrMalformed)
			lab1, lab2 := fieldNamed(l, "label 1 length"), fieldNamed(l, "label 2 length")
			label1 := string(cmEnc[lab1.off+1 : lab1.off+1+int(cmEnc[lab1.off])])
			tRefused(t, "label 2 = label 1", kindCommittee, labelSpliced(cmEnc, lab2, label1), ErrMalformed)
			id1, id3 := fieldNamed(l, "idpk 1"), fieldNamed(l, "idpk 3")
			tRefused(t, "idpk 3 = idpk 1", kindCommittee, splice(cmEnc, id3, cmEnc[id1.off:id1.off+32]), ErrMalformed)
			// Threshold opening: k, order of entries.
			top := x.enc[kindThreshold]
			tl := thresholdLayout(top)
			kf := fieldNamed(tl, "k")
			for _, k := range []byte{0, 1, 3, 255} {
				tRefused(t, fmt.Sprintf("k = %d", k), kindThreshold, splice(top, kf, []byte{k}), ErrMalformed)
			}
			e1 := top[2+headerSize+1 : 2+headerSize+1+entrySize(c)]
			e2 := top[2+headerSize+1+entrySize(c):]
			hdr := top[:2+headerSize+1]
			tRefused(t, "entries in decreasing order", kindThreshold, append(append(bytes.Clone(hdr), e2...), e1...), ErrMalformed)
			tRefused(t, "one entry twice", kindThreshold, append(append(bytes.Clone(hdr), e1...), e1...), ErrMalformed)
			one1 := append(append(bytes.Clone(top[:2+headerSize]), 1), e1...)
			tRefused(t, "k = 1 with one entry", kindThreshold, one1, ErrMalformed)
			three := append(append(append(append(bytes.Clone(top[:2+headerSize]), 3), e1...), e2...), x.thresholdEntry[2]...)
			tAccepted(t, "k = 3 with three entries", kindThreshold, three)
		})
	}
}

func testIdpk(label string) []byte {
	a, _ := testAuthorities(label, 1)
	return a[0].IdentityKey
}

// Tampering: every byte of every threshold object, with one bit (the bit
// moves with the position), and every field's first byte with each bit
// and 0xff, is refused by its consumer's check; none of these refusals
// names an authority (sig_i covers every byte of a signed object, so no
// one is to blame for bytes that were changed in transit).

// fWhole marks scalars and signatures to tamper at every byte (mutations
// samples fScalar and fIdsig).
const (
	fTScalar fieldKind = 101
	fTSig    fieldKind = 102
)

func everyByte(l []field) []field {
	out := make([]field, len(l))
	for i, f := range l {
		switch f.kind {
		case fScalar:
			f.kind = fTScalar
		case fIdsig:
			f.kind = fTSig
		}
		out[i] = f
	}
	return out
}

// noOneNamed turns a refusal that names an authority into a failure.
func noOneNamed(err error) error {
	var ae *AuthorityError
	if errors.As(err, &ae) {
		return fmt.Errorf("names authority %d: %v", ae.Index, err)
	}
	return err
}

func thresholdTamperTargets(x *thresholdObjects) []tamperTarget {
	gk0, _ := x.gk.AtEpoch(0)
	cm := x.cm
	wg, mp := []error{ErrWrongGroup}, []error{ErrMalformed, ErrInvalidProof}
	idx := []error{ErrMalformed, ErrUnknownMember, ErrInvalidProof}
	target := func(kind byte, name string, check func(b []byte) error, byKind map[fieldKind][]error, byName map[string][]error) tamperTarget {
		enc := x.enc[kind]
		return tamperTarget{name: x.name + ": " + name, enc: enc, layout: everyByte(thresholdLayout(enc)),
			check: func(b []byte) error { return noOneNamed(check(b)) }, allow: allowBy(byKind, byName)}
	}
	decodeThen := func(kind byte, verify func(v codec) error) func(b []byte) error {
		return func(b []byte) error {
			v := thresholdDecoder(kind)
			if err := v.UnmarshalBinary(b); err != nil {
				return err
			}
			return verify(v)
		}
	}
	signed := map[fieldKind][]error{fBytes: mp, fEpoch: mp, fIndex: idx, fG1: mp, fTScalar: mp, fTSig: mp}
	partial := map[string][]error{"cref": wg, "epoch": {ErrWrongGroup}, "entry 1 i": idx, "entry 2 i": idx}
	return []tamperTarget{
		target(kindCommittee, "committee", decodeThen(kindCommittee, func(v codec) error { return v.(*Committee).Verify(gk0) }),
			map[fieldKind][]error{fBytes: wg, fG1: mp, fLabel: mp, fIdpk: mp, fTScalar: mp}, nil),
		target(kindShare, "share", decodeThen(kindShare, func(v codec) error { return v.(*Share).Check(gk0, cm) }),
			map[fieldKind][]error{fBytes: wg, fIndex: {ErrMalformed, ErrUnknownMember, ErrInvalidKey}, fTScalar: {ErrMalformed, ErrInvalidKey}}, nil),
		target(kindShareProof, "share proof", decodeThen(kindShareProof, func(v codec) error { return v.(*ShareProof).Verify(gk0, cm) }),
			signed, map[string][]error{"cref": wg}),
		target(kindConsent, "consent", decodeThen(kindConsent, func(v codec) error { return v.(*Consent).Verify(cm) }),
			signed, map[string][]error{"cref": wg}),
		target(kindPartial, "partial opening", decodeThen(kindPartial, func(v codec) error {
			return v.(*PartialOpening).Verify(x.gk, cm, x.msg, x.scope, x.sig)
		}), signed, partial),
		target(kindThreshold, "threshold opening", decodeThen(kindThreshold, func(v codec) error {
			_, err := v.(*ThresholdOpening).Verify(x.gk, cm, x.msg, x.scope, x.sig)
			return err
		}), signed, partial),
		target(kindApproval, "approval", decodeThen(kindApproval, func(v codec) error { return v.(*Approval).Verify(cm) }),
			signed, map[string][]error{"cref_old": wg}),
		{name: x.name + ": adsig_ADMIN", enc: x.adsig, layout: []field{{"adsig", fTSig, 0, 64}},
			check: func(b []byte) error { return VerifyCommitteeAuthorization(x.adpk, cm, b) },
			allow: func(field) []error { return []error{ErrInvalidProof} }},
	}
}

func TestThresholdTamper(t *testing.T) {
	for _, x := range allThresholdObjects(t) {
		for _, tg := range thresholdTamperTargets(x) {
			t.Run(tg.name, func(t *testing.T) { runTamper(t, tg) })
		}
	}
}
