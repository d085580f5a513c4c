package main

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/api"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/client"
	"github.com/veilchain/veil/genesis"
	"github.com/veilchain/veil/groupsig"
)

// onChainFlags are --node and --admin-key: the on-chain form of the group
// and topic commands, which submit an admin transaction and wait for its
// commit.
type onChainFlags struct {
	node     nodeFlag
	adminKey string
	timeout  time.Duration
}

func (o *onChainFlags) register(cmd *cobra.Command, whose string) {
	o.node.register(cmd)
	cmd.Flags().StringVar(&o.adminKey, "admin-key", "", whose+" Ed25519 admin key file; with --node, submits the change on chain")
	cmd.Flags().DurationVar(&o.timeout, "timeout", 60*time.Second, "give up waiting for the node after this long")
}

func (o *onChainFlags) enabled() bool { return o.adminKey != "" }

// key reads the admin key.
func (o *onChainFlags) key() (ed25519.PrivateKey, error) {
	if o.adminKey == "" {
		return nil, badInput(errors.New("no --admin-key given"))
	}
	key, err := genesis.ReadPrivateKey(o.adminKey)
	if err != nil {
		return nil, badInput(fmt.Errorf("--admin-key: %w", err))
	}
	return key, nil
}

// context is the command's context with --timeout.
func (o *onChainFlags) context(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	return context.WithTimeout(cmd.Context(), o.timeout)
}

// submitAdmin signs tx with the admin key, submits it through --node and
// waits until it is committed.
func (o *onChainFlags) submitAdmin(ctx context.Context, tx *chain.Tx) (string, uint64, error) {
	key, err := o.key()
	if err != nil {
		return "", 0, err
	}
	c, err := o.node.client()
	if err != nil {
		return "", 0, err
	}
	id, h, err := c.SubmitAdmin(ctx, tx, key)
	if err != nil {
		return "", 0, chainError(err)
	}
	return id, h, nil
}

// chainError maps a failure of a chain round trip: a refusal by the node
// (with its code), a transaction dropped from its block, a join that can
// no longer be answered, or a wait that timed out is refused (exit 1);
// an unreachable node or a bad URL is bad input (exit 2).
func chainError(err error) error {
	var ee *exitError
	if errors.As(err, &ee) {
		return err
	}
	var ae *client.Error
	for _, e := range []error{client.ErrTxDropped, client.ErrJoinDropped, client.ErrJoinSuperseded} {
		if errors.Is(err, e) {
			return refused(err)
		}
	}
	if errors.As(err, &ae) {
		return refused(err)
	}
	return badInput(err)
}

// errOutOfSync: an issuer directory does not match the group on chain.
var errOutOfSync = errors.New("the issuer's registry and the chain disagree")

// memberGroup names the on-chain group of a member key file: --group if
// given (checked against the key), else the file's "Group" header
// (checked), else the group whose key matches. It returns the name and
// the group's register.
func memberGroup(ctx context.Context, c *client.Client, mf *memberFile, flag string) (string, *api.GroupResponse, error) {
	name := flag
	if name != "" && mf.group != "" && name != mf.group {
		return "", nil, badInput(fmt.Errorf("--group %q: the key file is of group %q", name, mf.group))
	}
	if name == "" {
		name = mf.group
	}
	if name == "" {
		var err error
		if name, err = c.GroupOf(ctx, mf.gk); err != nil {
			return "", nil, chainError(fmt.Errorf("find the key's group: %w (give --group)", err))
		}
	}
	g, err := c.Group(ctx, name)
	if err != nil {
		return "", nil, chainError(err)
	}
	gk := new(groupsig.GroupKey)
	if b, err := hex.DecodeString(g.GroupKey); err != nil || gk.UnmarshalBinary(b) != nil {
		return "", nil, badInput(fmt.Errorf("group %q: the node sent an unreadable group key", name))
	}
	if !gk.SameGroup(mf.gk) {
		return "", nil, badInput(fmt.Errorf("%w: the member key is not of group %q on this chain", groupsig.ErrWrongGroup, name))
	}
	if mf.mk.Epoch() > g.Epoch {
		return "", nil, badInput(fmt.Errorf("the member key is at epoch %d, group %q on this chain only at %d", mf.mk.Epoch(), name, g.Epoch))
	}
	return name, g, nil
}

// updateFromChain brings a member key file up to the group's epoch on
// chain (epoch) from the chain's revocation records, and writes it back
// over path atomically. It returns mf itself when it is current. A
// member a record revoked is refused (exit 1, code "revoked").
func updateFromChain(ctx context.Context, c *client.Client, path string, mf *memberFile, group string, epoch uint64) (*memberFile, error) {
	if mf.mk.Epoch() >= epoch {
		return mf, nil
	}
	if mf.label == "" {
		return nil, badInput(fmt.Errorf("%s names no label (no Label header): cannot find its re-issued certificate", path))
	}
	recs, err := c.RevocationRecords(ctx, group)
	if err != nil {
		return nil, chainError(err)
	}
	up, err := client.UpdateFromRecords(mf.gs(), recs)
	if errors.Is(err, groupsig.ErrRevoked) {
		at := uint64(0)
		for i := mf.mk.Epoch(); i < uint64(len(recs)) && at == 0; i++ {
			if slices.Contains(recs[i].Revoked(), mf.label) {
				at = recs[i].Epoch()
			}
		}
		if at == 0 {
			return nil, refused(fmt.Errorf("%q is no longer a member of group %q: this key can no longer sign for it: %w", mf.label, group, err))
		}
		return nil, refused(fmt.Errorf("%q was revoked from group %q at epoch %d: this key can no longer sign for it (%w)", mf.label, group, at, groupsig.ErrRevoked))
	}
	if err != nil {
		return nil, checkError(fmt.Errorf("update %s from the chain's revocation records: %w", path, err))
	}
	next := mf.with(up)
	next.group = group
	if err := next.write(path, true); err != nil {
		return nil, err
	}
	return next, nil
}
