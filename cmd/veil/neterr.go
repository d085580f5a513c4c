package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/url"
	"os"
	"syscall"

	"github.com/veilchain/veil/client"
)

// exitNetwork is the exit status of a command that could not get an
// answer from a node: its outcome is unknown (a transaction sent may
// still commit), unlike a refusal (1) or bad input (2).
const exitNetwork = 3

// networkCode names the network failure in err's chain, or "" when err
// holds none: "timeout" (a deadline passed, --timeout or a request's
// own), "tls" (the node's certificate or the handshake failed), "dns"
// (the host name did not resolve) or "unreachable" (connection refused,
// reset, or any other failed dial or read). A node's answer (a
// *client.Error) is never a network failure, whatever it says.
func networkCode(err error) string {
	if err == nil {
		return ""
	}
	if ae := (*client.Error)(nil); errors.As(err, &ae) {
		return ""
	}
	// A port this process could not bind is local, not the network's.
	if oe := (*net.OpError)(nil); errors.As(err, &oe) && oe.Op == "listen" {
		return ""
	}
	var (
		dns     *net.DNSError
		ne      net.Error
		rec     tls.RecordHeaderError
		verify  *tls.CertificateVerificationError
		unknown x509.UnknownAuthorityError
		host    x509.HostnameError
		inval   x509.CertificateInvalidError
		alert   tls.AlertError
		op      *net.OpError
		ue      *url.Error
	)
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case (errors.As(err, &ue) || errors.As(err, &op)) && (errors.As(err, &rec) || errors.As(err, &verify) ||
		errors.As(err, &unknown) || errors.As(err, &host) || errors.As(err, &inval) || errors.As(err, &alert)):
		// Only a request's TLS: a certificate a command checks itself
		// (member certificates in evidence) and refuses is a refusal.
		return "tls"
	case errors.As(err, &dns):
		return "dns"
	case errors.As(err, &op), errors.As(err, &ue),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET):
		return "unreachable"
	}
	return ""
}
