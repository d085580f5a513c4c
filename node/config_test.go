package node

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigPrecedenceAndStrictness(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "node.toml")
	if err := os.WriteFile(path, []byte("node_id = \"node-1\"\ndata_dir = \"data\"\nblock_interval = \"250ms\"\nseeds = [\"127.0.0.1:1\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := ReadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != filepath.Join(dir, "data") || cfg.BlockInterval.String() != "250ms" || cfg.MaxBlockTxs != 2000 {
		t.Fatalf("config %+v", cfg)
	}
	if cfg.RaftPath() != cfg.DataDir {
		t.Fatalf("raft path %q without raft_dir, want data_dir %q", cfg.RaftPath(), cfg.DataDir)
	}
	rpath := filepath.Join(dir, "raft.toml")
	if err := os.WriteFile(rpath, []byte("data_dir = \"data\"\nraft_dir = \"../raft-disk\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if rc, err := ReadConfig(rpath); err != nil || rc.RaftPath() != filepath.Join(filepath.Dir(dir), "raft-disk") {
		t.Fatalf("raft_dir relative to the file: %q %v", rc.RaftPath(), err)
	}
	for key, val := range map[string]string{"block_interval": "1s", "seeds": "a:1, b:2", "max_block_txs": "7", "submit_rate": "1.5", "raft_log_bytes": "9"} {
		if err := cfg.Set(key, val); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
	}
	if cfg.BlockInterval.String() != "1s" || len(cfg.Seeds) != 2 || cfg.MaxBlockTxs != 7 || cfg.SubmitRate != 1.5 || cfg.RaftLogBytes != 9 {
		t.Fatalf("after Set: %+v", cfg)
	}
	if err := cfg.Set("max_block_txs", "many"); err == nil {
		t.Fatal("a non-number accepted")
	}
	if !cfg.OpsTLS || cfg.Pprof || cfg.APITLS {
		t.Fatalf("defaults: ops_tls %v pprof %v api_tls %v, want true false false", cfg.OpsTLS, cfg.Pprof, cfg.APITLS)
	}
	for key, val := range map[string]string{"ops_tls": "false", "pprof": "true", "api_tls": "1"} {
		if err := cfg.Set(key, val); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
	}
	if cfg.OpsTLS || !cfg.Pprof || !cfg.APITLS {
		t.Fatalf("after Set of the booleans: ops_tls %v pprof %v api_tls %v", cfg.OpsTLS, cfg.Pprof, cfg.APITLS)
	}
	if err := cfg.Set("pprof", "maybe"); err == nil {
		t.Fatal("a non-boolean accepted")
	}
	if err := cfg.Set("nope", "1"); err == nil {
		t.Fatal("an unknown key accepted")
	}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("validate: %v", err)
	}
	for _, s := range Settings() {
		if s.Flag == "" || !strings.HasPrefix(s.Env, "VEIL_") || s.Help == "" {
			t.Fatalf("setting %+v", s)
		}
	}
	bad := filepath.Join(dir, "bad.toml")
	_ = os.WriteFile(bad, []byte("node_idd = \"x\"\n"), 0o644)
	if _, err := ReadConfig(bad); err == nil || !strings.Contains(err.Error(), "unknown keys") {
		t.Fatalf("unknown key: %v", err)
	}
}

// FuzzReadConfig: a config file of any content gives a config or an error,
// never a panic.
func FuzzReadConfig(f *testing.F) {
	f.Add([]byte("node_id = \"node-1\"\nblock_interval = \"250ms\"\n[[validators]]\nid = \"node-1\"\nraft_addr = \"127.0.0.1:7000\"\n"))
	f.Add([]byte("block_interval = 5\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "node.toml")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := ReadConfig(path)
		if err == nil {
			_ = cfg.Validate()
		}
	})
}
