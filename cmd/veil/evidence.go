package main

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"github.com/veilchain/veil/client"
	"github.com/veilchain/veil/console"
	"github.com/veilchain/veil/genesis"
	"github.com/veilchain/veil/groupsig"
)

// Evidence files: 'audit open' writes a chain.Evidence, 'audit evidence'
// a console.OfflineBundle, 'audit openings --evidence' a
// chain.ThresholdEvidence; 'audit check' reads all three with
// console.DecodeEvidence and checks them with console.Bundle.Check, the
// code the audit console's POST /audit/check runs.

// readEvidence reads an evidence file strictly (unknown fields are
// refused): a malformed one is bad input (exit 2).
func readEvidence(path string) (*console.Bundle, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, badInput(err)
	}
	b, err := console.DecodeEvidence(data)
	if err != nil {
		return nil, badInput(fmt.Errorf("%s: %w", path, err))
	}
	return b, nil
}

// readCA reads the consortium CA certificate.
func readCA(path string) (*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, badInput(fmt.Errorf("read CA certificate: %w", err))
	}
	ca, err := genesis.ParseCertificatePEM(data)
	if err != nil {
		return nil, badInput(fmt.Errorf("CA certificate %s: %w", path, err))
	}
	return ca, nil
}

// openTxError maps a failed client.OpenTx: a transaction that is not
// openable, or an opener key of another group, is bad input (exit 2); an A
// no member holds, a signature or evidence that does not check is refused
// (exit 1); a node's refusal or an unreachable node as chainError.
func openTxError(err error) error {
	var ae *client.Error
	switch {
	case errors.Is(err, client.ErrNotOpenable):
		return badInput(err)
	case errors.As(err, &ae):
		return chainError(err)
	case errors.Is(err, groupsig.ErrUnknownMember), errors.Is(err, groupsig.ErrNotAccountable), errors.Is(err, groupsig.ErrInvalidSignature):
		return refused(err)
	}
	return checkError(err)
}
