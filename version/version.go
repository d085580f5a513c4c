package version

import (
	"runtime"
	"runtime/debug"
	"sync"

	"github.com/veilchain/veil/groupsig"
)

// Version is the release version, set at link time (see the package
// documentation); "devel" when the build did not set it.
var Version = "devel"

// Info is what a build says about itself.
type Info struct {
	Version   string   `json:"version"`    // git describe of the build, or "devel"
	Commit    string   `json:"commit"`     // vcs.revision, "+dirty" appended when vcs.modified; "unknown" without
	GoVersion string   `json:"go_version"` // the toolchain that built the binary
	Suites    []string `json:"suites"`     // groupsig suites this build implements, by name
}

// Get returns this binary's build facts. The build information is read
// once; Info is a fresh copy each call.
func Get() Info {
	i := get()
	i.Suites = append([]string(nil), i.Suites...)
	return i
}

var get = sync.OnceValue(func() Info {
	i := Info{Version: Version, Commit: "unknown", GoVersion: runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		i.Commit = commit(bi.Settings)
	}
	for _, s := range groupsig.Suites() {
		i.Suites = append(i.Suites, s.String())
	}
	return i
})

// commit reads the revision the go command stamped into the binary.
func commit(settings []debug.BuildSetting) string {
	rev, dirty := "", false
	for _, s := range settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "unknown"
	}
	if dirty {
		rev += "+dirty"
	}
	return rev
}
