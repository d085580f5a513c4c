package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/api"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/client"
	"github.com/veilchain/veil/groupsig"
)

// issueFlags are the flags of 'group issue'.
type issueFlags struct {
	gd                         groupDirFlags
	out                        outputFlag
	oc                         onChainFlags
	reqPath, respOut, identity string
	pending, all, auto         bool
	labels, hashes             []string
	policyPath                 string
}

func newGroupIssueCmd() *cobra.Command {
	var f issueFlags
	cmd := &cobra.Command{
		Use:   "issue",
		Short: "Answer join requests: on chain (pending requests) or offline (a request file)",
		Long: `The issuer's side of a join. It checks a join request (its proof of the
member's secret, its identity signature, and that its label, H and hash
are new to the group), issues the certificate (A, x) at the group's
current epoch and records the join in DIR/NAME.registry. The issuer never
learns the member's secret y.

On chain (--node, --admin-key: the group's issuer admin key):
  --pending             list the join requests waiting on chain (label,
                        organisation from the member's certificate,
                        identity key, request hash), and answer none
                        (this needs neither --dir nor --admin-key)
  --label L / --hash H  answer these (repeat the flags)
  --all                 answer every pending request
  --auto --policy FILE  answer those the policy admits and leave the
                        others pending, saying why. The policy is JSON:
                        {"groups": {"payments": ["Acme Bank", "Globex Insurance"]}}
                        ("*" admits every organisation)
Each answer is a join response transaction signed by the admin key,
waited for until committed; the registry is saved before it is posted, so
a run that stops half way posts the same answer again when re-run. With
--policy, --label, --hash and --all answer only what the policy admits.

Offline (--request FILE --out FILE): answer one request file and write
the response file for the member ('group join-finish'). With --identity
the request must also be signed by that key.`,
		Example: `  veil group issue --node $VEIL_NODE --dir net/groups --name payments \
    --admin-key net/groups/payments.admin.key --pending
  veil group issue --node $VEIL_NODE --dir net/groups --name payments \
    --admin-key net/groups/payments.admin.key --auto --policy policy.json
  veil group issue --node $VEIL_NODE --dir net/groups --name payments \
    --admin-key net/groups/payments.admin.key --label alice --output json
  veil group issue --dir "$ISSUER_DIR" --name acme --request alice.req --out alice.resp`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.out.validate(); err != nil {
				return err
			}
			onChain := f.pending || f.all || f.auto || len(f.labels) > 0 || len(f.hashes) > 0
			switch {
			case onChain && (f.reqPath != "" || f.respOut != ""):
				return badInput(errors.New("--request/--out answer a request file offline; --pending, --label, --hash, --all and --auto answer on chain: not both"))
			case onChain:
				return issueOnChain(cmd, &f)
			case f.reqPath == "" || f.respOut == "":
				return badInput(errors.New("give --request and --out (offline), or --pending, --label, --hash, --all or --auto with --node and --admin-key (on chain)"))
			}
			return issueOffline(cmd, &f)
		},
	}
	f.gd.register(cmd)
	f.out.register(cmd)
	f.oc.register(cmd, "the group issuer's")
	cmd.Flags().StringVar(&f.reqPath, "request", "", "offline: the member's join request file")
	cmd.Flags().StringVar(&f.respOut, "out", "", "offline: file to write the response to")
	cmd.Flags().StringVar(&f.identity, "identity", "", "offline: require this Ed25519 identity key (PEM file or hex) to have signed the request")
	cmd.Flags().BoolVar(&f.pending, "pending", false, "on chain: list the pending join requests")
	cmd.Flags().StringArrayVar(&f.labels, "label", nil, "on chain: answer the pending request of this label (repeat)")
	cmd.Flags().StringArrayVar(&f.hashes, "hash", nil, "on chain: answer the pending request with this hash (hex, or a prefix; repeat)")
	cmd.Flags().BoolVar(&f.all, "all", false, "on chain: answer every pending request")
	cmd.Flags().BoolVar(&f.auto, "auto", false, "on chain: answer the pending requests --policy admits")
	cmd.Flags().StringVar(&f.policyPath, "policy", "", "join policy file (JSON): which organisations may join which groups")
	return cmd
}

func issueOffline(cmd *cobra.Command, f *issueFlags) error {
	if err := checkAbsent(f.respOut); err != nil {
		return err
	}
	g := f.gd.gs2()
	ik, reg, err := g.load()
	if err != nil {
		return err
	}
	req := new(groupsig.JoinRequest)
	if _, err := readGS2(f.reqPath, req); err != nil {
		return err
	}
	if f.identity != "" {
		want, err := parsePublicKey("identity", f.identity)
		if err != nil {
			return err
		}
		if !bytes.Equal(want, req.IdentityKey()) {
			return refused(fmt.Errorf("the request for %q is signed by identity key %x, not by --identity", req.Label(), req.IdentityKey()))
		}
	}
	resp, err := reg.Issue(ik, req, rand.Reader)
	if err != nil {
		return checkError(err)
	}
	// The registry first: a response it does not hold would let x or the label be issued twice.
	if err := writeObjects(g.registryPath(), true, reg); err != nil {
		return err
	}
	if err := writeObjects(f.respOut, false, resp); err != nil {
		return err
	}
	res := map[string]any{"label": resp.Label(), "epoch": resp.Epoch(), "a": hex.EncodeToString(resp.A()),
		"identity_public_key": hex.EncodeToString(req.IdentityKey()), "response_file": f.respOut, "registry": g.registryPath()}
	return f.out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
		fmt.Fprintf(w, "issued %q at epoch %d -> %s (public: send it to the member)\n  A %s\n  recorded in %s\n", resp.Label(), resp.Epoch(), f.respOut, res["a"], g.registryPath())
	})
}

// pendingView is one pending request as 'group issue' prints it.
type pendingView struct {
	Label       string `json:"label"`
	Org         string `json:"org"`
	IdentityKey string `json:"identity_key"`
	Hash        string `json:"hash"`
	Height      uint64 `json:"height"`
	// Answered: its response's transaction, height and A.
	Tx   string `json:"tx,omitempty"`
	At   uint64 `json:"committed_height,omitempty"`
	A    string `json:"a,omitempty"`
	Why  string `json:"reason,omitempty"` // why it was left pending
	hash [32]byte
}

func issueOnChain(cmd *cobra.Command, f *issueFlags) error {
	if f.auto && f.policyPath == "" {
		return badInput(errors.New("--auto answers what a policy admits: give --policy FILE"))
	}
	var policy *client.JoinPolicy
	if f.policyPath != "" {
		data, err := os.ReadFile(f.policyPath)
		if err != nil {
			return badInput(fmt.Errorf("read policy: %w", err))
		}
		if policy, err = client.ParseJoinPolicy(data); err != nil {
			return badInput(fmt.Errorf("%s: %w", f.policyPath, err))
		}
	}
	answering := f.all || f.auto || len(f.labels) > 0 || len(f.hashes) > 0
	if answering && !f.oc.enabled() {
		return badInput(errors.New("answering on chain needs --admin-key (the group issuer's admin key)"))
	}
	c, err := f.oc.node.client()
	if err != nil {
		return err
	}
	ctx, cancel := f.oc.context(cmd)
	defer cancel()
	grp, pending, err := c.PendingJoins(ctx, f.gd.name)
	if err != nil {
		return chainError(err)
	}
	g := f.gd.gs2()
	var ik *groupsig.IssuerKey
	var reg *groupsig.Registry
	if answering { // listing needs no issuer files
		if ik, reg, err = g.load(); err != nil {
			return err
		}
		if err := checkRegistry(reg, grp.GroupKey, grp.Epoch, grp.Members, f.gd.name); err != nil {
			return err
		}
	}
	views := make([]*pendingView, len(pending))
	for i, p := range pending {
		views[i] = &pendingView{Label: p.Label, Org: p.Org, IdentityKey: hex.EncodeToString(p.IdentityKey), Hash: hex.EncodeToString(p.Hash[:]), Height: p.Height, hash: p.Hash}
	}
	res := map[string]any{"group": f.gd.name, "epoch": grp.Epoch, "pending": views}
	if !answering {
		return f.out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
			printPending(w, f.gd.name, views)
		})
	}
	selected, err := selectPending(views, f)
	if err != nil {
		return err
	}
	answered, left := []*pendingView{}, []*pendingView{}
	for i, v := range views {
		if !selected[i] {
			continue
		}
		if policy != nil {
			if ok, why := policy.Allows(f.gd.name, v.Org); !ok {
				v.Why = why
				left = append(left, v)
				continue
			}
		}
		resp, err := issueOne(reg, ik, pending[i], g)
		if err != nil {
			v.Why = err.Error()
			left = append(left, v)
			continue
		}
		txID, h, err := f.oc.submitAdmin(ctx, joinResponseTx(f.gd.name, resp))
		if err != nil {
			return fmt.Errorf("answered %q in %s, but posting the response failed (run again to post it): %w", v.Label, g.registryPath(), err)
		}
		v.Tx, v.At, v.A = txID, h, hex.EncodeToString(resp.A())
		answered = append(answered, v)
	}
	res["answered"], res["left_pending"] = answered, left
	return f.out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
		for _, v := range answered {
			fmt.Fprintf(w, "answered      %-12s %-20s request %s, committed at height %d\n", v.Label, v.Org, short(v.Hash), v.At)
		}
		for _, v := range left {
			fmt.Fprintf(w, "left pending  %-12s %-20s request %s: %s\n", v.Label, v.Org, short(v.Hash), v.Why)
		}
		if len(answered)+len(left) == 0 {
			fmt.Fprintln(w, "no pending request selected")
		}
	})
}

func printPending(w io.Writer, group string, views []*pendingView) {
	if len(views) == 0 {
		fmt.Fprintf(w, "no join requests pending for %q\n", group)
		return
	}
	fmt.Fprintf(w, "%d join requests pending for %q:\n", len(views), group)
	fmt.Fprintf(w, "  %-12s %-20s %-17s %-17s %s\n", "LABEL", "ORGANISATION", "IDENTITY KEY", "REQUEST", "HEIGHT")
	for _, v := range views {
		fmt.Fprintf(w, "  %-12s %-20s %-17s %-17s %d\n", v.Label, v.Org, short(v.IdentityKey), short(v.Hash), v.Height)
	}
}

// selectPending marks the requests --all, --auto, --label and --hash name.
func selectPending(views []*pendingView, f *issueFlags) ([]bool, error) {
	sel := make([]bool, len(views))
	if f.all || f.auto {
		for i := range sel {
			sel[i] = true
		}
		return sel, nil
	}
	for _, l := range f.labels {
		var hits []int
		for i, v := range views {
			if v.Label == l {
				hits = append(hits, i)
			}
		}
		switch len(hits) {
		case 0:
			return nil, badInput(fmt.Errorf("--label %q: no pending join request has this label", l))
		case 1:
			sel[hits[0]] = true
		default:
			return nil, badInput(fmt.Errorf("--label %q: %d pending requests have this label: pick one with --hash", l, len(hits)))
		}
	}
	for _, h := range f.hashes {
		h = strings.ToLower(strings.TrimSpace(h))
		var hits []int
		for i, v := range views {
			if h != "" && strings.HasPrefix(v.Hash, h) {
				hits = append(hits, i)
			}
		}
		if len(hits) != 1 {
			return nil, badInput(fmt.Errorf("--hash %q matches %d pending requests, want 1", h, len(hits)))
		}
		sel[hits[0]] = true
	}
	return sel, nil
}

// issueOne answers a pending request with the registry and saves it, or
// finds the answer an earlier run saved but may not have posted.
func issueOne(reg *groupsig.Registry, ik *groupsig.IssuerKey, p client.Pending, g gs2Dir) (*groupsig.JoinResponse, error) {
	if j, ok := reg.JoinRecord(p.Label); ok {
		if j.Request.Hash() == p.Hash {
			return j.Response, nil // answered before; post it again
		}
		return nil, fmt.Errorf("the registry already holds %q with another request", p.Label)
	}
	resp, err := reg.Issue(ik, p.Request, rand.Reader)
	if err != nil {
		return nil, err
	}
	if err := writeObjects(g.registryPath(), true, reg); err != nil {
		return nil, err
	}
	return resp, nil
}

func joinResponseTx(group string, resp *groupsig.JoinResponse) *chain.Tx {
	enc, _ := resp.MarshalBinary()
	return &chain.Tx{Kind: chain.KindJoinResponse, Group: group, JoinResponse: enc}
}

// checkRegistry checks that an issuer's registry is the books of the
// group on chain: the same group, the same epoch, and every member on
// chain answered by the registry with the same certificate.
func checkRegistry(reg *groupsig.Registry, keyHex string, epoch uint64, members []api.MemberSummary, name string) error {
	gk := new(groupsig.GroupKey)
	if b, err := hex.DecodeString(keyHex); err != nil || gk.UnmarshalBinary(b) != nil {
		return badInput(fmt.Errorf("group %q: the node sent an unreadable group key", name))
	}
	if !reg.GroupKey().SameGroup(gk) {
		return badInput(fmt.Errorf("%w: the registry is of another group than %q on chain", groupsig.ErrWrongGroup, name))
	}
	if e := reg.GroupKey().Epoch(); e != epoch {
		return badInput(fmt.Errorf("%w: the registry is at epoch %d, group %q on chain at %d", errOutOfSync, e, name, epoch))
	}
	for _, m := range members {
		j, ok := reg.JoinRecord(m.Label)
		if !ok || hex.EncodeToString(j.Response.A()) != m.A {
			return badInput(fmt.Errorf("%w: member %q of %q on chain is not the registry's", errOutOfSync, m.Label, name))
		}
	}
	return nil
}

// short is a long hex string cut to 16 digits and an ellipsis.
func short(s string) string {
	if len(s) <= 16 {
		return s
	}
	return s[:16] + "…"
}
