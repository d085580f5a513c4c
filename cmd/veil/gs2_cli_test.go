package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veilchain/veil/groupsig"
)

// party is one side of the v2 flow with its own key directory.
type party struct {
	t   *testing.T
	dir string
}

func (p party) path(name string) string { return filepath.Join(p.dir, name) }

// copyFile hands a public file from one party to another.
func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// join runs a member's side and the issuer's side of a join, each in its
// own directory, only public files crossing over; it returns the member's
// key file and its public identity key file.
func join(t *testing.T, issuer, member party, label string) (keyFile, pubFile string) {
	t.Helper()
	copyFile(t, issuer.path("acme.gpk"), member.path("acme.gpk"))
	id := member.path(label + ".id")
	kg := jsonOut(t, "member", "keygen", "--out", id)
	pubFile = member.path(label + ".pub")
	if kg["public_key_file"] != pubFile || len(kg["identity_public_key"].(string)) != 64 {
		t.Fatalf("keygen: %v", kg)
	}
	if fileMode(t, id) != 0o600 {
		t.Fatalf("identity key mode %v", fileMode(t, id))
	}
	req := member.path(label + ".req")
	jr := jsonOut(t, "group", "join-request", "--gpk", member.path("acme.gpk"), "--label", label, "--identity", id, "--out", req)
	if jr["identity_public_key"] != kg["identity_public_key"] || jr["secret_file"] != req+".secret" {
		t.Fatalf("join-request: %v", jr)
	}
	if fileMode(t, req+".secret") != 0o600 || fileMode(t, req) != 0o644 {
		t.Fatalf("request modes %v / secret %v", fileMode(t, req), fileMode(t, req+".secret"))
	}
	// The request goes to the issuer, the response back.
	copyFile(t, req, issuer.path(label+".req"))
	resp := issuer.path(label + ".resp")
	jsonOut(t, "group", "issue", "--dir", issuer.dir, "--name", "acme", "--request", issuer.path(label+".req"), "--out", resp, "--identity", pubFile)
	copyFile(t, resp, member.path(label+".resp"))
	keyFile = member.path(label + ".key")
	fin := jsonOut(t, "group", "join-finish", "--request-secret", req+".secret", "--response", member.path(label+".resp"), "--out", keyFile)
	if fin["label"] != label || fileMode(t, keyFile) != 0o600 {
		t.Fatalf("join-finish: %v, mode %v", fin, fileMode(t, keyFile))
	}
	return keyFile, pubFile
}

func TestCLIv2FlowBLS12381(t *testing.T) { v2Flow(t, "bls12-381", groupsig.SuiteBLS12381) }
func TestCLIv2FlowBN254(t *testing.T)    { v2Flow(t, "bn254", groupsig.SuiteBN254) }

// v2Flow is the whole offline flow with the issuer and each member in
// separate directories.
func v2Flow(t *testing.T, curve string, suite byte) {
	issuer := party{t, t.TempDir()}
	alice, bob, carol := party{t, t.TempDir()}, party{t, t.TempDir()}, party{t, t.TempDir()}
	gpk, reg, opener := issuer.path("acme.gpk"), issuer.path("acme.registry"), issuer.path("acme.opener.key")

	created := jsonOut(t, "group", "create", "--name", "acme", "--dir", issuer.dir, "--curve", curve)
	if created["curve"] != curve || created["version"] != float64(2) {
		t.Fatalf("create: %v", created)
	}
	if gk, _ := hex.DecodeString(created["group_key"].(string)); len(gk) == 0 || gk[0] != suite {
		t.Fatalf("group key %x", gk)
	}
	for name, want := range map[string]os.FileMode{"acme.gpk": 0o644, "acme.registry": 0o644, "acme.issuer.key": 0o600, "acme.opener.key": 0o600} {
		if got := fileMode(t, issuer.path(name)); got != want {
			t.Errorf("%s mode %v, want %v", name, got, want)
		}
	}
	before, _ := os.ReadFile(issuer.path("acme.issuer.key"))
	if code, _, _ := wantError(t, exitUsage, "group", "create", "--name", "other", "--dir", issuer.dir, "--curve", "p256"); code != "wrong_suite" {
		t.Fatalf("unknown curve: code %q", code)
	}
	if code, _, _ := wantError(t, exitUsage, "group", "create", "--name", "acme", "--dir", issuer.dir, "--curve", curve); code != "file_exists" {
		t.Fatalf("re-create: code %q", code)
	}
	if after, _ := os.ReadFile(issuer.path("acme.issuer.key")); !bytes.Equal(before, after) {
		t.Fatal("re-create replaced the issuer key")
	}

	aliceKey, alicePub := join(t, issuer, alice, "alice")
	bobKey, bobPub := join(t, issuer, bob, "bob")
	carolKey, _ := join(t, issuer, carol, "carol")
	if b, _ := os.ReadFile(aliceKey); !bytes.Contains(b, []byte("Label: alice")) || !bytes.Contains(b, []byte("VEIL GS2 GROUP KEY")) {
		t.Fatalf("member key file:\n%s", b)
	}

	// Existing files are kept: keygen without --force, join-request, join-finish.
	idBefore, _ := os.ReadFile(alice.path("alice.id"))
	if code, _, _ := wantError(t, exitUsage, "member", "keygen", "--out", alice.path("alice.id")); code != "file_exists" {
		t.Fatalf("keygen over a key: code %q", code)
	}
	if idAfter, _ := os.ReadFile(alice.path("alice.id")); !bytes.Equal(idBefore, idAfter) {
		t.Fatal("keygen replaced the identity key")
	}
	spare := alice.path("spare.id")
	k1 := jsonOut(t, "member", "keygen", "--out", spare)
	k2 := jsonOut(t, "member", "keygen", "--out", spare, "--force")
	if k1["identity_public_key"] == k2["identity_public_key"] {
		t.Fatal("keygen --force kept the old key")
	}
	wantError(t, exitUsage, "group", "join-request", "--gpk", alice.path("acme.gpk"), "--label", "alice2", "--identity", alice.path("alice.id"), "--out", alice.path("alice.req"))
	wantError(t, exitUsage, "group", "join-finish", "--request-secret", alice.path("alice.req.secret"), "--response", alice.path("alice.resp"), "--out", aliceKey)

	// A replayed request is refused, and so is a response to another request.
	if code, _, _ := wantError(t, exitRefused, "group", "issue", "--dir", issuer.dir, "--name", "acme", "--request", issuer.path("alice.req"), "--out", issuer.path("replay.resp")); code != "duplicate" {
		t.Fatalf("replayed request: code %q", code)
	}
	if _, err := os.Stat(issuer.path("replay.resp")); err == nil {
		t.Fatal("a refused request left a response")
	}
	wantError(t, exitRefused, "group", "join-finish", "--request-secret", alice.path("alice.req.secret"), "--response", bob.path("bob.resp"), "--out", alice.path("wrong.key"))
	// --identity pins the request's signer.
	mustRun(t, "member", "keygen", "--out", issuer.path("dave.id"))
	mustRun(t, "group", "join-request", "--gpk", gpk, "--label", "dave", "--identity", issuer.path("dave.id"), "--out", issuer.path("dave.req"))
	wantError(t, exitRefused, "group", "issue", "--dir", issuer.dir, "--name", "acme", "--request", issuer.path("dave.req"), "--out", issuer.path("dave.resp"), "--identity", alicePub)

	// Untagged and tagged signatures.
	signed := jsonOut(t, "sign", "--key", aliceKey, "--message", "pay 10")
	sig := signed["signature"].(string)
	if signed["message"] != hex.EncodeToString([]byte("pay 10")) || signed["epoch"] != float64(0) || signed["scope"] != nil {
		t.Fatalf("sign: %v", signed)
	}
	v := jsonOut(t, "verify", "--gpk", alice.path("acme.gpk"), "--message", "pay 10", "--signature", sig)
	if v["valid"] != true || v["tagged"] != false || v["tag"] != nil {
		t.Fatalf("verify: %v", v)
	}
	msgFile := alice.path("msg")
	if err := os.WriteFile(msgFile, []byte("pay 10"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "verify", "--gpk", gpk, "--message-file", msgFile, "--signature", sig)
	sigFile := alice.path("sig.hex")
	if err := os.WriteFile(sigFile, []byte(sig+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "verify", "--gpk", gpk, "--message", "pay 10", "--signature", sigFile)

	t1 := mustRun(t, "sign", "--key", aliceKey, "--message", "yes", "--scope", "vote/1")
	t2 := mustRun(t, "sign", "--key", aliceKey, "--message", "no", "--scope-hex", hex.EncodeToString([]byte("vote/1")))
	t3 := mustRun(t, "sign", "--key", aliceKey, "--message", "yes", "--scope", "vote/2")
	tb := mustRun(t, "sign", "--key", bobKey, "--message", "yes", "--scope", "vote/1")
	tag := func(msg, scope, s string) string {
		t.Helper()
		return jsonOut(t, "verify", "--gpk", gpk, "--message", msg, "--scope", scope, "--signature", strings.TrimSpace(s))["tag"].(string)
	}
	tag1, tag2, tag3, tagB := tag("yes", "vote/1", t1), tag("no", "vote/1", t2), tag("yes", "vote/2", t3), tag("yes", "vote/1", tb)
	if tag1 != tag2 || tag1 == tag3 || tag1 == tagB || t1 == t2 {
		t.Fatalf("tags: same scope %s / %s, other scope %s, other member %s", tag1, tag2, tag3, tagB)
	}
	if out := mustRun(t, "verify", "--gpk", gpk, "--message", "yes", "--scope", "vote/1", "--signature", strings.TrimSpace(t1)); !strings.Contains(out, "tag "+tag1) {
		t.Fatalf("verify text output lacks the tag: %s", out)
	}
	for _, args := range [][]string{
		{"--message", "pay 11", "--signature", sig},                                     // wrong message
		{"--message", "pay 10", "--signature", sig[:200]},                               // truncated
		{"--message", "pay 10", "--scope", "vote/1", "--signature", sig},                // untagged with a scope
		{"--message", "yes", "--signature", strings.TrimSpace(t1)},                      // tagged without its scope
		{"--message", "yes", "--scope", "vote/2", "--signature", strings.TrimSpace(t1)}, // tagged, other scope
	} {
		code, msg, _ := wantError(t, exitRefused, append([]string{"verify", "--gpk", gpk}, args...)...)
		if code != "invalid_signature" && code != "malformed" {
			t.Fatalf("verify %v: code %q (%s)", args, code, msg)
		}
	}
	wantError(t, exitUsage, "verify", "--gpk", gpk, "--message", "pay 10", "--signature", "zz")
	wantError(t, exitUsage, "verify", "--gpk", filepath.Join(issuer.dir, "missing"), "--message", "pay 10", "--signature", sig)
	wantError(t, exitUsage, "sign", "--key", aliceKey, "--message", "x", "--scope", "")
	wantError(t, exitUsage, "sign", "--key", aliceKey)

	// The opener names alice; anyone checks the opening; bob's opening does not fit.
	opened := jsonOut(t, "open", "--opener-key", opener, "--gpk", gpk, "--registry", reg, "--message", "pay 10", "--signature", sig)
	if opened["label"] != "alice" {
		t.Fatalf("open: %v", opened)
	}
	vo := jsonOut(t, "verify-opening", "--gpk", gpk, "--message", "pay 10", "--signature", sig, "--opening", opened["opening"].(string))
	if vo["a"] != opened["a"] {
		t.Fatalf("verify-opening: %v", vo)
	}
	openedB := jsonOut(t, "open", "--opener-key", opener, "--gpk", gpk, "--registry", reg, "--message", "yes", "--scope", "vote/1", "--signature", strings.TrimSpace(tb))
	if openedB["label"] != "bob" {
		t.Fatalf("open tagged: %v", openedB)
	}
	wantError(t, exitRefused, "verify-opening", "--gpk", gpk, "--message", "pay 10", "--signature", sig, "--opening", openedB["opening"].(string))
	wantError(t, exitRefused, "open", "--opener-key", opener, "--gpk", gpk, "--message", "pay 11", "--signature", sig)

	// Accountable opening: the bundle names alice's identity key.
	ev := issuer.path("alice.evidence.json")
	e := jsonOut(t, "audit", "evidence", "--opener-key", opener, "--registry", reg, "--message", "pay 10", "--signature", sig, "--out", ev)
	if e["label"] != "alice" || e["identity_public_key"] != alicePubHex(t, alicePub) {
		t.Fatalf("audit evidence: %v", e)
	}
	wantError(t, exitUsage, "audit", "evidence", "--opener-key", opener, "--registry", reg, "--message", "pay 10", "--signature", sig, "--out", ev)
	ok := jsonOut(t, "audit", "check", "--evidence", ev, "--accused", alicePub)
	if ok["label"] != "alice" || ok["epoch"] != float64(0) || ok["accused_checked"] != true {
		t.Fatalf("audit check: %v", ok)
	}
	mustRun(t, "audit", "check", "--evidence", ev, "--accused", alicePubHex(t, alicePub))
	if out := mustRun(t, "audit", "check", "--evidence", ev); !strings.Contains(out, "condition 5 not checked") {
		t.Fatalf("audit check without --accused: %s", out)
	}
	if _, _, obj := wantError(t, exitRefused, "audit", "check", "--evidence", ev, "--accused", bobPub); obj["condition"] != float64(groupsig.CondIdentity) {
		t.Fatalf("wrong accused: %v", obj)
	}
	tampered := editEvidence(t, ev, issuer.path("tampered.json"), func(m map[string]any) { m["message"] = hex.EncodeToString([]byte("pay 99")) })
	if code, _, obj := wantError(t, exitRefused, "audit", "check", "--evidence", tampered); code != "not_accountable" || obj["condition"] != float64(groupsig.CondOpening) {
		t.Fatalf("tampered message: %v", obj)
	}
	bobResp := readHexOf(t, bob.path("bob.resp"), new(groupsig.JoinResponse))
	swapped := editEvidence(t, ev, issuer.path("swapped.json"), func(m map[string]any) { m["join_response"] = bobResp })
	if _, _, obj := wantError(t, exitRefused, "audit", "check", "--evidence", swapped); obj["condition"] != float64(groupsig.CondCurrent) {
		t.Fatalf("another member's response: %v", obj)
	}
	garbled := editEvidence(t, ev, issuer.path("garbled.json"), func(m map[string]any) { m["opening"] = "zz" })
	if code, _, _ := wantError(t, exitUsage, "audit", "check", "--evidence", garbled); code != "malformed" {
		t.Fatalf("garbled bundle: code %q", code)
	}
	emptyScope := editEvidence(t, ev, issuer.path("scope.json"), func(m map[string]any) { m["scope"] = "" })
	wantError(t, exitUsage, "audit", "check", "--evidence", emptyScope)
	short := editEvidence(t, ev, issuer.path("short.json"), func(m map[string]any) { m["opening"] = "1108" })
	wantError(t, exitUsage, "audit", "check", "--evidence", short)

	// Revoke alice: the group moves to epoch 1.
	rec1 := issuer.path("acme.epoch-1.revocation")
	rev := jsonOut(t, "group", "revoke", "--dir", issuer.dir, "--name", "acme", "--label", "alice")
	if rev["record_file"] != rec1 || rev["epoch"] != float64(1) || len(rev["members"].([]any)) != 2 {
		t.Fatalf("revoke: %v", rev)
	}
	wantError(t, exitUsage, "group", "revoke", "--dir", issuer.dir, "--name", "acme", "--label", "alice")  // already revoked
	wantError(t, exitUsage, "group", "revoke", "--dir", issuer.dir, "--name", "acme", "--label", "nobody") // unknown
	copyFile(t, rec1, alice.path("rec1"))
	copyFile(t, rec1, bob.path("rec1"))
	copyFile(t, rec1, carol.path("rec1"))

	// alice cannot update; bob and carol do.
	if code, msg, _ := wantError(t, exitRefused, "group", "update-key", "--key", aliceKey, "--record", alice.path("rec1")); code != "revoked" || !strings.Contains(msg, "revoked") {
		t.Fatalf("revoked member's update: %s %s", code, msg)
	}
	bob1 := bob.path("bob.epoch-1.key")
	up := jsonOut(t, "group", "update-key", "--key", bobKey, "--record", bob.path("rec1"), "--out", bob1)
	if up["epoch"] != float64(1) || fileMode(t, bob1) != 0o600 {
		t.Fatalf("update-key: %v", up)
	}
	wantError(t, exitUsage, "group", "update-key", "--key", bobKey, "--record", bob.path("rec1"), "--out", bob1) // exists
	mustRun(t, "group", "update-key", "--key", carolKey, "--record", carol.path("rec1"))                         // in place

	// Epochs: the old signature is refused under the current key, valid under its own.
	wantError(t, exitRefused, "verify", "--gpk", gpk, "--message", "pay 10", "--signature", sig)
	mustRun(t, "verify", "--gpk", gpk, "--epoch", "0", "--message", "pay 10", "--signature", sig)
	s1 := mustRun(t, "sign", "--key", bob1, "--message", "after")
	mustRun(t, "verify", "--gpk", gpk, "--message", "after", "--signature", strings.TrimSpace(s1))
	wantError(t, exitRefused, "verify", "--gpk", bob.path("acme.gpk"), "--message", "after", "--signature", strings.TrimSpace(s1)) // bob's copy is gpk_0
	mustRun(t, "verify", "--gpk", bob.path("acme.gpk"), "--epoch", "1", "--message", "after", "--signature", strings.TrimSpace(s1))
	// The revoked key still signs at epoch 0, which the current key refuses.
	s3 := mustRun(t, "sign", "--key", aliceKey, "--message", "sneak")
	wantError(t, exitRefused, "verify", "--gpk", gpk, "--message", "sneak", "--signature", strings.TrimSpace(s3))
	// The tag of a scope does not change across epochs.
	tb1 := mustRun(t, "sign", "--key", bob1, "--message", "again", "--scope", "vote/1")
	if got := tag("again", "vote/1", tb1); got != tagB {
		t.Fatalf("bob's tag changed across epochs: %s / %s", got, tagB)
	}

	// A member who joins at epoch 1 signs at epoch 1 and is named from its response.
	erin := party{t, t.TempDir()}
	erinKey, erinPub := join(t, issuer, erin, "erin")
	se := strings.TrimSpace(mustRun(t, "sign", "--key", erinKey, "--message", "new here"))
	mustRun(t, "verify", "--gpk", erin.path("acme.gpk"), "--message", "new here", "--signature", se)
	jsonOut(t, "audit", "evidence", "--opener-key", opener, "--registry", reg, "--message", "new here", "--signature", se, "--out", issuer.path("erin.json"))
	if c := jsonOut(t, "audit", "check", "--evidence", issuer.path("erin.json"), "--accused", erinPub); c["label"] != "erin" || c["epoch"] != float64(1) {
		t.Fatalf("audit check of a member joined at epoch 1: %v", c)
	}

	// Accountable opening at epoch 1 goes through the record.
	ev1 := issuer.path("bob.evidence.json")
	if e := jsonOut(t, "audit", "evidence", "--opener-key", opener, "--registry", reg, "--message", "after", "--signature", strings.TrimSpace(s1), "--out", ev1); e["label"] != "bob" || e["epoch"] != float64(1) {
		t.Fatalf("audit evidence at epoch 1: %v", e)
	}
	jsonOut(t, "audit", "check", "--evidence", ev1, "--accused", bobPub)
	noRecords := editEvidence(t, ev1, issuer.path("norecords.json"), func(m map[string]any) { m["revocation_records"] = []any{} })
	if _, _, obj := wantError(t, exitRefused, "audit", "check", "--evidence", noRecords); obj["condition"] != float64(groupsig.CondCurrent) {
		t.Fatalf("evidence without its record: %v", obj)
	}
	// alice's old signature, opened at epoch 0, still names her.
	jsonOut(t, "audit", "evidence", "--opener-key", opener, "--registry", reg, "--epoch", "0", "--message", "pay 10", "--signature", sig, "--out", issuer.path("old.json"))

	// A second revocation chains to the first: --prev.
	rec2 := issuer.path("r2")
	jsonOut(t, "group", "revoke", "--dir", issuer.dir, "--name", "acme", "--label", "carol", "--out", rec2)
	copyFile(t, rec2, bob.path("rec2"))
	wantError(t, exitUsage, "group", "update-key", "--key", bob1, "--record", bob.path("rec2"))
	h1 := rev["record_hash"].(string)
	wantError(t, exitRefused, "group", "update-key", "--key", bob1, "--record", bob.path("rec2"), "--prev", strings.Repeat("00", 32))
	jsonOut(t, "group", "update-key", "--key", bob1, "--record", bob.path("rec2"), "--prev", h1, "--out", bob.path("b2a"))
	u2 := jsonOut(t, "group", "update-key", "--key", bob1, "--record", bob.path("rec2"), "--prev", bob.path("rec1"), "--out", bob.path("b2b"))
	if u2["epoch"] != float64(2) {
		t.Fatalf("second update: %v", u2)
	}
	// From epoch 0 across both records at once.
	jsonOut(t, "group", "update-key", "--key", bobKey, "--record", bob.path("rec1"), "--record", bob.path("rec2"), "--out", bob.path("b2c"))
	// carol, revoked by the second record, is refused.
	copyFile(t, rec2, carol.path("rec2"))
	wantError(t, exitRefused, "group", "update-key", "--key", carolKey, "--record", carol.path("rec2"), "--prev", carol.path("rec1"))
}

func alicePubHex(t *testing.T, pubFile string) string {
	t.Helper()
	pub, err := parsePublicKey("test", pubFile)
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(pub)
}

// editEvidence writes a changed copy of an evidence bundle.
func editEvidence(t *testing.T, from, to string, edit func(map[string]any)) string {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	if b, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return to
}

// readHexOf reads a v2 file and returns the hex of its encoding.
func readHexOf(t *testing.T, path string, v interface {
	UnmarshalBinary([]byte) error
	MarshalBinary() ([]byte, error)
}) string {
	t.Helper()
	if _, err := groupsig.ReadFile(path, v); err != nil {
		t.Fatal(err)
	}
	b, _ := v.MarshalBinary()
	return hex.EncodeToString(b)
}
