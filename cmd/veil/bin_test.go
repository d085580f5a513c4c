package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// The veil binary the process tests run, built once per test binary.
var veilBin struct {
	once sync.Once
	dir  string
	path string
	err  error
	out  []byte
}

// buildVeil builds cmd/veil into a temporary directory (once) and returns
// the binary's path.
func buildVeil(t *testing.T) string {
	t.Helper()
	veilBin.once.Do(func() {
		if veilBin.dir, veilBin.err = os.MkdirTemp("", "veil-bin-"); veilBin.err != nil {
			return
		}
		veilBin.path = filepath.Join(veilBin.dir, "veil")
		veilBin.out, veilBin.err = exec.Command("go", "build", "-o", veilBin.path, ".").CombinedOutput()
	})
	if veilBin.err != nil {
		t.Fatalf("build: %v\n%s", veilBin.err, veilBin.out)
	}
	return veilBin.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if veilBin.dir != "" {
		os.RemoveAll(veilBin.dir)
	}
	os.Exit(code)
}
