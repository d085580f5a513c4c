package main

import (
	"errors"
	"time"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/genesis"
)

func newCACmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ca",
		Short: "The consortium CA's tools: certify members' identity keys and operators",
		Long: `The chain CA ('genesis init' writes it to DIR/ca/ca.crt and ca.key)
certifies nodes and members. A member certificate binds an organisation
and a label to an Ed25519 identity key; it is made for document signing
under veil's member policy, never for TLS, so it never admits a node to
the network (and a node certificate never passes for a member's). An
operator certificate ('issue-operator') is a TLS client certificate for
the nodes' admin endpoints, and nothing else.`,
		Example: `  veil ca issue-member --ca-cert net/ca/ca.crt --ca-key net/ca/ca.key --request alice.csr --out alice.crt`,
	}
	cmd.AddCommand(newCAIssueMemberCmd(), newCAIssueOperatorCmd(), newCARenewNodeCmd())
	return cmd
}

// openCAFor checks what every issuing command checks before it signs
// (the output format, a non-negative --validity, its outputs absent
// unless --force) and loads the CA.
func openCAFor(out *outputFlag, validity time.Duration, force bool, caCert, caKey string, outputs ...string) (*genesis.CA, error) {
	if err := out.validate(); err != nil {
		return nil, err
	}
	if validity < 0 {
		return nil, badInput(errors.New("--validity must not be negative"))
	}
	if !force {
		if err := checkAbsent(outputs...); err != nil {
			return nil, err
		}
	}
	ca, err := genesis.LoadCA(caCert, caKey)
	if err != nil {
		return nil, badInput(err)
	}
	return ca, nil
}
