package api

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// CodeForbidden (403): an admin endpoint of the operations port was asked
// without a client certificate OpsConfig.Admin accepts (package node: an
// operator certificate from the chain CA), or the event stream was
// opened from a foreign Origin.
const CodeForbidden = "forbidden"

// OpsConfig tunes the operations server.
type OpsConfig struct {
	// TLS, when set, is the server configuration Serve wraps its listener
	// in; it must request client certificates for admin endpoints to be
	// usable (p2p.Identity.HTTPSConfig). Nil serves plain HTTP, on which
	// every admin endpoint answers 403.
	TLS *tls.Config
	// Admin decides whether a request's client certificate chain (leaf
	// first, as presented, not yet verified) may use admin endpoints; it
	// verifies the chain itself. Nil refuses every admin request.
	Admin  func(certs []*x509.Certificate) error
	Logger *slog.Logger
}

// DefaultOpsConfig serves plain HTTP and refuses every admin request.
func DefaultOpsConfig() OpsConfig { return OpsConfig{Logger: slog.Default()} }

// Operations is a node's operations server: metrics, probes and the
// admin endpoints of the people who run it, on a listener of its own
// (ops_addr) or behind the API's when it has none. Handle registers an
// endpoint anyone who reaches the port may use; HandleAdmin one that
// needs an admin client certificate (OpsConfig.Admin).
type Operations struct {
	cfg    OpsConfig
	mux    *http.ServeMux
	h      http.Handler // mux with the request-id middleware
	log    *slog.Logger
	routes []string
}

// NewOperations builds an operations server with no endpoints yet.
func NewOperations(cfg OpsConfig) *Operations {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	o := &Operations{cfg: cfg, mux: http.NewServeMux(), log: cfg.Logger.With("component", "ops")}
	o.mux.Handle("/", noRoute(o.mux, nil))
	o.h = withRequestID(o.mux)
	return o
}

// Handle registers an endpoint open to whoever can reach the port
// (pattern as for http.ServeMux, e.g. "GET /metrics").
func (o *Operations) Handle(pattern string, h http.Handler) {
	o.routes = append(o.routes, pattern)
	o.mux.Handle(pattern, h)
}

// HandleAdmin registers an endpoint that answers 403 forbidden unless the
// request came over TLS with a client certificate OpsConfig.Admin accepts.
func (o *Operations) HandleAdmin(pattern string, h http.Handler) {
	o.routes = append(o.routes, pattern)
	o.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := o.authorize(r); err != nil {
			RequestLogger(r, o.log).Warn("admin request refused", "method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr, "reason", err.Error())
			writeError(w, http.StatusForbidden, CodeForbidden, err.Error())
			return
		}
		h.ServeHTTP(w, r)
	}))
}

func (o *Operations) authorize(r *http.Request) error {
	if r.TLS == nil {
		return errors.New("admin endpoints need TLS with an operator certificate from the chain CA")
	}
	if len(r.TLS.PeerCertificates) == 0 {
		return errors.New("no client certificate presented; admin endpoints need an operator certificate from the chain CA")
	}
	if o.cfg.Admin == nil {
		return errors.New("this server accepts no admin certificates")
	}
	if err := o.cfg.Admin(r.TLS.PeerCertificates); err != nil {
		return fmt.Errorf("client certificate refused: %w", err)
	}
	return nil
}

// Routes lists the registered patterns, in order.
func (o *Operations) Routes() []string { return append([]string(nil), o.routes...) }

// ServeHTTP serves the registered endpoints; a known path with another
// method is a 405 with Allow, anything else a 404, both with JSON bodies.
// A request already given an id (behind the API's listener) keeps it.
func (o *Operations) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if RequestID(r.Context()) != "" {
		o.mux.ServeHTTP(w, r)
		return
	}
	o.h.ServeHTTP(w, r)
}

// Serve serves on ln (over TLS when OpsConfig.TLS is set) until ctx ends,
// then shuts down gracefully.
func (o *Operations) Serve(ctx context.Context, ln net.Listener) error {
	if o.cfg.TLS != nil {
		ln = tls.NewListener(ln, o.cfg.TLS)
	}
	return serveHTTP(ctx, ln, o, nil, o.log)
}

// serveHTTP serves h on ln until ctx ends, then runs onStop and shuts the
// server down, waiting at most 5 s for requests in flight. net/http's own
// lines (TLS handshakes refused: plain HTTP to a TLS port, a client that
// distrusts the certificate) go to log at debug: any client can cause
// them, so at a higher level they would let anyone fill the log.
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler, onStop func(), log *slog.Logger) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug)}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if onStop != nil {
			onStop()
		}
		err := srv.Shutdown(sctx)
		<-errc
		return err
	}
}
