package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/version"
)

func newVersionCmd() *cobra.Command {
	var out outputFlag
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit, Go version and groupsig suites of this binary",
		Long: `Print this binary's build: its version (git describe, "devel" for a
plain go build), the commit it was built from ("+dirty" when the checkout
had changes), the Go toolchain and the groupsig suites it implements. A
running node reports the same in /v1/status (version), the
veil_build_info metric and its first log line. 'veil --version' prints
the text form.`,
		Example: `  veil version
  veil version --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			v := version.Get()
			return out.print(cmd.OutOrStdout(), v, func(w io.Writer) { fmt.Fprint(w, versionText(v)) })
		},
	}
	out.register(cmd)
	return cmd
}

// versionText is the text form of `veil version` and `veil --version`.
func versionText(v version.Info) string {
	return fmt.Sprintf("veil %s\n  commit  %s\n  go      %s\n  suites  %s\n", v.Version, v.Commit, v.GoVersion, strings.Join(v.Suites, ", "))
}

// completeSuites completes --curve with the suites this build implements.
func completeSuites(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return version.Get().Suites, cobra.ShellCompDirectiveNoFileComp
}
