package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/veilchain/veil/node"
)

// TestNodeStartDiskFull starts a node whose data directory is on a full
// tmpfs: one error line "disk full: <dir>: …" and exit status 2. It needs
// root (mount) and skips otherwise, as package faults' disk tests do.
func TestNodeStartDiskFull(t *testing.T) {
	mnt, err := os.MkdirTemp("", fmt.Sprintf("veil-cli-disk-%d-", os.Getpid()))
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", mnt).CombinedOutput(); err != nil {
		os.Remove(mnt)
		t.Skipf("needs to mount a tmpfs (root): %v %s", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", mnt, err, out)
			_ = exec.Command("umount", "-l", mnt).Run()
		}
		os.Remove(mnt)
	})
	l, err := node.InitLocal(t.TempDir(), node.LocalOptions{Nodes: 1})
	if err != nil {
		t.Fatal(err)
	}
	// Fill it all: not a byte left for LevelDB's first manifest.
	var st syscall.Statfs_t
	if err := syscall.Statfs(mnt, &st); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(mnt, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Fallocate(int(f.Fd()), 0, 0, int64(st.Bavail)*st.Bsize); err != nil {
		t.Fatal(err)
	}
	f.Close()
	data := filepath.Join(mnt, "data")
	var stdout, stderr bytes.Buffer
	code := execute(newRootCmd(), []string{"node", "start", "--config", node.ConfigPath(l, 1), "--data-dir", data}, &stdout, &stderr)
	lines := strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n")
	if code != exitUsage || len(lines) != 1 || !strings.Contains(lines[0], "level=ERROR") || !strings.Contains(lines[0], `msg="disk full: `+mnt) {
		t.Fatalf("exit %d (want 2), stderr (want one disk full line):\n%s", code, stderr.String())
	}
	t.Logf("stderr: %s", lines[0])
}
