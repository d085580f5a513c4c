package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/client"
)

// opsFlags reach a node's operations port: --ops URL (default $VEIL_OPS)
// and, for https and admin endpoints, the client certificate and the
// chain CA.
type opsFlags struct {
	url, cert, key, ca string
}

func (o *opsFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.url, "ops", os.Getenv("VEIL_OPS"), "the node's operations port URL, e.g. https://127.0.0.1:9545 (default $VEIL_OPS)")
	cmd.Flags().StringVar(&o.cert, "tls-cert", "", "client certificate (PEM) from the chain CA, for admin endpoints")
	cmd.Flags().StringVar(&o.key, "tls-key", "", "its private key (PEM)")
	cmd.Flags().StringVar(&o.ca, "tls-ca", "", "chain CA certificate (PEM) that the operations port's certificate chains to")
}

// client returns a client of the operations port whose requests are
// bounded by their context only (a backup takes as long as it takes).
func (o *opsFlags) client() (*client.Client, error) {
	if o.url == "" {
		return nil, badInput(errors.New("no operations port given: pass --ops URL or set VEIL_OPS"))
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS13}
	if (o.cert == "") != (o.key == "") {
		return nil, badInput(errors.New("--tls-cert and --tls-key go together"))
	}
	if o.cert != "" {
		kp, err := tls.LoadX509KeyPair(o.cert, o.key)
		if err != nil {
			return nil, badInput(fmt.Errorf("client certificate: %w", err))
		}
		tc.Certificates = []tls.Certificate{kp}
	}
	if o.ca != "" {
		pem, err := os.ReadFile(o.ca)
		if err != nil {
			return nil, badInput(fmt.Errorf("chain CA: %w", err))
		}
		tc.RootCAs = x509.NewCertPool()
		if !tc.RootCAs.AppendCertsFromPEM(pem) {
			return nil, badInput(fmt.Errorf("chain CA %s holds no PEM certificate", o.ca))
		}
	}
	if strings.HasPrefix(o.url, "https://") && o.ca == "" {
		return nil, badInput(errors.New("an https operations port needs --tls-ca (the chain CA certificate)"))
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tc
	return client.NewWithHTTPClient(o.url, &http.Client{Transport: tr}), nil
}
