package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/api"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/client"
	"github.com/veilchain/veil/groupsig"
	"github.com/veilchain/veil/node"
	"github.com/veilchain/veil/version"
)

// Exit statuses shared by every command.
const (
	exitRefused = 1 // a signature, proof, record, opening or request was checked and refused
	exitUsage   = 2 // bad usage or unreadable input
)

// exitError carries the exit status a failure should end the process with.
type exitError struct {
	code int
	err  error
	// reported: the command already wrote the error on stderr (a node's
	// start-up failure, as a log line); execute does not repeat it.
	reported bool
	// printed: the command already printed its result (veil status with
	// no leader), so --output json adds no error object after it.
	printed bool
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func refused(err error) error { return &exitError{code: exitRefused, err: err} }

func badInput(err error) error { return &exitError{code: exitUsage, err: err} }

// printedRefusal is a refusal whose command has printed its result.
func printedRefusal(err error) error { return &exitError{code: exitRefused, err: err, printed: true} }

// exitStatus is the status a command's error ends the process with. A
// network failure is exitNetwork whatever the command wrapped it as:
// the outcome is unknown, not refused.
func exitStatus(err error) int {
	if networkCode(err) != "" {
		return exitNetwork
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return exitUsage
}

// errorCodes name an error by the first sentinel it wraps, for the
// "code" of --output json's error object.
var errorCodes = []struct {
	err  error
	code string
}{
	{errReleaseRule, "release_refused"}, {errNotOpened, "not_opened"}, {client.ErrCommitteeState, "committee_inactive"},
	{groupsig.ErrNotAccountable, "not_accountable"},
	{groupsig.ErrRevoked, "revoked"},
	{groupsig.ErrDuplicate, "duplicate"},
	{groupsig.ErrUnknownMember, "unknown_member"},
	{groupsig.ErrInvalidSignature, "invalid_signature"},
	{groupsig.ErrInvalidProof, "invalid_proof"},
	{groupsig.ErrInvalidKey, "invalid_key"},
	{groupsig.ErrInvalidRevocation, "invalid_revocation"},
	{groupsig.ErrWrongSuite, "wrong_suite"},
	{groupsig.ErrWrongGroup, "wrong_group"},
	{groupsig.ErrMalformed, "malformed"},
	{groupsig.ErrRandom, "random_failed"},
	{client.ErrJoinSuperseded, "superseded"},
	{client.ErrJoinDropped, "join_dropped"},
	{client.ErrTxDropped, "tx_dropped"},
	{errJoinPending, "pending"},
	{errCertificate, "bad_certificate"},
	{chain.ErrEvidence, "bad_evidence"},
	{errOutOfSync, "out_of_sync"},
	{errFileExists, "file_exists"},
	{node.ErrBadBackup, "bad_backup"},
}

// errorObject is --output json's form of a failure, the API's
// {"error": {"code": …, "message": …}}, with the failed condition of an
// accountable-opening check.
type errorObject struct {
	Error struct {
		api.ErrorDetail
		Condition int `json:"condition,omitempty"`
	} `json:"error"`
}

func newErrorObject(err error) *errorObject {
	var o errorObject
	o.Error.Message = err.Error()
	var ae *client.Error
	var acc *groupsig.AccountabilityError
	switch {
	case networkCode(err) != "":
		o.Error.Code = networkCode(err)
	case errors.As(err, &ae):
		o.Error.Code = ae.Code
	case errors.As(err, &acc):
		o.Error.Code, o.Error.Condition = "not_accountable", acc.Condition
	default:
		for _, c := range errorCodes {
			if errors.Is(err, c.err) {
				o.Error.Code = c.code
				break
			}
		}
	}
	if o.Error.Code == "" {
		o.Error.Code = map[int]string{exitRefused: "refused", exitUsage: "usage"}[exitStatus(err)]
	}
	return &o
}

// wantsJSON reports whether the command that ran (or failed to parse its
// flags) was asked for --output json.
func wantsJSON(cmd *cobra.Command, args []string) bool {
	if cmd != nil {
		if f := cmd.Flags().Lookup("output"); f != nil && f.Changed {
			return f.Value.String() == "json"
		}
	}
	for i, a := range args {
		switch {
		case a == "--output" || a == "-o":
			if i+1 < len(args) && args[i+1] == "json" {
				return true
			}
		case a == "--output=json" || a == "-o=json" || a == "-ojson":
			return true
		}
	}
	return false
}

// execute runs the CLI on args and returns its exit status. A failure is
// reported on stderr and, under --output json, also as an error object on
// stdout.
func execute(root *cobra.Command, args []string, stdout, stderr io.Writer) int {
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteC()
	if err == nil {
		return 0
	}
	var ee *exitError
	isExit := errors.As(err, &ee)
	if !isExit || !ee.reported {
		fmt.Fprintf(stderr, "veil: %v\n", err)
	}
	if wantsJSON(cmd, args) && !(isExit && ee.printed) {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(newErrorObject(err))
	}
	return exitStatus(err)
}

// outputFlag is the --output flag of commands that print data.
type outputFlag struct{ format string }

func (o *outputFlag) register(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&o.format, "output", "o", "text", "output format: text or json")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))
}

func (o *outputFlag) validate() error {
	if o.format != "text" && o.format != "json" {
		return badInput(fmt.Errorf("--output must be text or json, not %q", o.format))
	}
	return nil
}

// print writes v as indented JSON under --output json, otherwise text.
func (o *outputFlag) print(w io.Writer, v any, text func(io.Writer)) error {
	if o.format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	text(w)
	return nil
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "veil",
		Short: "veil: a consortium chain with anonymous, auditable transactions",
		Long: `veil runs a consortium blockchain whose transactions carry group
signatures (SPEC-groupsig-v2.md): nodes check that a member of a registered
group signed, without learning which one; the group's opener can name the
signer and prove it to anyone.

A member gets an identity certificate from the consortium CA ('member
request-cert', 'ca issue-member'), joins a group by transaction with a
secret only it knows ('group join'; the issuer answers with 'group
issue'), and signs transactions locally ('tx send'). The issuer revokes
on chain ('group revoke'); remaining members update from chain state. The
regulator builds evidence from chain data ('audit open') that anyone
checks offline against the CA ('audit check'). The offline commands
(group create, join-request, issue --request, join-finish, revoke,
update-key --record, sign, verify, open, verify-opening, audit evidence)
work on v2 objects without a network.

Exit status: 0 success; 1 refused (a signature, proof, record, opening or
request was checked and refused, by this command or by the node); 2 bad
usage, unreadable input, or a node that could not start; 3 network: no
answer from the node (connection refused or reset, DNS, TLS, or a
timeout, 'tx send --wait' not committed within --timeout included), so
the outcome is unknown. With --output json a failure also prints
{"error": {"code": …, "message": …}} on stdout; the network codes are
unreachable, dns, tls and timeout.`,
		Example: `  veil member request-cert --identity alice.id --org "Acme Bank" --label alice --out alice.csr
  veil group join --node $VEIL_NODE --group payments --identity alice.id --cert alice.crt --out alice.payments.key
  veil tx send --key alice.payments.key --topic orders --data "pay 10" --wait`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.Version = version.Get().Version
	root.SetVersionTemplate(versionText(version.Get()))
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return badInput(err) })
	root.AddCommand(newMemberCmd(), newCACmd(), newGroupCmd(), newTopicCmd(), newSignCmd(), newVerifyCmd(), newOpenCmd(), newVerifyOpeningCmd(),
		newGenesisCmd(), newNodeCmd(), newTestnetCmd(), newTxCmd(), newBlockCmd(), newStatusCmd(), newEventsCmd(), newAuditCmd(), newBenchCmd(), newVersionCmd(), newValidatorCmd())
	return root
}
