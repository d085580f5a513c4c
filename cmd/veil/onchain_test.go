package main

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/veilchain/veil/genesis"
	"github.com/veilchain/veil/groupsig"
)

// member is one member's own directory and files.
type member struct {
	label, org, dir string
}

func (m member) path(ext string) string { return filepath.Join(m.dir, m.label+ext) }

// certify makes the member's identity key and request, and has the CA
// certify it.
func certify(t *testing.T, l *genesis.Layout, m member) {
	t.Helper()
	jsonOut(t, "member", "request-cert", "--identity", m.path(".id"), "--org", m.org, "--label", m.label, "--out", m.path(".csr"))
	c := jsonOut(t, "ca", "issue-member", "--ca-cert", l.CACert(), "--ca-key", l.CAKey(), "--request", m.path(".csr"), "--out", m.path(".crt"))
	if c["label"] != m.label || c["org"] != m.org {
		t.Fatalf("issue-member: %v", c)
	}
}

// TestOnChainJoinVoteAudit runs the on-chain story against three
// in-process nodes: identity certificates, join by transaction (waiting,
// --no-wait and --resume), answers by label and by policy, anonymous and
// tagged transactions with their refusals, an on-chain revocation with
// automatic key updates, and evidence from chain data checked offline.
func TestOnChainJoinVoteAudit(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node network")
	}
	start := time.Now()
	tn := startNet(t, 3, []string{"payments", "audit"}, nil)
	t.Setenv("VEIL_NODE", tn.urls[0])
	l := tn.l
	issuer := []string{"--dir", l.GroupsDir(), "--name", "payments", "--admin-key", l.GroupAdminKey("payments")}
	alice := member{"alice", "Acme Bank", t.TempDir()}
	bob := member{"bob", "Globex Insurance", t.TempDir()}
	mallory := member{"mallory", "Initech", t.TempDir()}
	for _, m := range []member{alice, bob, mallory} {
		certify(t, l, m)
	}
	key := func(m member) string { return m.path(".payments.key") }

	// Certificates: an existing file is kept, a request signed by another key is refused.
	wantCode(t, exitUsage, "file_exists", "ca", "issue-member", "--ca-cert", l.CACert(), "--ca-key", l.CAKey(), "--request", alice.path(".csr"), "--out", alice.path(".crt"))
	wantCode(t, exitRefused, "bad_certificate", "ca", "issue-member", "--ca-cert", l.CACert(), "--ca-key", l.CAKey(), "--request", alice.path(".csr"),
		"--org", "Globex Insurance", "--out", alice.path(".other.crt"))

	// Join: alice posts and leaves, bob waits, mallory posts and leaves.
	wantCode(t, exitUsage, "bad_certificate", "group", "join", "--group", "payments", "--identity", alice.path(".id"), "--cert", bob.path(".crt"), "--out", key(alice))
	wantCode(t, exitUsage, "bad_certificate", "group", "join", "--group", "payments", "--identity", alice.path(".id"), "--cert", alice.path(".crt"),
		"--label", "alicia", "--out", key(alice))
	wantCode(t, exitRefused, "not_found", "group", "join", "--group", "nogroup", "--identity", alice.path(".id"), "--cert", alice.path(".crt"), "--out", key(alice))
	if _, err := os.Stat(key(alice) + ".join"); err == nil {
		t.Fatal("a refused join left a secret behind")
	}
	posted := jsonOut(t, "group", "join", "--group", "payments", "--identity", alice.path(".id"), "--cert", alice.path(".crt"), "--out", key(alice), "--no-wait")
	if posted["state"] != "pending" || posted["label"] != "alice" || fileMode(t, key(alice)+".join") != 0o600 {
		t.Fatalf("join --no-wait: %v", posted)
	}
	wantCode(t, exitUsage, "file_exists", "group", "join", "--group", "payments", "--identity", alice.path(".id"), "--cert", alice.path(".crt"), "--out", key(alice))
	wantCode(t, exitUsage, "usage", "group", "join", "--group", "payments", "--out", key(bob), "--resume")
	bobJoin := runAsync("group", "join", "--node", tn.urls[1], "--group", "payments", "--identity", bob.path(".id"), "--cert", bob.path(".crt"),
		"--out", key(bob), "--timeout", "1m", "--output", "json")
	jsonOut(t, "group", "join", "--group", "payments", "--identity", mallory.path(".id"), "--cert", mallory.path(".crt"), "--out", key(mallory), "--no-wait")
	eventually(t, "three pending requests", func() bool {
		p := jsonOut(t, append([]string{"group", "issue", "--pending"}, issuer...)...)
		return len(p["pending"].([]any)) == 3
	})
	// mallory's join times out pending, and keeps its secret.
	wantCode(t, exitRefused, "pending", "group", "join", "--group", "payments", "--out", key(mallory), "--resume", "--timeout", "1s")
	if _, err := os.Stat(key(mallory) + ".join"); err != nil {
		t.Fatalf("a pending join lost its secret: %v", err)
	}

	// The issuer's refusals.
	wantCode(t, exitUsage, "usage", append([]string{"group", "issue", "--label", "nobody"}, issuer...)...)
	wantCode(t, exitUsage, "usage", append([]string{"group", "issue", "--auto"}, issuer...)...)
	wantCode(t, exitUsage, "usage", "group", "issue", "--dir", l.GroupsDir(), "--name", "payments", "--label", "alice")
	wantCode(t, exitUsage, "usage", append([]string{"group", "issue", "--label", "alice", "--request", "x.req", "--out", "x.resp"}, issuer...)...)
	// The wrong admin key: refused by the chain; the answer stays in the registry and is posted again next time.
	wantCode(t, exitRefused, "bad_admin_signature", "group", "issue", "--dir", l.GroupsDir(), "--name", "payments", "--admin-key", l.AdminKey(), "--label", "alice")
	byLabel := jsonOut(t, append([]string{"group", "issue", "--label", "alice"}, issuer...)...)
	if got := byLabel["answered"].([]any); len(got) != 1 || got[0].(map[string]any)["label"] != "alice" {
		t.Fatalf("issue --label: %v", byLabel)
	}
	policy := filepath.Join(t.TempDir(), "policy.json")
	if err := os.WriteFile(policy, []byte(`{"groups": {"payments": ["Acme Bank", "Globex Insurance"]}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	badPolicy := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(badPolicy, []byte(`{"group": {}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	wantCode(t, exitUsage, "usage", append([]string{"group", "issue", "--auto", "--policy", badPolicy}, issuer...)...)
	auto := jsonOut(t, append([]string{"group", "issue", "--auto", "--policy", policy}, issuer...)...)
	answered, left := auto["answered"].([]any), auto["left_pending"].([]any)
	if len(answered) != 1 || answered[0].(map[string]any)["label"] != "bob" || len(left) != 1 || !strings.Contains(left[0].(map[string]any)["reason"].(string), "Initech") {
		t.Fatalf("issue --auto: %v", auto)
	}
	res := <-bobJoin
	if res.code != 0 || jsonOf(t, res.stdout)["state"] != "admitted" {
		t.Fatalf("bob's waiting join: exit %d: %s %s", res.code, res.stdout, res.stderr)
	}
	fin := jsonOut(t, "group", "join", "--group", "payments", "--out", key(alice), "--resume")
	if fin["state"] != "admitted" || fin["resumed_from"] != "admitted" || fileMode(t, key(alice)) != 0o600 {
		t.Fatalf("join --resume: %v", fin)
	}
	if _, err := os.Stat(key(alice) + ".join"); err == nil {
		t.Fatal("the join secret outlived the join")
	}
	if b, _ := os.ReadFile(key(alice)); !strings.Contains(string(b), "Group: payments") || !strings.Contains(string(b), "Label: alice") {
		t.Fatalf("member key file:\n%s", b)
	}
	show := jsonOut(t, "group", "show", "payments")
	if len(show["members"].([]any)) != 2 || len(show["pending"].([]any)) != 1 {
		t.Fatalf("group show: %v", show)
	}

	// Anonymous transactions; a key of another group is refused before signing.
	tx1 := jsonOut(t, "tx", "send", "--node", tn.urls[2], "--key", key(alice), "--topic", "orders", "--data", "pay 10", "--wait")
	if tx1["status"] != "committed" || tx1["group"] != "payments" {
		t.Fatalf("tx send: %v", tx1)
	}
	wantCode(t, exitUsage, "usage", "tx", "send", "--key", key(alice), "--group", "audit", "--topic", "orders", "--data", "x")
	wantCode(t, exitUsage, "usage", "tx", "send", "--topic", "orders", "--data", "x")

	// Topics: a tagged vote, a rule set once, a topic of another group, a closed topic.
	admin := []string{"--admin-key", l.AdminKey()}
	wantCode(t, exitUsage, "usage", "topic", "set", "--topic", "vote-1", "--tagged")
	wantCode(t, exitUsage, "usage", append([]string{"topic", "set", "--topic", strings.Repeat("t", 65)}, admin...)...)
	wantCode(t, exitUsage, "usage", append([]string{"topic", "set", "--topic", "vote-1", "--closes", "9", "--closes-in", "9"}, admin...)...)
	wantCode(t, exitRefused, "bad_admin_signature", "topic", "set", "--topic", "vote-1", "--admin-key", l.GroupAdminKey("payments"))
	wantCode(t, exitRefused, "unknown_group", append([]string{"topic", "set", "--topic", "vote-1", "--groups", "nogroup"}, admin...)...)
	jsonOut(t, append([]string{"topic", "set", "--topic", "vote-1", "--groups", "payments", "--tagged"}, admin...)...)
	wantCode(t, exitRefused, "conflict", append([]string{"topic", "set", "--topic", "vote-1"}, admin...)...)
	vote := jsonOut(t, "tx", "send", "--key", key(alice), "--topic", "vote-1", "--data", "yes", "--wait")
	if vote["tag"] == nil {
		t.Fatalf("a vote on a tagged topic carries no tag: %v", vote)
	}
	jsonOut(t, "tx", "send", "--node", tn.urls[1], "--key", key(bob), "--topic", "vote-1", "--data", "no", "--wait")
	wantCode(t, exitRefused, "already_acted", "tx", "send", "--node", tn.urls[2], "--key", key(alice), "--topic", "vote-1", "--data", "no", "--wait")
	st := jsonOut(t, "status")
	h := uint64(st["height"].(float64))
	untagged := jsonOut(t, "tx", "sign", "--key", key(alice), "--chain-id", "veil-local", "--topic", "vote-1", "--data", "x", "--height", strconv.FormatUint(h, 10))
	wantCode(t, exitRefused, "tag_required", "tx", "send", "--tx", untagged["tx"].(string))
	topic := jsonOut(t, "topic", "show", "vote-1")
	if topic["tally"] != float64(2) || topic["txs"] != float64(2) || topic["open"] != true {
		t.Fatalf("topic show: %v", topic)
	}
	jsonOut(t, append([]string{"topic", "set", "--topic", "audit-only", "--groups", "audit"}, admin...)...)
	wantCode(t, exitRefused, "not_allowed", "tx", "send", "--key", key(alice), "--topic", "audit-only", "--data", "x")
	closing := jsonOut(t, append([]string{"topic", "set", "--topic", "short", "--closes-in", "2"}, admin...)...)
	closes := uint64(closing["rule"].(map[string]any)["closes"].(float64))
	for i := 0; uint64(jsonOut(t, "status")["height"].(float64)) < closes; i++ {
		jsonOut(t, "tx", "send", "--key", key(bob), "--topic", "filler", "--data", strconv.Itoa(i), "--wait")
	}
	wantCode(t, exitRefused, "topic_closed", "tx", "send", "--key", key(alice), "--topic", "short", "--data", "late")

	// Revocation on chain: bob is refused, alice's key moves on by itself.
	wantCode(t, exitUsage, "usage", "group", "revoke", "--label", "bob", "--dir", t.TempDir(), "--name", "payments", "--admin-key", l.GroupAdminKey("payments"))
	rev := jsonOut(t, append([]string{"group", "revoke", "--label", "bob"}, issuer...)...)
	if rev["epoch"] != float64(1) || len(rev["members"].([]any)) != 1 {
		t.Fatalf("revoke: %v", rev)
	}
	wantCode(t, exitRefused, "revoked", append([]string{"group", "revoke", "--label", "bob"}, issuer...)...)
	wantCode(t, exitRefused, "revoked", "tx", "send", "--key", key(bob), "--topic", "orders", "--data", "after")
	wantCode(t, exitRefused, "revoked", "group", "update-key", "--key", key(bob))
	wantCode(t, exitRefused, "stale_epoch", "tx", "send", "--key", key(bob), "--topic", "orders", "--data", "after", "--no-update")
	after := jsonOut(t, "tx", "send", "--key", key(alice), "--topic", "orders", "--data", "after", "--wait")
	if after["epoch"] != float64(1) || after["key_updated"] == nil {
		t.Fatalf("tx send after the revocation: %v", after)
	}
	if up := jsonOut(t, "group", "update-key", "--key", key(alice)); up["epoch"] != float64(1) || up["from_epoch"] != float64(1) {
		t.Fatalf("update-key of a current key: %v", up)
	}
	// A second vote at the new epoch still carries alice's tag.
	wantCode(t, exitRefused, "already_acted", "tx", "send", "--key", key(alice), "--topic", "vote-1", "--data", "again")

	// The regulator: evidence from chain data, checked offline against the CA.
	opener := l.GroupDir("payments").OpenerKeyPath()
	ev := filepath.Join(t.TempDir(), "vote.json")
	op := jsonOut(t, "audit", "open", "--opener-key", opener, "--tx", vote["id"].(string), "--out", ev)
	if op["label"] != "alice" || op["org"] != "Acme Bank" || op["tagged"] != true {
		t.Fatalf("audit open: %v", op)
	}
	ev1 := filepath.Join(t.TempDir(), "after.json")
	if op := jsonOut(t, "audit", "open", "--opener-key", opener, "--tx", after["id"].(string), "--out", ev1); op["label"] != "alice" || op["epoch"] != float64(1) {
		t.Fatalf("audit open at epoch 1: %v", op)
	}
	wantCode(t, exitUsage, "file_exists", "audit", "open", "--opener-key", opener, "--tx", vote["id"].(string), "--out", ev)
	wantCode(t, exitUsage, "wrong_group", "audit", "open", "--opener-key", l.GroupDir("audit").OpenerKeyPath(), "--tx", vote["id"].(string))
	wantCode(t, exitUsage, "usage", "audit", "open", "--opener-key", opener, "--tx", byLabel["answered"].([]any)[0].(map[string]any)["tx"].(string))
	wantCode(t, exitRefused, "not_found", "audit", "open", "--opener-key", opener, "--tx", strings.Repeat("ab", 32))

	t.Setenv("VEIL_NODE", "") // offline from here
	pub := t.TempDir()
	copyFile(t, ev, filepath.Join(pub, "vote.json"))
	copyFile(t, ev1, filepath.Join(pub, "after.json"))
	copyFile(t, l.CACert(), filepath.Join(pub, "ca.crt"))
	ca := filepath.Join(pub, "ca.crt")
	chk := jsonOut(t, "audit", "check", "--evidence", filepath.Join(pub, "vote.json"), "--ca", ca)
	if chk["label"] != "alice" || chk["org"] != "Acme Bank" || chk["cert_checked"] != true || chk["topic"] != "vote-1" {
		t.Fatalf("audit check: %v", chk)
	}
	jsonOut(t, "audit", "check", "--evidence", filepath.Join(pub, "after.json"), "--ca", ca, "--accused", alice.path(".pub"))
	wantCode(t, exitRefused, "bad_evidence", "audit", "check", "--evidence", filepath.Join(pub, "after.json"), "--ca", ca, "--accused", bob.path(".pub"))
	if c := jsonOut(t, "audit", "check", "--evidence", filepath.Join(pub, "vote.json"), "--accused", alice.path(".pub")); c["cert_checked"] != false {
		t.Fatalf("audit check without --ca: %v", c)
	}
	other, err := genesis.NewCA("other-chain", 0, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	otherCA := filepath.Join(pub, "other.crt")
	if err := os.WriteFile(otherCA, other.CertPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	wantCode(t, exitRefused, "bad_evidence", "audit", "check", "--evidence", filepath.Join(pub, "vote.json"), "--ca", otherCA)
	noCert := editEvidence(t, ev, filepath.Join(pub, "nocert.json"), func(m map[string]any) { delete(m, "member_cert") })
	wantCode(t, exitRefused, "bad_evidence", "audit", "check", "--evidence", noCert, "--ca", ca)
	jsonOut(t, "audit", "check", "--evidence", noCert) // without --ca: conditions 1-4 only
	_, der, err := readMemberCert(bob.path(".crt"))
	if err != nil {
		t.Fatal(err)
	}
	swapped := editEvidence(t, ev, filepath.Join(pub, "swapped.json"), func(m map[string]any) { m["member_cert"] = hex.EncodeToString(der) })
	if obj := wantCode(t, exitRefused, "not_accountable", "audit", "check", "--evidence", swapped, "--ca", ca); obj["condition"] != float64(groupsig.CondIdentity) {
		t.Fatalf("another member's certificate: %v", obj)
	}
	otherTx := editEvidence(t, ev, filepath.Join(pub, "othertx.json"), func(m map[string]any) { m["tx"] = strings.Repeat("00", 32) })
	wantCode(t, exitRefused, "bad_evidence", "audit", "check", "--evidence", otherTx, "--ca", ca)
	otherScope := editEvidence(t, ev, filepath.Join(pub, "otherscope.json"), func(m map[string]any) {
		m["group_evidence"].(map[string]any)["scope"] = hex.EncodeToString([]byte("veil/veil-local/vote-2"))
	})
	wantCode(t, exitRefused, "bad_evidence", "audit", "check", "--evidence", otherScope, "--ca", ca)
	unknown := editEvidence(t, ev, filepath.Join(pub, "unknown.json"), func(m map[string]any) { m["extra"] = 1 })
	wantCode(t, exitUsage, "malformed", "audit", "check", "--evidence", unknown, "--ca", ca)

	// A frame: the issuer certifies a key of its own under alice's label from
	// books without her; with alice's real certificate the evidence is refused.
	frame := party{t, t.TempDir()}
	copyFile(t, l.GroupDir("payments").IssuerKeyPath(), frame.path("payments.issuer.key"))
	copyFile(t, l.GroupDir("payments").GroupKeyPath(), frame.path("payments.gpk"))
	gk, _, _, err := groupsig.ReadGroupFile(frame.path("payments.gpk"))
	if err != nil {
		t.Fatal(err)
	}
	blank, err := groupsig.NewRegistry(gk)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := groupsig.Block(blank, nil)
	if err := groupsig.WriteFile(frame.path("payments.registry"), false, b); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "member", "keygen", "--out", frame.path("fake.id"))
	mustRun(t, "group", "join-request", "--gpk", frame.path("payments.gpk"), "--label", "alice", "--identity", frame.path("fake.id"), "--out", frame.path("a.req"))
	mustRun(t, "group", "issue", "--dir", frame.dir, "--name", "payments", "--request", frame.path("a.req"), "--out", frame.path("a.resp"))
	mustRun(t, "group", "join-finish", "--request-secret", frame.path("a.req.secret"), "--response", frame.path("a.resp"), "--out", frame.path("a.key"))
	sig := strings.TrimSpace(mustRun(t, "sign", "--key", frame.path("a.key"), "--message", "alice pays the issuer"))
	fe := jsonOut(t, "audit", "evidence", "--opener-key", opener, "--registry", frame.path("payments.registry"), "--message", "alice pays the issuer",
		"--signature", sig, "--cert", alice.path(".crt"), "--out", frame.path("frame.json"))
	if fe["cert_matches"] != false {
		t.Fatalf("audit evidence did not notice the certificate is another key's: %v", fe)
	}
	if obj := wantCode(t, exitRefused, "not_accountable", "audit", "check", "--evidence", frame.path("frame.json"), "--ca", ca); obj["condition"] != float64(groupsig.CondIdentity) {
		t.Fatalf("frame: %v", obj)
	}
	t.Logf("on-chain story in %v", time.Since(start).Round(time.Millisecond))
}
