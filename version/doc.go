// Package version holds the build facts of this binary: its release
// version, the commit it was built from, the Go toolchain and the groupsig
// suites it implements. `veil version`, GET /v1/status (field version),
// the veil_build_info metric and a node's first log line all print the
// one Info that Get returns, so the four never disagree.
//
// The release version comes from the linker: the Makefile builds with
// -ldflags "-X github.com/veilchain/veil/version.Version=$(git describe
// --always --dirty)"; a plain `go build` or `go test` leaves "devel". The
// commit is not passed by hand: the go command stamps vcs.revision and
// vcs.modified into the binary when it builds inside a git checkout, and
// Get reads them back with runtime/debug.ReadBuildInfo (test binaries and
// builds with -buildvcs=false have none: "unknown").
package version
