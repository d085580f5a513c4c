package consensus

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/veilchain/veil/storage"
)

// TestDiskFullStopsOrdering puts one follower's chain database, then its
// raft log, on a small tmpfs and fills it under load: the orderer reports
// a disk-full *storage.WriteError through Failed (no panic), its FSM
// refuses snapshots, the other two go on committing; restarted with room
// it replays and catches up to the same chain.
func TestDiskFullStopsOrdering(t *testing.T) {
	for _, sub := range []string{"chain", "raft-log"} {
		t.Run(sub, func(t *testing.T) {
			c := newTestCluster(t, 3, 0, nil)
			c.waitCommitted(c.submit(5), 20*time.Second)
			leader := c.leader()
			var victim *testNode
			for _, n := range c.nodes {
				if n != leader {
					victim = n
					break
				}
			}
			// Move the directory onto a tmpfs of its own.
			c.stop(victim, false)
			dir := filepath.Join(victim.dir, sub)
			moved := dir + ".moved"
			if err := os.Rename(dir, moved); err != nil {
				t.Fatal(err)
			}
			mountTmpfs(t, dir, "8m")
			if err := os.CopyFS(dir, os.DirFS(moved)); err != nil {
				t.Fatal(err)
			}
			c.start(victim)
			c.waitCommitted(c.submit(5), 20*time.Second)

			filler := fillTmpfs(t, dir, 64<<10)
			deadline := time.Now().Add(60 * time.Second)
			for sent := 0; ; sent += 20 {
				select {
				case <-victim.orderer.Failed():
				default:
					if time.Now().After(deadline) {
						t.Fatalf("%s's orderer did not fail within 60 s (%d transactions after the fill)", victim.id, sent)
					}
					c.submit(20)
					time.Sleep(20 * time.Millisecond)
					continue
				}
				break
			}
			err := victim.orderer.Fault()
			var we *storage.WriteError
			if !errors.As(err, &we) || !storage.IsDiskFull(err) || we.Dir != dir {
				t.Fatalf("fault %v (%T), want a disk-full *storage.WriteError of %s", err, err, dir)
			}
			t.Logf("%s stopped ordering: %v", victim.id, err)
			if _, err := victim.orderer.fsm.Snapshot(); err == nil {
				t.Error("the FSM takes a snapshot after a fault")
			}
			c.stop(victim, false)

			// The others go on.
			ids := c.submit(10)
			c.waitCommitted(ids, 20*time.Second)

			// Room again: the victim replays its log, catches up, agrees.
			if err := os.Remove(filler); err != nil {
				t.Fatal(err)
			}
			c.start(victim)
			select {
			case <-victim.orderer.Failed():
				t.Fatalf("restarted with room, the orderer failed: %v", victim.orderer.Fault())
			default:
			}
			c.waitCommitted(append(ids, c.submit(5)...), 30*time.Second)
			if h := c.checkSameChain(); h == 0 {
				t.Fatal("no blocks")
			}
		})
	}
}

// mountTmpfs mounts a tmpfs of size on dir (created), unmounted in
// t.Cleanup after the cluster's nodes have stopped; it skips the test
// where mounting is not allowed (not root).
func mountTmpfs(t *testing.T, dir, size string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, fmt.Sprintf("veil-consensus-%d", os.Getpid()), dir).CombinedOutput(); err != nil {
		t.Skipf("needs to mount a tmpfs (root): %v %s", err, out)
	}
	// Registered after newTestCluster's cleanup, so it runs before it:
	// unmount lazily, the nodes' files go when they close.
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
}

// fillTmpfs writes a file on dir's file system that leaves about room
// bytes free.
func fillTmpfs(t *testing.T, dir string, room int64) string {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if size := int64(st.Bavail)*st.Bsize - room; size > 0 {
		if err := syscall.Fallocate(int(f.Fd()), 0, 0, size); err != nil {
			t.Fatalf("fill %s: %v", dir, err)
		}
	}
	return path
}
