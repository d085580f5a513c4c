package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/console"
	"github.com/veilchain/veil/groupsig"
	"github.com/veilchain/veil/ui"
)

func newAuditConsoleCmd() *cobra.Command {
	var out outputFlag
	var nf nodeFlag
	var openerPath, caPath, listen, logPath string
	cmd := &cobra.Command{
		Use:   "console",
		Short: "Serve the audit workspace in the browser, on 127.0.0.1, with the opener key in this process",
		Long: `Serve the node's console (the same pages as a node's /ui/, reading the
node's /v1 API through this process) and the audit workspace
(/ui/audit.html) on 127.0.0.1 only, until Ctrl-C.

The workspace opens a committed anonymous transaction to its member with
--opener-key, in this process: the key is never sent to the node nor to
the browser. It shows the member (label, organisation, identity key), the
proof (the opening, A) and the evidence bundle, offered for download
(evidence-<tx>.json, the file 'veil audit open --out' writes). For a group
whose opener key is shared among opening authorities (or without
--opener-key) it shows a transaction as its committee opened it on chain.
Its "check evidence" page checks a bundle with the code of 'veil audit
check' (with --ca down to the certificates).

Every opening is appended to the regulator's log (--log; JSON lines,
0600, fsynced before the result is shown): time, transaction, group,
label and the evidence file's SHA-256. The default log is
audit-log.jsonl in the user's config directory ($XDG_CONFIG_HOME/veil,
~/.config/veil), or next to the opener key when there is none.

The console answers only requests naming 127.0.0.1 or localhost from its
own origin (no other site's page can make it open anything) and passes
only reads to the node.`,
		Example: `  veil audit console --node http://127.0.0.1:7010 --opener-key net/groups/payments.opener.key --ca net/ca/ca.crt
  veil audit console --node $VEIL_NODE --listen 127.0.0.1:8600 --log regulator/audit-log.jsonl --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			if nf.url == "" {
				return badInput(errors.New("no node given: pass --node URL or set VEIL_NODE"))
			}
			if err := loopbackListen(listen); err != nil {
				return err
			}
			cfg := console.Config{Node: nf.url, Static: ui.Handler()}
			if strings.HasPrefix(nf.url, "https://") {
				tc, err := nf.tls.Config()
				if err != nil {
					return badInput(err)
				}
				cfg.TLS = tc
			}
			if openerPath != "" {
				cfg.OpenerKey = new(groupsig.OpenerKey)
				if _, err := readGS2(openerPath, cfg.OpenerKey); err != nil {
					return err
				}
			}
			if caPath != "" {
				var err error
				if cfg.CA, err = readCA(caPath); err != nil {
					return err
				}
			}
			if logPath == "" {
				var err error
				if logPath, err = defaultAuditLog(openerPath); err != nil {
					return err
				}
			}
			cfg.LogPath = logPath
			srv, err := console.New(cfg)
			if err != nil {
				return badInput(err)
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return badInput(err)
			}
			return serveAuditConsole(cmd, &out, srv, ln, cfg)
		},
	}
	out.register(cmd)
	nf.register(cmd)
	cmd.Flags().StringVar(&openerPath, "opener-key", "", "the group's opener key (absent: evidence checks and threshold openings only)")
	cmd.Flags().StringVar(&caPath, "ca", "", "the consortium CA certificate: check evidence down to the certificates")
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:0", "address to serve on: 127.0.0.1 only (port 0: any free port)")
	cmd.Flags().StringVar(&logPath, "log", "", "the regulator's log file (default: audit-log.jsonl in the user config directory's veil/)")
	return cmd
}

// loopbackListen refuses any address but 127.0.0.1: the console holds
// the opener key and answers whoever reaches it.
func loopbackListen(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return badInput(fmt.Errorf("--listen %q: %w", addr, err))
	}
	if host != "127.0.0.1" {
		return badInput(fmt.Errorf("--listen %q: the audit console binds only 127.0.0.1 (it holds the opener key)", addr))
	}
	return nil
}

// defaultAuditLog is the log's default place: the user's config
// directory, else next to the opener key.
func defaultAuditLog(openerPath string) (string, error) {
	if dir, err := os.UserConfigDir(); err == nil {
		return filepath.Join(dir, "veil", "audit-log.jsonl"), nil
	}
	if openerPath != "" {
		return filepath.Join(filepath.Dir(openerPath), "audit-log.jsonl"), nil
	}
	return "", badInput(errors.New("no user config directory for the regulator's log: give --log FILE"))
}

// serveAuditConsole serves until the command's context ends or Ctrl-C.
func serveAuditConsole(cmd *cobra.Command, out *outputFlag, srv *console.Server, ln net.Listener, cfg console.Config) error {
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	base := "http://" + ln.Addr().String()
	url := base + "/ui/audit.html"
	res := map[string]any{"url": url, "console": base + "/ui/", "node": cfg.Node, "log": srv.LogPath(),
		"can_open": cfg.OpenerKey != nil, "cert_checked": cfg.CA != nil}
	if err := out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
		fmt.Fprintf(w, "audit workspace  %s\n  console        %s (the node's pages, read through this process)\n  node           %s\n", url, base+"/ui/", cfg.Node)
		if cfg.OpenerKey != nil {
			fmt.Fprintln(w, "  opener key     loaded: it stays in this process")
		} else {
			fmt.Fprintln(w, "  opener key     none: evidence checks and threshold openings only")
		}
		fmt.Fprintf(w, "  log            %s\nCtrl-C to stop.\n", srv.LogPath())
	}); err != nil {
		hs.Close()
		return err
	}
	select {
	case err := <-errc:
		return badInput(err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		hs.Close()
	}
	return nil
}
