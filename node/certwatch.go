package node

import (
	"context"
	"crypto/x509"
	"log/slog"
	"net/http"
	"time"

	"github.com/veilchain/veil/p2p"
)

// DefaultCertExpiryWarning is how long before its NotAfter the node
// starts warning that its certificate expires (cert_expiry_warning).
const DefaultCertExpiryWarning = 30 * 24 * time.Hour

// certCheckInterval is how often a running node repeats the expiry check:
// an operator who misses the warning at start sees it again every day.
const certCheckInterval = 24 * time.Hour

// certWatch warns about the node's own certificate nearing its NotAfter
// and gives veil_node_cert_expiry_seconds (api.Gauges.CertExpiry) the
// time left. The certificate is read from the identity each time, so a
// reload (SIGHUP, POST /admin/reload-identity) is seen at once.
type certWatch struct {
	identity  *p2p.Identity
	file      string
	threshold time.Duration
	log       *slog.Logger
	now       func() time.Time
}

// left is the time until the current certificate's NotAfter (negative
// once it has expired).
func (c *certWatch) left() time.Duration { return c.leftOf(c.identity.Certificate()) }

// leftOf is the time until cert's NotAfter: callers that also report the
// certificate's serial or dates read it once and pass it here, so a
// reload in between cannot mix two certificates in one answer.
func (c *certWatch) leftOf(cert *x509.Certificate) time.Duration { return cert.NotAfter.Sub(c.now()) }

// check logs a warning (an error once expired) when the certificate has
// less than the threshold left; why says what prompted the check.
func (c *certWatch) check(why string) {
	cert := c.identity.Certificate()
	left := c.leftOf(cert)
	if left >= c.threshold {
		return
	}
	attrs := []any{"cert", c.file, "serial", cert.SerialNumber.Text(16), "not_after", cert.NotAfter.UTC().Format(time.RFC3339),
		"days_left", int(left.Hours() / 24), "check", why, // whole days, toward zero
		"fix", "veil ca renew-node, then SIGHUP or POST /admin/reload-identity"}
	if left <= 0 {
		c.log.Error("node certificate has expired: peers refuse this node", attrs...)
		return
	}
	c.log.Warn("node certificate expires soon", attrs...)
}

// run checks at start and then once a day until ctx ends.
func (c *certWatch) run(ctx context.Context) {
	c.check("start")
	tick := time.NewTicker(certCheckInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			c.check("daily")
		}
	}
}

// identityInfo is the answer of POST /admin/reload-identity.
type identityInfo struct {
	Node      string    `json:"node"`
	Serial    string    `json:"serial"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	DaysLeft  int       `json:"days_left"`
}

// reloadIdentityHandler serves POST /admin/reload-identity: the same
// reload as SIGHUP, for operators who cannot signal the process. 200 with
// the certificate now presented, or 422 with why the files on disk were
// refused (the previous certificate stays in force).
func (n *Node) reloadIdentityHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if err := n.ReloadIdentity(); err != nil {
			writeOpsError(w, http.StatusUnprocessableEntity, "identity_refused", err.Error())
			return
		}
		cert := n.identity.Certificate()
		writeOpsJSON(w, http.StatusOK, identityInfo{Node: n.identity.NodeID(), Serial: cert.SerialNumber.Text(16),
			NotBefore: cert.NotBefore.UTC(), NotAfter: cert.NotAfter.UTC(), DaysLeft: int(n.certs.leftOf(cert).Hours() / 24)})
	})
}
