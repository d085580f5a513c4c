package main

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/pflag"
	"github.com/veilchain/veil/version"
)

// complete asks cobra's hidden __complete command, as a shell's completion
// script does, and returns the candidates it prints (the shell filters
// them by what was typed).
func complete(t *testing.T, args ...string) []string {
	t.Helper()
	out, code := runOut(t, append([]string{"__complete"}, args...)...)
	if code != 0 {
		t.Fatalf("__complete %v: exit %d: %s", args, code, out)
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.HasPrefix(l, ":") { // the directive line
			break
		}
		got = append(got, strings.SplitN(l, "\t", 2)[0])
	}
	return got
}

func TestCompletion(t *testing.T) {
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"status", "--output", ""}, []string{"text", "json"}},
		{[]string{"tx", "send", "--output", ""}, []string{"text", "json"}},
		{[]string{"group", "create", "--curve", ""}, []string{"bls12-381", "bn254"}},
		{[]string{"block", "get", ""}, []string{"latest"}},
		{[]string{"block", "get", "latest", ""}, nil},
		{[]string{"node", "start", "--log-level", ""}, []string{"debug", "info", "warn", "error"}},
		{[]string{"node", "start", "--log-format", ""}, []string{"text", "json"}},
		{[]string{"testnet", "up", "--timing", ""}, []string{"lan", "fast"}},
		{[]string{"genesis", "init", "--timing", ""}, []string{"lan", "fast"}},
		{[]string{"genesis", "init", "--consensus", ""}, []string{"raft", "bft"}},
		{[]string{"testnet", "up", "--consensus", ""}, []string{"raft", "bft"}},
	} {
		if got := complete(t, c.args...); !reflect.DeepEqual(got, c.want) {
			t.Errorf("complete %q: %q, want %q", c.args, got, c.want)
		}
	}
}

// TestNumericFlagsTyped: node start's numeric settings are typed flags
// (a non-number is refused as usage before anything starts) and show
// their defaults in --help.
func TestNumericFlagsTyped(t *testing.T) {
	if code, msg, _ := wantError(t, exitUsage, "node", "start", "--max-block-txs", "many"); code != "usage" || !strings.Contains(msg, "max-block-txs") {
		t.Fatalf("non-numeric --max-block-txs: %s %s", code, msg)
	}
	help := mustRun(t, "node", "start", "--help")
	for _, w := range []string{"--max-block-txs int", "(default 2000)", "--block-interval duration", "(default 500ms)", "--submit-rate float", "--seeds strings", `(default "info")`} {
		if !strings.Contains(help, w) {
			t.Errorf("node start --help lacks %q", w)
		}
	}
	// A typed flag still beats the file: --seeds and --block-interval
	// reach the config in their text forms.
	cfg, err := loadNodeConfig("", parsedStartFlags(t, "--seeds", "a:1,b:2", "--block-interval", "2s", "--max-block-txs", "7"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg.Seeds, []string{"a:1", "b:2"}) || cfg.BlockInterval.Seconds() != 2 || cfg.MaxBlockTxs != 7 || cfg.MempoolMaxTxs != 20_000 {
		t.Fatalf("config from flags: seeds %v interval %v txs %d mempool %d", cfg.Seeds, cfg.BlockInterval, cfg.MaxBlockTxs, cfg.MempoolMaxTxs)
	}
}

func parsedStartFlags(t *testing.T, args ...string) *pflag.FlagSet {
	t.Helper()
	cmd := newNodeStartCmd()
	if err := cmd.ParseFlags(args); err != nil {
		t.Fatal(err)
	}
	return cmd.Flags()
}

func TestVersion(t *testing.T) {
	var got version.Info
	if err := json.Unmarshal([]byte(mustRunOut(t, "version", "--output", "json")), &got); err != nil || !reflect.DeepEqual(got, version.Get()) {
		t.Fatalf("version --output json: %+v %v", got, err)
	}
	text := mustRun(t, "version")
	if text != mustRun(t, "--version") || !strings.Contains(text, "veil "+version.Version) || !strings.Contains(text, "bls12-381, bn254") || !strings.Contains(text, got.GoVersion) {
		t.Fatalf("version text %q", text)
	}
}

func mustRunOut(t *testing.T, args ...string) string {
	t.Helper()
	out, code := runOut(t, args...)
	if code != 0 {
		t.Fatalf("veil %v: exit %d", args, code)
	}
	return out
}

// TestGenesisInitCountsValidators: the summary names as many validators
// as genesis.json holds.
func TestGenesisInitCountsValidators(t *testing.T) {
	dir := t.TempDir() + "/net"
	m := jsonOut(t, "genesis", "init", "--dir", dir, "--nodes", "2", "--validators", "1")
	if m["validators"] != 1.0 {
		t.Fatalf("json validators %v", m["validators"])
	}
	out := mustRun(t, "genesis", "init", "--dir", t.TempDir()+"/net2", "--nodes", "2", "--validators", "1")
	if !strings.Contains(out, "2 nodes: 1 validator (raft, f=0), 1 observer") {
		t.Fatalf("summary: %s", out)
	}
}

// TestEveryCommandTakesOutput: --output json works on every command, so a
// script gets the error object from any failure.
func TestEveryCommandTakesOutput(t *testing.T) {
	stack := newRootCmd().Commands()
	for len(stack) > 0 {
		c := stack[0]
		stack = append(stack[1:], c.Commands()...)
		if c.Runnable() && c.Name() != "help" && c.Name() != "completion" && c.Flags().Lookup("output") == nil {
			t.Errorf("veil %s has no --output", c.CommandPath())
		}
	}
}
