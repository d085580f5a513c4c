package main

import (
	"errors"
	"net/http"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/client"
)

// opsFlags reach a node's operations port: --ops URL (default $VEIL_OPS)
// and, for https:// and admin endpoints, the TLS flags of --node
// (--tls-ca, and an operator certificate in --tls-cert and --tls-key).
type opsFlags struct {
	url string
	tls client.TLSFiles
}

func (o *opsFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.url, "ops", os.Getenv("VEIL_OPS"), "the node's operations port URL (its ops_addr), e.g. https://127.0.0.1:9101 (default $VEIL_OPS)")
	registerTLSFlags(cmd, &o.tls)
}

// client returns a client of the operations port whose requests are
// bounded by their context only: a backup takes as long as it takes.
func (o *opsFlags) client() (*client.Client, error) {
	if o.url == "" {
		return nil, badInput(errors.New("no operations port given: pass --ops URL or set VEIL_OPS"))
	}
	var hc *http.Client
	if strings.HasPrefix(o.url, "https://") {
		tc, err := o.tls.Config()
		if err != nil {
			return nil, badInput(err)
		}
		hc = client.HTTPClient(tc)
	} else {
		hc = client.HTTPClient(nil)
	}
	hc.Timeout = 0
	return client.NewWithHTTPClient(o.url, hc), nil
}
