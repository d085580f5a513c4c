package version

import (
	"runtime"
	"runtime/debug"
	"testing"
)

func TestCommitFromBuildSettings(t *testing.T) {
	for _, c := range []struct {
		settings []debug.BuildSetting
		want     string
	}{
		{nil, "unknown"},
		{[]debug.BuildSetting{{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.modified", Value: "false"}}, "abc123"},
		{[]debug.BuildSetting{{Key: "vcs.modified", Value: "true"}, {Key: "vcs.revision", Value: "abc123"}}, "abc123+dirty"},
		{[]debug.BuildSetting{{Key: "vcs.modified", Value: "true"}}, "unknown"},
	} {
		if got := commit(c.settings); got != c.want {
			t.Errorf("commit(%v) = %q, want %q", c.settings, got, c.want)
		}
	}
}

func TestGet(t *testing.T) {
	i := Get()
	if i.Version != Version || i.GoVersion != runtime.Version() || i.Commit == "" {
		t.Fatalf("Get() = %+v", i)
	}
	if len(i.Suites) != 2 || i.Suites[0] != "bls12-381" || i.Suites[1] != "bn254" {
		t.Fatalf("suites %v", i.Suites)
	}
	// Callers get copies: changing one does not change the next.
	i.Suites[0] = "x"
	if Get().Suites[0] != "bls12-381" {
		t.Fatal("Get shares its suites slice")
	}
}
