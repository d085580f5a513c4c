package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestCommitteeOpeningCLI runs the threshold opening story against
// in-process nodes: three authorities certified by the CA, a 2-of-3
// committee dealt from the opener key (which is erased at activation),
// one authority alone cannot open, a second consents, both release, the
// opening is public on chain and its evidence checks offline; then a
// rotation approved by two authorities retires the committee.
func TestCommitteeOpeningCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a network")
	}
	tn := startNet(t, 1, []string{"payments"}, []string{"alice"})
	t.Setenv("VEIL_NODE", tn.urls[0])
	l := tn.l
	reg := member{"regulator", "Financial Authority", t.TempDir()}
	acme := member{"acme", "Acme Bank", t.TempDir()}
	globex := member{"globex", "Globex Insurance", t.TempDir()}
	auths := []member{reg, acme, globex}
	var authArgs []string
	for _, m := range auths {
		certify(t, l, m)
		authArgs = append(authArgs, "--authority", m.label+"="+m.path(".crt"))
	}
	opener := filepath.Join(t.TempDir(), "payments.opener.key")
	copyFile(t, filepath.Join(l.GroupsDir(), "payments.opener.key"), opener)
	tx := jsonOut(t, "tx", "send", "--key", l.MemberKey("payments", "alice"), "--topic", "orders", "--data", "pay 10", "--wait")
	txID := tx["id"].(string)

	// The dealer's refusals; then the deal, waiting for activation.
	dealDir := filepath.Join(t.TempDir(), "dealing")
	deal := slices.Clip(append([]string{"audit", "committee", "deal", "--group", "payments", "--threshold", "2", "--out", dealDir}, authArgs...))
	wantCode(t, exitUsage, "usage", append(deal, "--opener-key", opener)...)
	wantCode(t, exitRefused, "committee_inactive", append(deal, "--rotate", "--share", "x.share")...)
	wantCode(t, exitRefused, "bad_admin_signature", append(deal, "--opener-key", opener, "--admin-key", l.GroupAdminKey("payments"))...)
	if err := os.RemoveAll(dealDir); err != nil {
		t.Fatal(err)
	}
	dealt := runAsync(append(deal, "--opener-key", opener, "--admin-key", l.AdminKey(), "--wait", "--erase-opener-key", "--output", "json")...)
	share := func(m member) string { return m.path(".share") }
	eventually(t, "the dealing", func() bool {
		for _, m := range auths {
			if _, err := os.Stat(filepath.Join(dealDir, m.label+".share")); err != nil {
				return false
			}
		}
		c := jsonOut(t, "audit", "committee", "show", "--group", "payments")
		return c["pending"] != nil
	})
	for _, m := range auths { // the private channel
		if fileMode(t, filepath.Join(dealDir, m.label+".share")) != 0o600 {
			t.Fatalf("%s's share is not 0600", m.label)
		}
		copySecret(t, filepath.Join(dealDir, m.label+".share"), share(m))
	}
	// An authority signing as another, a committee not as agreed.
	wantCode(t, exitRefused, "invalid_key", "audit", "share", "accept", "--share", share(reg), "--identity", acme.path(".id"))
	wantCode(t, exitRefused, "unknown_member", "audit", "share", "accept", "--share", share(reg), "--identity", l.MemberIdentityKey("alice"))
	wantCode(t, exitRefused, "invalid_key", "audit", "share", "accept", "--share", share(reg), "--identity", reg.path(".id"), "--expect-threshold", "3")
	wantCode(t, exitRefused, "committee_inactive", "audit", "consent", "--tx", txID, "--share", share(reg), "--identity", reg.path(".id"))
	for _, m := range auths {
		jsonOut(t, "audit", "share", "accept", "--share", share(m), "--identity", m.path(".id"), "--expect-authorities", "regulator,acme,globex")
	}
	res := <-dealt
	if d := jsonOf(t, res.stdout); res.code != 0 || d["state"] != "active" || d["opener_key_erased"] != true || d["shares_erased"] != true {
		t.Fatalf("deal --wait: exit %d: %s %s", res.code, res.stdout, res.stderr)
	}
	if _, err := os.Stat(opener); err == nil {
		t.Fatal("the opener key outlived the activation")
	}
	if _, err := os.Stat(filepath.Join(dealDir, "regulator.share")); err == nil {
		t.Fatal("the dealer's copy of a share outlived the activation")
	}
	show := jsonOut(t, "audit", "committee", "show", "--group", "payments")
	active := show["active"].(map[string]any)
	if active["share_proofs"] != float64(3) || active["authorities"].([]any)[0].(map[string]any)["org"] != "Financial Authority" {
		t.Fatalf("committee show: %v", show)
	}

	// One authority alone: its consent sits on chain, nothing is revealed.
	c1 := jsonOut(t, "audit", "consent", "--tx", txID, "--share", share(reg), "--identity", reg.path(".id"))
	if c1["consents"] != float64(1) || c1["authority"] != float64(1) {
		t.Fatalf("consent: %v", c1)
	}
	wantCode(t, exitRefused, "release_refused", "audit", "release", "--tx", txID, "--share", share(reg), "--identity", reg.path(".id"))
	wantCode(t, exitRefused, "already_recorded", "audit", "consent", "--tx", txID, "--share", share(reg), "--identity", reg.path(".id"))
	jsonOut(t, "audit", "consent", "--tx", txID, "--share", share(acme), "--identity", acme.path(".id"))
	if r := jsonOut(t, "audit", "release", "--tx", txID, "--share", share(reg), "--identity", reg.path(".id")); r["opened"] != false {
		t.Fatalf("first release: %v", r)
	}
	if op := jsonOut(t, "audit", "openings", "--tx", txID)["openings"].(map[string]any); op["opened"] != false {
		t.Fatalf("opened by one partial: %v", op)
	}
	ev := filepath.Join(t.TempDir(), "evidence.json")
	wantCode(t, exitRefused, "not_opened", "audit", "openings", "--tx", txID, "--evidence", ev)
	if r := jsonOut(t, "audit", "release", "--tx", txID, "--share", share(acme), "--identity", acme.path(".id")); r["opened"] != true || r["signer"] != "alice" {
		t.Fatalf("second release: %v", r)
	}
	shown := jsonOut(t, "audit", "openings", "--tx", txID, "--evidence", ev, "--ca", l.CACert())
	if op := shown["openings"].(map[string]any); op["opened"] != true || op["opening"].(map[string]any)["label"] != "alice" || shown["label"] != "alice" {
		t.Fatalf("opening show: %v", shown)
	}
	if text := mustRun(t, "audit", "openings", "--tx", txID); !strings.Contains(text, `OPENED at height`) || !strings.Contains(text, `signed by "alice"`) || !strings.Contains(text, "released by 2 acme") {
		t.Fatalf("opening show text:\n%s", text)
	}

	// Offline, anyone: who signed and who opened.
	chk := jsonOut(t, "audit", "check", "--evidence", ev, "--ca", l.CACert())
	if chk["label"] != "alice" || chk["threshold"] != true || len(chk["opened_by"].([]any)) != 2 || chk["opened_by"].([]any)[1].(map[string]any)["org"] != "Acme Bank" {
		t.Fatalf("audit check: %v", chk)
	}
	bad := editEvidence(t, ev, filepath.Join(t.TempDir(), "bad.json"), func(m map[string]any) { m["label"] = "mallory" })
	wantError(t, exitUsage, "audit", "check", "--evidence", bad, "--ca", l.CACert())
	swapped := editEvidence(t, ev, filepath.Join(t.TempDir(), "swapped.json"), func(m map[string]any) {
		c := m["authority_certs"].([]any)
		c[0], c[1] = c[1], c[0]
	})
	wantError(t, exitRefused, "audit", "check", "--evidence", swapped, "--ca", l.CACert())

	// A rotation: two holders give their shares to a dealer, two
	// authorities approve, the new committee activates and the old one's
	// shares no longer count.
	rotDir := filepath.Join(t.TempDir(), "rotation")
	rot := jsonOut(t, append([]string{"audit", "committee", "deal", "--group", "payments", "--threshold", "2", "--out", rotDir, "--rotate",
		"--share", share(reg), "--share", share(globex)}, authArgs...)...)
	cref := rot["cref"].(string)
	if rot["approvals_needed"] != float64(2) {
		t.Fatalf("rotation deal: %v", rot)
	}
	wantCode(t, exitRefused, "insufficient_approvals", "audit", "committee", "post", "--dir", rotDir)
	committee := filepath.Join(rotDir, "committee.pem")
	wantCode(t, exitRefused, "wrong_group", "audit", "committee", "approve", "--committee", committee, "--new-cref", active["cref"].(string), "--deadline-in", "100", "--identity", reg.path(".id"))
	for _, m := range []member{reg, acme} {
		jsonOut(t, "audit", "committee", "approve", "--committee", committee, "--new-cref", cref, "--deadline-in", "100", "--identity", m.path(".id"))
	}
	posted := runAsync("audit", "committee", "post", "--dir", rotDir, "--wait", "--output", "json")
	newShare := func(m member) string { return m.path(".rot.share") }
	eventually(t, "the rotation posted", func() bool {
		c := jsonOut(t, "audit", "committee", "show", "--group", "payments")
		return c["pending"] != nil
	})
	for _, m := range auths {
		copySecret(t, filepath.Join(rotDir, m.label+".share"), newShare(m))
	}
	for _, m := range auths {
		jsonOut(t, "audit", "share", "accept", "--share", newShare(m), "--identity", m.path(".id"))
	}
	if res := <-posted; res.code != 0 || jsonOf(t, res.stdout)["state"] != "active" {
		t.Fatalf("post --wait: exit %d: %s %s", res.code, res.stdout, res.stderr)
	}
	wantCode(t, exitRefused, "committee_inactive", "audit", "consent", "--tx", txID, "--share", share(globex), "--identity", globex.path(".id"))
	if hist := jsonOut(t, "audit", "committee", "show", "--group", "payments")["history"].([]any); len(hist) != 1 || hist[0].(map[string]any)["status"] != "retired" {
		t.Fatalf("history after the rotation: %v", hist)
	}
}

// copySecret hands a secret file over a private channel (0600).
func copySecret(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
