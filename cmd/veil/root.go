package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// Exit statuses shared by every command.
const (
	exitRefused = 1 // a signature, proof or record was checked and refused
	exitUsage   = 2 // bad usage or unreadable input
)

// exitError carries the exit status a failure should end the process with.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func refused(err error) error { return &exitError{code: exitRefused, err: err} }

func badInput(err error) error { return &exitError{code: exitUsage, err: err} }

// outputFlag is the --output flag of commands that print data.
type outputFlag struct{ format string }

func (o *outputFlag) register(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&o.format, "output", "o", "text", "output format: text or json")
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
		Long: `veil runs a consortium blockchain whose transactions carry BBS04 group
signatures: nodes check that a member of a registered group signed, without
learning which one; the group's opener can name the signer and prove it.`,
		Example: `  veil group create --name acme --dir keys
  veil group add-member --dir keys --name acme --label alice --out alice.key
  veil sign --key alice.key --message "hello"`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return badInput(err) })
	root.AddCommand(newGroupCmd(), newSignCmd(), newVerifyCmd(), newOpenCmd(), newVerifyOpeningCmd(),
		newGenesisCmd(), newNodeCmd(), newTestnetCmd(), newTxCmd(), newBlockCmd(), newStatusCmd(), newEventsCmd(), newAuditCmd(), newBenchCmd())
	return root
}
