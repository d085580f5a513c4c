package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/client"
	"github.com/veilchain/veil/genesis"
	"github.com/veilchain/veil/groupsig"
)

// The threshold opening's commands (SPEC-groupsig-v2-threshold-opening):
// 'veil audit committee' deals, approves, shows and aborts a group's
// opening committee; 'veil audit share accept' checks a share and posts
// its proof; 'veil audit consent', 'release' and 'openings' open a
// signature in public; 'veil audit open' without an opener key builds the
// evidence of a completed threshold opening. An authority's share and
// identity key never leave its machine: no command sends a share to a
// node.

func newCommitteeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "committee",
		Short: "Share a group's opener key t-of-n among named opening authorities, on chain",
		Long: `A group's opener key can be shared t-of-n among named opening authorities
(say the regulator and two consortium members, any 2 of 3): then opening
a signature needs t of them, each acting in public on the chain.

  deal         the dealer shares the opener key, writes each authority's
               share file (0600) and posts the committee, authorised by
               the consortium admin (the group's first committee) or, for
               a rotation, by the active committee's approvals
  approve      an authority of the active committee approves a rotation
  post         posts a rotation's dealing once its approvals are on chain
  show         the group's committees, approvals and history
  abort        the consortium admin aborts a pending first committee

Each authority then accepts its share ('veil audit share accept': it
checks the share against the committee on its own node and posts its
signed share proof); with the n-th the committee becomes active. Openings
are 'veil audit consent', 'veil audit release' and 'veil audit openings'.
A pending committee expires at the end of the first block at least 1 h of
block time and 100 blocks after its own. Custody: the first dealer keeps
the opener key until a committee activates, then erases it ('deal --wait
--erase-opener-key' does); every share file is erased by its holder when
its committee is retired or aborted.`,
		Example: `  veil audit committee deal --node $VEIL_NODE --group payments --opener-key net/groups/payments.opener.key --threshold 2 \
    --authority regulator=regulator.crt --authority acme=acme.crt --authority globex=globex.crt \
    --admin-key net/admin.key --out dealing/
  veil audit share accept --node $VEIL_NODE --share regulator.share --identity regulator.id
  veil audit committee show --node $VEIL_NODE --group payments`,
	}
	cmd.AddCommand(newCommitteeDealCmd(), newCommitteeApproveCmd(), newCommitteePostCmd(),
		newCommitteeShowCmd(), newCommitteeAbortCmd())
	return cmd
}

// errReleaseRule: an authority's own checks refuse to compute its partial
// opening (the release rule, threshold spec §2).
var errReleaseRule = errors.New("the release rule refuses")

// errNotOpened: a transaction the committee has not opened (yet).
var errNotOpened = errors.New("not opened")

// committeeError maps the failure of a committee or opening command: a
// committee not in the state needed on the node, or the release rule,
// is refused (exit 1); the rest as chainError.
func committeeError(err error) error {
	if errors.Is(err, client.ErrCommitteeState) || errors.Is(err, errReleaseRule) || errors.Is(err, errNotOpened) {
		return refused(err)
	}
	return chainError(err)
}

// shareFile is an authority's share file: the share (secret, 0600), with
// the group's name and the authority's label in its headers.
type shareFile struct {
	sh           *groupsig.Share
	group, label string
}

func (sf *shareFile) write(path string) error {
	b, err := groupsig.Block(sf.sh, map[string]string{"Group": sf.group, "Label": sf.label})
	if err != nil {
		return err
	}
	return writeBlocks(path, false, b)
}

func readShareFile(path string) (*shareFile, error) {
	sf := &shareFile{sh: new(groupsig.Share)}
	block, err := readGS2(path, sf.sh)
	if err != nil {
		return nil, err
	}
	if block == nil || block.Headers["Group"] == "" {
		return nil, badInput(fmt.Errorf("%s names no group (no Group header): it is not a share file 'audit committee deal' wrote", path))
	}
	sf.group, sf.label = block.Headers["Group"], block.Headers["Label"]
	return sf, nil
}

// dealing is a dealer's committee file: the committee (public) with its
// authorities' member certificates in index order, what the committee
// transaction carries.
type dealing struct {
	group string
	cm    *groupsig.Committee
	certs [][]byte
}

func (d *dealing) write(path string) error {
	cref := d.cm.Ref()
	b, err := groupsig.Block(d.cm, map[string]string{"Group": d.group, "Cref": hex.EncodeToString(cref[:])})
	if err != nil {
		return err
	}
	blocks := []*pem.Block{b}
	for _, c := range d.certs {
		blocks = append(blocks, &pem.Block{Type: "CERTIFICATE", Bytes: c})
	}
	return writeBlocks(path, false, blocks...)
}

func readDealing(path string) (*dealing, error) {
	d := &dealing{cm: new(groupsig.Committee)}
	block, err := readGS2(path, d.cm)
	if err != nil {
		return nil, err
	}
	if block != nil {
		d.group = block.Headers["Group"]
	}
	data, _ := os.ReadFile(path)
	for rest := bytes.TrimSpace(data); ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if b.Type == "CERTIFICATE" {
			d.certs = append(d.certs, b.Bytes)
		}
	}
	if n := len(d.cm.Authorities()); len(d.certs) != n {
		return nil, badInput(fmt.Errorf("%s holds %d certificates for %d authorities", path, len(d.certs), n))
	}
	return d, nil
}

// parseAuthority reads --authority LABEL=CERT: the authority's member
// certificate (PEM or DER), which must name LABEL and an Ed25519 key.
// The chain checks that its CA issued it.
func parseAuthority(arg string) (groupsig.Authority, []byte, error) {
	label, path, ok := strings.Cut(arg, "=")
	if !ok || label == "" || path == "" {
		return groupsig.Authority{}, nil, badInput(fmt.Errorf("--authority %q: want LABEL=CERT.crt", arg))
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return groupsig.Authority{}, nil, badInput(fmt.Errorf("--authority %s: %w", label, err))
	}
	var cert *x509.Certificate
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("-----")) {
		cert, err = genesis.ParseCertificatePEM(data)
	} else {
		cert, err = x509.ParseCertificate(data)
	}
	if err != nil {
		return groupsig.Authority{}, nil, badInput(fmt.Errorf("--authority %s: %s: %w", label, path, err))
	}
	if cert.Subject.CommonName != label {
		return groupsig.Authority{}, nil, badInput(fmt.Errorf("%w: --authority %s: %s is a certificate for %q", errCertificate, label, path, cert.Subject.CommonName))
	}
	pub, ok := cert.PublicKey.(ed25519.PublicKey)
	if !ok {
		return groupsig.Authority{}, nil, badInput(fmt.Errorf("%w: --authority %s: the certificate's key is not Ed25519", errCertificate, label))
	}
	return groupsig.Authority{Label: label, IdentityKey: pub}, cert.Raw, nil
}

// authorityOf is the index of the identity key id in cm, or a refusal.
func authorityOf(cm *groupsig.Committee, id ed25519.PrivateKey, what string) (int, error) {
	i := client.AuthorityIndex(cm, id.Public().(ed25519.PublicKey))
	if i == 0 {
		cref := cm.Ref()
		return 0, refused(fmt.Errorf("%w: the identity key is not an authority of %s %x…", groupsig.ErrUnknownMember, what, cref[:8]))
	}
	return i, nil
}

// hexRef parses a cref given in hex.
func hexRef(flag, s string) ([32]byte, error) {
	var ref [32]byte
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return ref, badInput(fmt.Errorf("--%s must be 64 hex characters", flag))
	}
	copy(ref[:], b)
	return ref, nil
}
