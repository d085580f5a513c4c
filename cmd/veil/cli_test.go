package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veilchain/veil/groupsig/bbs04"
)

// run executes the CLI in-process and returns stdout and the exit status
// main would use.
func run(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := newRootCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.Execute()
	if err == nil {
		return out.String(), 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return err.Error(), ee.code
	}
	return err.Error(), exitUsage
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, code := run(t, args...)
	if code != 0 {
		t.Fatalf("veil %s: exit %d: %s", strings.Join(args, " "), code, out)
	}
	return out
}

func jsonOut(t *testing.T, args ...string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(mustRun(t, append(args, "--output", "json")...)), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestCLIGroupFlow(t *testing.T) {
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	alice, bob := filepath.Join(dir, "alice.key"), filepath.Join(dir, "bob.key")
	gpk := filepath.Join(keys, "acme.gpk")

	mustRun(t, "group", "create", "--name", "acme", "--dir", keys)
	if _, code := run(t, "group", "create", "--name", "acme", "--dir", keys); code != exitUsage {
		t.Fatalf("re-creating a group: exit %d", code)
	}
	mustRun(t, "group", "add-member", "--dir", keys, "--name", "acme", "--label", "alice", "--out", alice)
	mustRun(t, "group", "add-member", "--dir", keys, "--name", "acme", "--label", "bob", "--out", bob)
	if st, _ := os.Stat(alice); st.Mode().Perm() != 0o600 {
		t.Fatalf("member key mode %v", st.Mode().Perm())
	}

	signed := jsonOut(t, "sign", "--key", alice, "--message", "hello")
	for _, k := range []string{"group_public_key", "message", "signature"} {
		if _, err := hex.DecodeString(signed[k].(string)); err != nil || signed[k] == "" {
			t.Fatalf("sign json %s = %v", k, signed[k])
		}
	}
	if signed["message"] != hex.EncodeToString([]byte("hello")) {
		t.Fatalf("message = %v", signed["message"])
	}
	sig := signed["signature"].(string)
	mustRun(t, "verify", "--gpk", gpk, "--message", "hello", "--signature", sig)
	if _, code := run(t, "verify", "--gpk", gpk, "--message", "hellO", "--signature", sig); code != exitRefused {
		t.Fatalf("wrong message: exit %d", code)
	}
	if _, code := run(t, "verify", "--gpk", gpk, "--message", "hello", "--signature", sig[:100]); code != exitRefused {
		t.Fatalf("truncated signature: exit %d", code)
	}
	if _, code := run(t, "verify", "--gpk", gpk, "--message", "hello", "--signature", "zz"); code != exitUsage {
		t.Fatalf("non-hex signature: exit %d", code)
	}
	if _, code := run(t, "verify", "--gpk", filepath.Join(dir, "missing"), "--message", "hello", "--signature", sig); code != exitUsage {
		t.Fatalf("missing key file: exit %d", code)
	}
	if _, code := run(t, "sign", "--key", alice); code != exitUsage {
		t.Fatalf("no message: exit %d", code)
	}

	// A key given as the raw bytes of the spec's encoding works as well.
	raw := filepath.Join(dir, "raw.gpk")
	pkBytes, _ := hex.DecodeString(signed["group_public_key"].(string))
	if err := os.WriteFile(raw, pkBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "verify", "--gpk", raw, "--message", "hello", "--signature", sig)

	openRevokeFlow(t, keys, "acme", gpk, alice, bob, sig)
}

// TestCLIGroupFlowBN254 runs the whole flow on a BN254 group: create,
// add-member, sign, verify, open, verify-opening, revoke, update-key.
func TestCLIGroupFlowBN254(t *testing.T) {
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	alice, bob := filepath.Join(dir, "alice.key"), filepath.Join(dir, "bob.key")
	gpk := filepath.Join(keys, "bn.gpk")

	if _, code := run(t, "group", "create", "--name", "bad", "--dir", keys, "--curve", "p256"); code != exitUsage {
		t.Fatalf("unknown curve: exit %d", code)
	}
	created := jsonOut(t, "group", "create", "--name", "bn", "--dir", keys, "--curve", "bn254")
	if created["curve"] != "bn254" {
		t.Fatalf("created curve %v", created["curve"])
	}
	if pk, _ := hex.DecodeString(created["group_public_key"].(string)); len(pk) != bbs04.PublicKeySizeOf(bbs04.SuiteBN254) || pk[0] != bbs04.SuiteBN254 {
		t.Fatalf("group public key is %d bytes, suite %#x", len(pk), pk[0])
	}
	mustRun(t, "group", "add-member", "--dir", keys, "--name", "bn", "--label", "alice", "--out", alice)
	mustRun(t, "group", "add-member", "--dir", keys, "--name", "bn", "--label", "bob", "--out", bob)

	sig := jsonOut(t, "sign", "--key", alice, "--message", "hello")["signature"].(string)
	if len(sig) != 2*bbs04.SignatureSizeOf(bbs04.SuiteBN254) {
		t.Fatalf("signature is %d hex digits", len(sig))
	}
	mustRun(t, "verify", "--gpk", gpk, "--message", "hello", "--signature", sig)
	if _, code := run(t, "verify", "--gpk", gpk, "--message", "hellO", "--signature", sig); code != exitRefused {
		t.Fatalf("wrong message: exit %d", code)
	}
	// A BLS12-381 group's key refuses the BN254 signature.
	mustRun(t, "group", "create", "--name", "bls", "--dir", keys)
	if out, code := run(t, "verify", "--gpk", filepath.Join(keys, "bls.gpk"), "--message", "hello", "--signature", sig); code != exitRefused || !strings.Contains(out, "suite") {
		t.Fatalf("BN254 signature under a BLS12-381 key: exit %d: %s", code, out)
	}

	openRevokeFlow(t, keys, "bn", gpk, alice, bob, sig)
	// A BLS12-381 record does not update a BN254 key.
	mustRun(t, "group", "add-member", "--dir", keys, "--name", "bls", "--label", "carol", "--out", filepath.Join(dir, "carol.key"))
	blsRev := jsonOut(t, "group", "revoke", "--dir", keys, "--name", "bls", "--label", "carol")
	if out, code := run(t, "group", "update-key", "--key", bob, "--record", blsRev["record_file"].(string)); code != exitRefused || !strings.Contains(out, "suite") {
		t.Fatalf("update with another suite's record: exit %d: %s", code, out)
	}
}

func TestEveryCommandHasAnExample(t *testing.T) {
	root := newRootCmd()
	stack := root.Commands()
	for len(stack) > 0 {
		c := stack[0]
		stack = append(stack[1:], c.Commands()...)
		if c.Example == "" && c.Name() != "help" && c.Name() != "completion" {
			t.Errorf("veil %s has no example", c.CommandPath())
		}
	}
}

// openRevokeFlow continues a group flow after alice signed "hello" with
// sig: the opener names alice and anyone verifies it (a claim naming bob
// fails); alice is revoked and cannot update, bob updates and signs, and
// signatures of the old epoch, or by alice's old key, are refused.
func openRevokeFlow(t *testing.T, keys, name, gpk, alice, bob, sig string) {
	t.Helper()
	opened := jsonOut(t, "open", "--opener-key", filepath.Join(keys, name+".opener.key"), "--gpk", gpk,
		"--registry", filepath.Join(keys, name+".registry"), "--message", "hello", "--signature", sig)
	if opened["label"] != "alice" {
		t.Fatalf("opened to %v", opened["label"])
	}
	mustRun(t, "verify-opening", "--gpk", gpk, "--message", "hello", "--signature", sig,
		"--a", opened["a"].(string), "--proof", opened["proof"].(string))
	var bobKey bbs04.MemberKey
	if err := bbs04.ReadFile(bob, &bobKey); err != nil {
		t.Fatal(err)
	}
	if _, code := run(t, "verify-opening", "--gpk", gpk, "--message", "hello", "--signature", sig,
		"--a", bobKey.Identity().String(), "--proof", opened["proof"].(string)); code != exitRefused {
		t.Fatalf("opening naming bob: exit %d", code)
	}

	rev := jsonOut(t, "group", "revoke", "--dir", keys, "--name", name, "--label", "alice")
	record := rev["record_file"].(string)
	if out, code := run(t, "group", "update-key", "--key", alice, "--record", record); code != exitRefused || !strings.Contains(out, "revoked") {
		t.Fatalf("revoked member update: exit %d: %s", code, out)
	}
	mustRun(t, "group", "update-key", "--key", bob, "--record", record)
	s2 := jsonOut(t, "sign", "--key", bob, "--message", "after")["signature"].(string)
	mustRun(t, "verify", "--gpk", gpk, "--message", "after", "--signature", s2)
	if _, code := run(t, "verify", "--gpk", gpk, "--message", "hello", "--signature", sig); code != exitRefused {
		t.Fatalf("epoch-0 signature under epoch 1: exit %d", code)
	}
	// The revoked member's key, not updated, makes signatures the new key refuses.
	s3 := jsonOut(t, "sign", "--key", alice, "--message", "sneak")["signature"].(string)
	if _, code := run(t, "verify", "--gpk", gpk, "--message", "sneak", "--signature", s3); code != exitRefused {
		t.Fatalf("revoked member's signature: exit %d", code)
	}
}
