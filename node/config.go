package node

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/veilchain/veil/logspec"
	"github.com/veilchain/veil/storage"
)

// Duration is a time.Duration written as "500ms", "2s" in config files.
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration as Go prints it.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Peer names a raft server in the configuration.
type Peer struct {
	ID       string `toml:"id"`
	RaftAddr string `toml:"raft_addr"`
}

// Config is a node's configuration, read from a TOML file (see
// ReadConfig). Every key can also be set by an environment variable
// VEIL_<KEY> (upper case, e.g. VEIL_API_ADDR) and by the flag --<key>
// with dashes (e.g. --api-addr) of `veil node start`; a flag beats the
// environment, which beats the file. Relative paths in the file are
// relative to the file's directory.
type Config struct {
	NodeID     string   `toml:"node_id" help:"node id; must be the CN of the certificate"`
	DataDir    string   `toml:"data_dir" help:"directory of the chain database, and of the raft log and snapshots unless raft_dir is set"`
	RaftDir    string   `toml:"raft_dir" help:"directory of the raft log and snapshots (default: data_dir), e.g. on a disk of its own"`
	Genesis    string   `toml:"genesis" help:"path of genesis.json"`
	Cert       string   `toml:"cert" help:"node certificate (PEM), issued by the chain CA"`
	Key        string   `toml:"key" help:"node private key (PEM, Ed25519)"`
	CA         string   `toml:"ca" help:"chain CA certificate (PEM)"`
	GossipAddr string   `toml:"gossip_addr" help:"memberlist host:port (mutual TLS over TCP)"`
	RaftAddr   string   `toml:"raft_addr" help:"raft host:port (mutual TLS)"`
	APIAddr    string   `toml:"api_addr" help:"HTTP API host:port"`
	OpsAddr    string   `toml:"ops_addr" help:"operations port host:port (metrics, health, admin endpoints); empty: served on the API listener"`
	OpsTLS     bool     `toml:"ops_tls" help:"serve the operations port (ops_addr) over TLS with the node certificate; admin endpoints need it"`
	Pprof      bool     `toml:"pprof" help:"serve /debug/pprof/* on the operations port, to operator certificates only"`
	APITLS     bool     `toml:"api_tls" help:"serve the API over TLS: the node certificate, or api_cert and api_key"`
	APICert    string   `toml:"api_cert" help:"with api_tls: the API's certificate (PEM) instead of the node's"`
	APIKey     string   `toml:"api_key" help:"with api_tls: the key of api_cert (PEM)"`
	Seeds      []string `toml:"seeds" help:"gossip addresses of nodes to join (comma-separated)"`
	// Validators lists every genesis validator's raft address, for the
	// raft bootstrap on first start. Other nodes join as observers.
	Validators []Peer `toml:"validators"`

	BlockInterval Duration `toml:"block_interval" help:"cut a block at least this often while transactions wait"`
	MaxBlockTxs   int      `toml:"max_block_txs" help:"cut a block as soon as this many transactions wait"`
	MaxBlockBytes int      `toml:"max_block_bytes" help:"largest block, in bytes of transactions"`
	MempoolMaxTxs int      `toml:"mempool_max_txs" help:"transactions the mempool holds at most"`
	MempoolMaxMiB int      `toml:"mempool_max_mib" help:"MiB of transactions the mempool holds at most"`
	SubmitRate    float64  `toml:"submit_rate" help:"API submissions per second per client IP"`
	Timing        string   `toml:"timing" help:"gossip and raft timing profile: lan or fast (tests, one machine)"`
	LogLevel      string   `toml:"log_level" help:"log levels: a level (trace, debug, info, warn, error) for every component, then component=level terms, e.g. info:raft=debug:p2p=warn (components api, chain, consensus, node, ops, p2p, raft)"`
	LogFormat     string   `toml:"log_format" help:"text or json"`
	RaftLogBytes  uint64   `toml:"raft_log_bytes" help:"raft log bytes kept: past this, a snapshot compacts it to the newest half (lagging followers catch up by block sync)"`

	// CertExpiryWarning is how long before the node certificate's
	// NotAfter the node warns (certwatch.go).
	CertExpiryWarning Duration `toml:"cert_expiry_warning" help:"warn in the log (at start, on reload, daily) once the node certificate has less than this left"`
}

// DefaultConfig returns the defaults of every setting but the paths and
// addresses.
func DefaultConfig() Config {
	return Config{
		BlockInterval: Duration{500 * time.Millisecond}, MaxBlockTxs: 2000, MaxBlockBytes: 4 << 20,
		MempoolMaxTxs: 20_000, MempoolMaxMiB: 64, SubmitRate: 2000, Timing: "lan",
		LogLevel: "info", LogFormat: "text", RaftLogBytes: storage.DefaultRaftLogPolicy().MaxBytes,
		OpsTLS: true, CertExpiryWarning: Duration{DefaultCertExpiryWarning},
	}
}

// ReadConfig reads a TOML config file over the defaults, refusing unknown
// keys, and resolves relative paths against the file's directory.
func ReadConfig(path string) (Config, error) {
	cfg := DefaultConfig()
	md, err := toml.DecodeFile(path, &cfg)
	if err != nil {
		return cfg, fmt.Errorf("read config %s: %w", path, err)
	}
	if undec := md.Undecoded(); len(undec) > 0 {
		return cfg, fmt.Errorf("read config %s: unknown keys %v", path, undec)
	}
	base := filepath.Dir(path)
	for _, p := range []*string{&cfg.DataDir, &cfg.RaftDir, &cfg.Genesis, &cfg.Cert, &cfg.Key, &cfg.CA, &cfg.APICert, &cfg.APIKey} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(base, *p)
		}
	}
	return cfg, nil
}

// WriteConfig writes cfg as TOML (paths as given).
func WriteConfig(path string, cfg Config) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	fmt.Fprintf(f, "# veil node configuration (TOML). Every key is also a flag of\n# `veil node start` (--key-with-dashes) and an environment variable\n# (VEIL_KEY_IN_UPPER_CASE). Relative paths are relative to this file.\n\n")
	if err := toml.NewEncoder(f).Encode(cfg); err != nil {
		f.Close()
		return fmt.Errorf("write config: %w", err)
	}
	return f.Close()
}

// Setting is one scalar key of Config, for flags and environment variables.
type Setting struct {
	Key  string // TOML key, e.g. "api_addr"
	Help string
	Flag string // "api-addr"
	Env  string // "VEIL_API_ADDR"
	// Default is the key's value in DefaultConfig, of the key's own type
	// (string, []string, int, uint64, float64, bool or Duration), so a flag can
	// be typed and show its default.
	Default any
}

// Settings lists every scalar (and list-of-string) key of Config.
func Settings() []Setting {
	var out []Setting
	def := reflect.ValueOf(DefaultConfig())
	t := def.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		key := f.Tag.Get("toml")
		help := f.Tag.Get("help")
		if help == "" {
			continue
		}
		out = append(out, Setting{Key: key, Help: help, Flag: strings.ReplaceAll(key, "_", "-"), Env: "VEIL_" + strings.ToUpper(key), Default: def.Field(i).Interface()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// Set assigns one setting from its text form (a flag's or an environment
// variable's value).
func (c *Config) Set(key, value string) error {
	v := reflect.ValueOf(c).Elem()
	t := v.Type()
	for i := range t.NumField() {
		if t.Field(i).Tag.Get("toml") != key {
			continue
		}
		f := v.Field(i)
		switch f.Interface().(type) {
		case string:
			f.SetString(value)
		case bool:
			b, err := strconv.ParseBool(value)
			if err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
			f.SetBool(b)
		case []string:
			var parts []string
			for _, p := range strings.Split(value, ",") {
				if p = strings.TrimSpace(p); p != "" {
					parts = append(parts, p)
				}
			}
			f.Set(reflect.ValueOf(parts))
		case int:
			n, err := strconv.Atoi(value)
			if err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
			f.SetInt(int64(n))
		case uint64:
			n, err := strconv.ParseUint(value, 10, 64)
			if err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
			f.SetUint(n)
		case float64:
			n, err := strconv.ParseFloat(value, 64)
			if err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
			f.SetFloat(n)
		case Duration:
			var d Duration
			if err := d.UnmarshalText([]byte(value)); err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
			f.Set(reflect.ValueOf(d))
		default:
			return fmt.Errorf("%s cannot be set from text", key)
		}
		return nil
	}
	return fmt.Errorf("unknown setting %q", key)
}

// URLs are the base URLs of the API (https:// with api_tls) and of the
// operations routes: the ops port's (https:// with ops_tls), or the
// API's when ops_addr is unset.
func (c *Config) URLs() (api, ops string) {
	api = "http://" + c.APIAddr
	if c.APITLS {
		api = "https://" + c.APIAddr
	}
	switch {
	case c.OpsAddr == "":
		ops = api
	case c.OpsTLS:
		ops = "https://" + c.OpsAddr
	default:
		ops = "http://" + c.OpsAddr
	}
	return api, ops
}

// RaftPath is the directory of the raft log (raft-log/) and snapshots
// (raft/): raft_dir, or data_dir when unset.
func (c *Config) RaftPath() string {
	if c.RaftDir != "" {
		return c.RaftDir
	}
	return c.DataDir
}

// Validate checks that the settings a node needs are present.
func (c *Config) Validate() error {
	var missing []string
	for name, v := range map[string]string{"node_id": c.NodeID, "data_dir": c.DataDir, "genesis": c.Genesis, "cert": c.Cert,
		"key": c.Key, "ca": c.CA, "gossip_addr": c.GossipAddr, "api_addr": c.APIAddr} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return fmt.Errorf("config: missing %s", strings.Join(missing, ", "))
	}
	if c.Timing != "lan" && c.Timing != "fast" {
		return errors.New("config: timing must be lan or fast")
	}
	if _, err := logspec.Parse(c.LogLevel); err != nil {
		return fmt.Errorf("config: log_level: %w", err)
	}
	if c.BlockInterval.Duration <= 0 || c.MaxBlockTxs <= 0 || c.MaxBlockBytes <= 0 {
		return errors.New("config: block_interval, max_block_txs and max_block_bytes must be positive")
	}
	return nil
}
