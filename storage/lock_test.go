package storage

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestLockDirExcludes takes the lock twice in this process (flock is per
// open file, so the second open conflicts as another process would),
// then in a child process, and checks the release.
func TestLockDirExcludes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	l, err := LockDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = LockDir(dir)
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), fmt.Sprintf("(pid %d)", os.Getpid())) {
		t.Fatalf("second lock: %v", err)
	}
	// Another process: flock(1) from util-linux, when present, fails at once.
	if flock, lerr := exec.LookPath("flock"); lerr == nil {
		if out, err := exec.Command(flock, "-n", filepath.Join(dir, LockFile), "true").CombinedOutput(); err == nil {
			t.Fatalf("flock(1) took a held lock: %s", out)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l2, err := LockDir(dir)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	defer l2.Close()
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("dir mode: %v %v", fi.Mode(), err)
	}
}
