package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/client"
	"github.com/veilchain/veil/genesis"
	"github.com/veilchain/veil/groupsig"
)

// errJoinPending: the issuer has not answered a join request yet.
var errJoinPending = errors.New("join request still pending")

// joinFlags are the flags of 'group join'.
type joinFlags struct {
	out                          outputFlag
	nf                           nodeFlag
	group, label, identity, cert string
	keyOut, secretPath           string
	resume, noWait, force        bool
	timeout                      time.Duration
}

func newGroupJoinCmd() *cobra.Command {
	var f joinFlags
	cmd := &cobra.Command{
		Use:   "join",
		Short: "Join a group by transaction: post a join request, wait for the issuer's answer, finish the key",
		Long: `The member's side of joining a group on chain (SPEC-groupsig-v2 §3):

 1. fetch the group's gpk_0 with the issuer's and the opener's proofs
    from the chain and check both proofs;
 2. draw the secret y and make the join request (H = h0^y with a proof of
    y, signed by the identity key); y is written to --secret (default
    --out + ".join", mode 0600) and never leaves this machine;
 3. post the request with the member's identity certificate (--cert, from
    'veil ca issue-member') in a transaction signed by the identity key,
    and wait until it is on chain;
 4. wait (up to --timeout) for the issuer's response on chain ('veil group
    issue'), check it and write the member key to --out (mode 0600; the
    file names its label and group), then delete the secret.

An interrupted or timed-out join keeps its secret: run the same command
with --resume to go on from where it stopped (it posts the request again
if it is no longer on chain, which needs --identity and --cert). With
--no-wait it posts the request and exits; finish later with --resume.
--label defaults to the certificate's label. An existing --out is
replaced only with --force.

Exit 1 when the chain refuses the request (invalid_join, …), when another
request took the label, or when --timeout passes with the request still
pending (code "pending"); 2 for bad input.`,
		Example: `  veil group join --node $VEIL_NODE --group payments --identity alice.id --cert alice.crt \
    --out alice.payments.key
  veil group join --node $VEIL_NODE --group payments --identity bob.id --cert bob.crt \
    --out bob.payments.key --no-wait
  veil group join --node $VEIL_NODE --group payments --out bob.payments.key --resume --timeout 10m`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runJoin(cmd, &f) },
	}
	f.out.register(cmd)
	f.nf.register(cmd)
	cmd.Flags().StringVar(&f.group, "group", "", "the group to join (required)")
	cmd.Flags().StringVar(&f.label, "label", "", "the label to join under (default: the certificate's)")
	cmd.Flags().StringVar(&f.identity, "identity", "", "the member's Ed25519 identity key file")
	cmd.Flags().StringVar(&f.cert, "cert", "", "the member's identity certificate from the consortium CA (PEM or DER)")
	cmd.Flags().StringVar(&f.keyOut, "out", "", "file to write the member key to (required)")
	cmd.Flags().StringVar(&f.secretPath, "secret", "", "where the join secret is kept until the key is finished (default --out + .join)")
	cmd.Flags().BoolVar(&f.resume, "resume", false, "go on with the join whose secret is in --secret")
	cmd.Flags().BoolVar(&f.noWait, "no-wait", false, "post the request and exit without waiting for the issuer")
	cmd.Flags().BoolVar(&f.force, "force", false, "replace an existing --out")
	cmd.Flags().DurationVar(&f.timeout, "timeout", 10*time.Minute, "how long to wait for the issuer's response")
	_ = cmd.MarkFlagRequired("group")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

// readMemberCert reads an identity certificate, PEM or DER, and returns
// it with its DER.
func readMemberCert(path string) (*x509.Certificate, []byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, badInput(fmt.Errorf("read certificate: %w", err))
	}
	if block, _ := pem.Decode(bytes.TrimSpace(data)); block != nil {
		cert, err := genesis.ParseCertificatePEM(bytes.TrimSpace(data))
		if err != nil {
			return nil, nil, badInput(fmt.Errorf("certificate %s: %w", path, err))
		}
		return cert, cert.Raw, nil
	}
	cert, err := x509.ParseCertificate(data)
	if err != nil {
		return nil, nil, badInput(fmt.Errorf("certificate %s: neither PEM nor DER: %w", path, err))
	}
	return cert, cert.Raw, nil
}

// joinCredentials reads the identity key and its certificate, and checks
// that they belong together and to the label.
func (f *joinFlags) credentials(label string) (ed25519.PrivateKey, []byte, string, error) {
	if f.identity == "" || f.cert == "" {
		return nil, nil, "", badInput(errors.New("give --identity and --cert: the join request is signed by the identity key and posted with its certificate"))
	}
	id, err := readIdentity(f.identity)
	if err != nil {
		return nil, nil, "", err
	}
	cert, der, err := readMemberCert(f.cert)
	if err != nil {
		return nil, nil, "", err
	}
	pub, ok := cert.PublicKey.(ed25519.PublicKey)
	if !ok || !pub.Equal(id.Public()) {
		return nil, nil, "", badInput(fmt.Errorf("%w: %s certifies another key than %s", errCertificate, f.cert, f.identity))
	}
	if label == "" {
		label = cert.Subject.CommonName
	}
	if label != cert.Subject.CommonName {
		return nil, nil, "", badInput(fmt.Errorf("%w: --label %q, the certificate is for %q", errCertificate, label, cert.Subject.CommonName))
	}
	return id, der, label, nil
}

func runJoin(cmd *cobra.Command, f *joinFlags) error {
	if err := f.out.validate(); err != nil {
		return err
	}
	if f.secretPath == "" {
		f.secretPath = f.keyOut + ".join"
	}
	if !f.force {
		if err := checkAbsent(f.keyOut); err != nil {
			return err
		}
	}
	c, err := f.nf.client()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout)
	defer cancel()
	say := func(format string, args ...any) {
		if f.out.format == "text" {
			fmt.Fprintf(cmd.ErrOrStderr(), format+"\n", args...)
		}
	}

	js := new(groupsig.JoinSecret)
	res := map[string]any{"group": f.group}
	admitted := false
	if f.resume {
		if _, err := readGS2(f.secretPath, js); err != nil {
			return badInput(fmt.Errorf("--resume: %w (no join in progress?)", err))
		}
		if f.label != "" && f.label != js.Request().Label() {
			return badInput(fmt.Errorf("--label %q: the join in progress is for %q", f.label, js.Request().Label()))
		}
		state, _, err := c.JoinStatus(ctx, f.group, js.Request())
		if err != nil {
			return chainError(err)
		}
		res["resumed_from"] = state.String()
		if state == client.JoinSuperseded {
			return refused(fmt.Errorf("group %q admitted another request under %q: %w (the secret in %s is of no more use)", f.group, js.Request().Label(), client.ErrJoinSuperseded, f.secretPath))
		}
		admitted = state == client.JoinAdmitted
		if state == client.JoinAbsent {
			id, cert, _, err := f.credentials(js.Request().Label())
			if err != nil {
				return fmt.Errorf("the join request is not on chain (dropped or expired) and must be posted again: %w", err)
			}
			if err := postJoin(ctx, c, f, js.Request(), cert, id, res, say); err != nil {
				return err
			}
		}
	} else {
		if err := checkAbsent(f.secretPath); err != nil {
			return badInput(fmt.Errorf("a join is in progress (%s holds its secret): go on with --resume, or remove it to start over: %w", f.secretPath, err))
		}
		id, cert, label, err := f.credentials(f.label)
		if err != nil {
			return err
		}
		gk, ip, op, err := c.GroupOrigin(ctx, f.group)
		if err != nil {
			return chainError(checkJoinKeyError(err))
		}
		req, secret, err := groupsig.NewJoinRequest(gk, ip, op, label, id, rand.Reader)
		if err != nil {
			return checkError(err)
		}
		js = secret
		// The secret first: a request on chain without it could never be finished.
		if err := writeObjects(f.secretPath, false, js); err != nil {
			return err
		}
		if err := postJoin(ctx, c, f, req, cert, id, res, say); err != nil {
			return err
		}
	}
	req := js.Request()
	hreq := req.Hash()
	res["label"], res["request"], res["secret_file"] = req.Label(), hex.EncodeToString(hreq[:]), f.secretPath
	if f.noWait {
		res["state"] = "pending"
		return f.out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
			fmt.Fprintf(w, "join request %x for %q is on chain, pending the issuer's answer\n  secret kept in %s: finish with --resume\n", hreq[:8], req.Label(), f.secretPath)
		})
	}
	if !admitted {
		say("waiting for the issuer of %q to answer join request %x (up to %s)…", f.group, hreq[:8], f.timeout)
	}
	resp, err := c.AwaitJoinResponse(ctx, f.group, req)
	if errors.Is(err, context.DeadlineExceeded) {
		return refused(fmt.Errorf("%w: no answer to join request %x after %s: it stays on chain; the secret is kept in %s: run again with --resume",
			errJoinPending, hreq[:8], f.timeout, f.secretPath))
	}
	if err != nil {
		return chainError(err)
	}
	mk, err := js.Finish(resp)
	if err != nil {
		return checkError(fmt.Errorf("the issuer's response: %w", err))
	}
	gk, err := js.GroupKey().AtEpoch(mk.Epoch())
	if err != nil {
		return err
	}
	mf := &memberFile{mk: mk, gk: gk, label: req.Label(), group: f.group}
	if err := mf.write(f.keyOut, f.force); err != nil {
		return err
	}
	if err := os.Remove(f.secretPath); err != nil {
		say("veil: could not remove the join secret %s: %v", f.secretPath, err)
	}
	joined := mk.Epoch()
	if g, err := c.Group(ctx, f.group); err == nil && g.Epoch > mk.Epoch() {
		if mf, err = updateFromChain(ctx, c, f.keyOut, mf, f.group, g.Epoch); err != nil {
			return fmt.Errorf("member key written to %s at epoch %d, but: %w", f.keyOut, joined, err)
		}
	}
	res["state"], res["joined_epoch"], res["epoch"], res["a"], res["key_file"] = "admitted", joined, mf.mk.Epoch(), hex.EncodeToString(mf.mk.A()), f.keyOut
	return f.out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
		fmt.Fprintf(w, "joined %q as %q at epoch %d -> %s (secret)\n  A %x\n", f.group, req.Label(), joined, f.keyOut, mf.mk.A())
	})
}

// postJoin submits the request and waits until it is on chain.
func postJoin(ctx context.Context, c *client.Client, f *joinFlags, req *groupsig.JoinRequest, cert []byte, id ed25519.PrivateKey,
	res map[string]any, say func(string, ...any)) error {
	txID, h, err := c.SubmitJoinRequest(ctx, f.group, req, cert, id)
	if client.IsCode(err, "duplicate") || client.IsCode(err, "invalid_join") {
		// Maybe an earlier run's request is still in flight: give it a moment.
		select {
		case <-ctx.Done():
		case <-time.After(2 * time.Second):
		}
		if state, _, serr := c.JoinStatus(ctx, f.group, req); serr == nil && (state == client.JoinPending || state == client.JoinAdmitted) {
			return nil
		}
	}
	if err != nil {
		return chainError(fmt.Errorf("post the join request: %w", err))
	}
	hreq := req.Hash()
	res["tx"], res["height"] = txID, h
	say("join request %x for %q posted at height %d (transaction %s)", hreq[:8], req.Label(), h, txID)
	return nil
}

// checkJoinKeyError marks proofs of gpk_0 that fail as refused.
func checkJoinKeyError(err error) error {
	if errors.Is(err, groupsig.ErrInvalidProof) || errors.Is(err, groupsig.ErrInvalidKey) {
		return refused(err)
	}
	return err
}
