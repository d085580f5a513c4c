package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/veilchain/veil/logspec"
	"github.com/veilchain/veil/node"
)

func newNodeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "node",
		Short:   "Run a veil node",
		Example: `  veil node start --config net/nodes/node-1/node.toml`,
	}
	cmd.AddCommand(newNodeStartCmd(), newNodeRevokeCmd(), newNodeBackupCmd(), newNodeRestoreCmd())
	return cmd
}

// loadNodeConfig reads the config file, then VEIL_* variables, then flags
// the user set: flag beats environment beats file.
func loadNodeConfig(path string, flags *pflag.FlagSet) (node.Config, error) {
	cfg := node.DefaultConfig()
	if path != "" {
		var err error
		if cfg, err = node.ReadConfig(path); err != nil {
			return cfg, err
		}
	}
	for _, s := range node.Settings() {
		if v, ok := os.LookupEnv(s.Env); ok {
			if err := cfg.Set(s.Key, v); err != nil {
				return cfg, fmt.Errorf("%s: %w", s.Env, err)
			}
		}
		if f := flags.Lookup(s.Flag); f != nil && f.Changed {
			v := f.Value.String()
			if sv, ok := f.Value.(pflag.SliceValue); ok {
				v = strings.Join(sv.GetSlice(), ",")
			}
			if err := cfg.Set(s.Key, v); err != nil {
				return cfg, fmt.Errorf("--%s: %w", s.Flag, err)
			}
		}
	}
	return cfg, nil
}

func newNodeStartCmd() *cobra.Command {
	var configPath string
	var out outputFlag
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Run a full node until SIGINT or SIGTERM",
		Long: `Run a full node: gossip, raft ordering, the ledger and the HTTP API.
Settings come from --config (TOML), then VEIL_* environment variables, then
the flags below (each setting has all three forms). SIGINT or SIGTERM stop
the node gracefully: leadership is handed over, the cluster left and
LevelDB closed. SIGHUP applies log_level again (from the file, environment
and flags, as at start) and re-reads the node's certificate, key and CA
from disk (certificate renewal needs no restart). log_level is a level for
every component, then component=level terms: info:raft=debug:p2p=warn; the
operations port's admin endpoint /logspec reads and sets it at runtime.`,
		Example: `  veil node start --config net/nodes/node-1/node.toml
  VEIL_LOG_LEVEL=info:raft=debug veil node start --config node.toml --api-addr 127.0.0.1:9000`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			cfg, err := loadNodeConfig(configPath, cmd.Flags())
			if err != nil {
				return badInput(err)
			}
			// Every level reaches the handler; logspec filters by component.
			levels, err := logspec.New(cfg.LogLevel)
			if err != nil {
				return badInput(fmt.Errorf("log_level: %w", err))
			}
			opts := &slog.HandlerOptions{Level: logspec.LevelTrace}
			held := newHeldWriter(cmd.ErrOrStderr())
			var h slog.Handler = slog.NewTextHandler(held, opts)
			if strings.EqualFold(cfg.LogFormat, "json") {
				h = slog.NewJSONHandler(held, opts)
			}
			log := slog.New(logspec.NewHandler(h, levels))
			slog.SetDefault(log)
			logVersion(log)
			n, err := node.New(cfg, log)
			if err != nil {
				return startupFailed(log, held, levels.Level("node") <= slog.LevelDebug, err)
			}
			held.release(true)
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			go reloadOnHUP(ctx, n, configPath, cmd.Flags(), log)
			url := n.APIURL()
			_ = out.print(cmd.OutOrStdout(), map[string]string{"node_id": cfg.NodeID, "api": url}, func(w io.Writer) {
				fmt.Fprintf(w, "node %s: API on %s\n", cfg.NodeID, url)
			})
			return n.Run(ctx)
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "", "node configuration file (TOML)")
	registerSettingFlags(cmd)
	out.register(cmd)
	return cmd
}

// reloadOnHUP applies log_level again on SIGHUP (file, environment and
// flags, as at start) and reloads the node's certificate.
func reloadOnHUP(ctx context.Context, n *node.Node, configPath string, flags *pflag.FlagSet, log *slog.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
		}
		if cfg, err := loadNodeConfig(configPath, flags); err != nil {
			log.Warn("SIGHUP: config not reloaded", "err", err)
		} else if err := n.LogLevels().Set(cfg.LogLevel); err != nil {
			log.Warn("SIGHUP: log levels not changed", "err", err)
		} else {
			log.Info("SIGHUP: log levels set", "log_level", n.LogLevels().Spec())
		}
		if err := n.ReloadIdentity(); err != nil {
			log.Warn("SIGHUP: certificate not reloaded", "err", err)
		} else {
			log.Info("SIGHUP: certificate reloaded")
		}
	}
}

// registerSettingFlags gives every node setting its flag, typed as the
// setting is (an int flag refuses "abc" when parsed, not when the node
// starts) and showing DefaultConfig's value; only flags the user set
// override the file and the environment (loadNodeConfig).
func registerSettingFlags(cmd *cobra.Command) {
	fs := cmd.Flags()
	for _, s := range node.Settings() {
		help := s.Help + " (env " + s.Env + ")"
		switch d := s.Default.(type) {
		case int:
			fs.Int(s.Flag, d, help)
		case uint64:
			fs.Uint64(s.Flag, d, help)
		case float64:
			fs.Float64(s.Flag, d, help)
		case node.Duration:
			fs.Duration(s.Flag, d.Duration, help)
		case []string:
			fs.StringSlice(s.Flag, d, help)
		case string:
			fs.String(s.Flag, d, help)
		case bool:
			fs.Bool(s.Flag, d, help)
		default:
			panic(fmt.Sprintf("node setting %s of type %T has no flag type", s.Key, d))
		}
	}
	for flag, values := range map[string][]string{"log-level": {"debug", "info", "warn", "error"}, "log-format": {"text", "json"}, "timing": {"lan", "fast"}} {
		_ = cmd.RegisterFlagCompletionFunc(flag, cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp))
	}
}
