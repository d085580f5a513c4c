package faults

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/veilchain/veil/node"
)

// diskRoom is what a fill leaves free on a node's tmpfs: the load's
// 8 KiB transactions use it up in seconds.
const diskRoom = 1 << 20

// TestDiskFull fills, under steady load, node-2's data directory (chain
// database, raft log and snapshots: whichever write fails first), then
// node-3's data directory with its raft_dir on another disk (the chain
// database fails: raft's FSM cannot apply a block), then node-1's raft
// directory (raft_dir on a disk of its own, the chain database with
// room), each a small tmpfs filled by a file the test writes. Each time
// the node must stop by itself with one error line naming ENOSPC and the
// directory and a non-zero exit status, without a panic; the others go
// on committing; started again while the disk is still full it exits the
// same way; once the file is deleted it starts, its databases open
// uncorrupted with a head it holds, and it catches up to the others'
// head (catch_up: from that start to the others' head). The usual check
// follows: lost, forks and duplicates 0/0/0. detect is the time from the
// fill to the process's exit.
func TestDiskFull(t *testing.T) {
	type victim struct {
		what string // "data_dir": all on the tmpfs; "chain": raft_dir elsewhere; "raft_dir": only raft_dir on it
		node int
		mnt  string
	}
	victims := []*victim{{what: "data_dir", node: 2}, {what: "chain", node: 3}, {what: "raft_dir", node: 1}}
	for _, v := range victims {
		v.mnt = mountTmpfs(t, "64m")
	}
	elsewhere := t.TempDir()
	n := startNetwork(t, netOptions{Nodes: 4, Validators: 3, Groups: []string{"acme"},
		Tweak: func(c *node.Config) {
			for _, v := range victims {
				switch {
				case c.NodeID != fmt.Sprintf("node-%d", v.node):
				case v.what == "raft_dir":
					c.RaftDir = v.mnt
				default:
					c.DataDir = v.mnt
					if v.what == "chain" {
						c.RaftDir = filepath.Join(elsewhere, c.NodeID)
					}
				}
			}
		}})
	members := n.addMembers("acme", "alice", "bob", "carol", "dave")
	w := n.watch()
	ld := n.startLoad(loadOptions{Group: "acme", Members: members, Rate: 40, Payload: 8 << 10})
	n.waitProgress(n.all(), 3)

	var detect, catchUps []time.Duration
	for r := 1; r <= rounds(); r++ {
		for _, v := range victims {
			i := v.node
			filler := fill(t, v.mnt, diskRoom)
			filledAt := time.Now()
			exitedAt, exitErr := n.waitOwnExit(i, v.mnt, 90*time.Second)
			detect = append(detect, exitedAt.Sub(filledAt))
			line := n.checkDiskFullExit(i, v.mnt, exitErr)
			survivors := without(n.all(), i)
			n.waitProgress(survivors, 3)
			t.Logf("round %d, %s: node-%d stopped %v after its disk was filled (%v); the others commit; its error: %s", r, v.what, i,
				detect[len(detect)-1].Round(time.Millisecond), exitErr, line)

			// Started again on the full disk: the same clear stop.
			n.start(i)
			_, exitErr = n.waitOwnExit(i, v.mnt, 60*time.Second)
			line = n.checkDiskFullExit(i, v.mnt, exitErr)
			t.Logf("round %d, %s: node-%d started on the full disk: %v; its error: %s", r, v.what, i, exitErr, line)

			if err := os.Remove(filler); err != nil {
				t.Fatal(err)
			}
			restartAt := time.Now()
			n.start(i)
			n.checkRestart(i, survivors)
			n.waitCaughtUp(i, survivors)
			catchUps = append(catchUps, time.Since(restartAt))
			t.Logf("round %d, %s: node-%d restarted with room, consistent, caught up in %v", r, v.what, i, catchUps[len(catchUps)-1].Round(time.Millisecond))
		}
	}
	ld.stop()
	t.Logf("load: %s", ld)
	o := n.verify(ld, w)
	o.summary(t, fmt.Sprintf(" cases=data_dir,chain,raft_dir detect=%s catch_up=%s", durations(detect), durations(catchUps)))
}

// mountTmpfs mounts a tmpfs of size (mount's syntax) on a new directory
// named after this process, unmounted in t.Cleanup (after the network's
// cleanup has killed the nodes, since it is mounted first). It skips the
// test where mounting is not allowed.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", fmt.Sprintf("veil-faults-disk-%d-", os.Getpid()))
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		os.Remove(dir)
		t.Skipf("disk-full tests need to mount a tmpfs (root): %v %s", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
			_ = exec.Command("umount", "-l", dir).Run()
		}
		os.Remove(dir)
	})
	return dir
}

// fill writes a file on the file system of dir that leaves about room
// bytes free, and returns its path.
func fill(t *testing.T, dir string, room int64) string {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	size := int64(st.Bavail)*st.Bsize - room
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if size > 0 {
		if err := syscall.Fallocate(int(f.Fd()), 0, 0, size); err != nil {
			t.Fatalf("fill %s: %v", dir, err)
		}
	}
	return path
}

// waitOwnExit waits until node i's process exits by itself and marks it
// stopped; it returns when and the exit error.
func (n *network) waitOwnExit(i int, mnt string, timeout time.Duration) (time.Time, error) {
	n.t.Helper()
	p := n.node(i)
	p.mu.Lock()
	exited := p.exited
	p.mu.Unlock()
	select {
	case <-exited:
	case <-time.After(timeout):
		du, _ := exec.Command("du", "-ab", mnt).CombinedOutput()
		n.t.Fatalf("node-%d did not stop within %v of its disk filling up; du -ab %s:\n%s\nits log:\n%s", i, timeout, mnt, du, tail([]byte(n.logSince(i)), 30))
	}
	at := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.state = stopped
	return at, p.exitErr
}

// checkDiskFullExit checks how node i stopped on a full disk at mnt: a
// non-zero exit status, no panic, and one error line, the one naming
// ENOSPC in a directory under mnt, which it returns.
func (n *network) checkDiskFullExit(i int, mnt string, exitErr error) string {
	n.t.Helper()
	log := n.logSince(i)
	var ee *exec.ExitError
	if !errors.As(exitErr, &ee) || ee.ExitCode() == 0 {
		n.t.Errorf("node-%d on a full disk: exit %v, want a non-zero status", i, exitErr)
	}
	for _, bad := range []string{"panic", "goroutine ", "corrupt"} {
		if strings.Contains(strings.ToLower(log), bad) {
			n.t.Errorf("node-%d on a full disk: its log mentions %q:\n%s", i, bad, tail([]byte(log), 40))
		}
	}
	// memberlist may log a gossip send that met the closed transport at
	// error while the node leaves: only the disk-full line counts.
	var errLines []string
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, "level=ERROR") && strings.Contains(l, "disk full") {
			errLines = append(errLines, l)
		}
	}
	if len(errLines) != 1 || !strings.Contains(errLines[0], "msg=\"disk full: "+mnt) || !strings.Contains(errLines[0], "no space left on device") {
		n.t.Errorf("node-%d on a full disk: want one error line \"disk full: %s/…: …no space left on device\"; its disk-full error lines:\n%s\nits log:\n%s",
			i, mnt, strings.Join(errLines, "\n"), tail([]byte(log), 30))
		return ""
	}
	if k := strings.Index(errLines[0], "msg="); k >= 0 {
		return errLines[0][k:]
	}
	return errLines[0]
}
