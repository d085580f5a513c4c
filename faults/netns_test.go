package faults

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/veilchain/veil/client"
)

// ---- a network of network namespaces ----
//
// A netLab gives every node process a network namespace of its own, with
// one interface, eth0, addressed 10.213.0.(10+i)/24, the other end of a
// veth pair whose bridge-side end (pI) sits on a Linux bridge (br0) in a
// bridge namespace of its own. Nothing is attached to the host's
// interfaces; the addresses exist only inside those namespaces, so
// parallel runs in other worktrees (other pids) use the same range without
// colliding. Links are cut by taking pI down (the node then reaches no
// one, and no one reaches it: packets are dropped, not refused, as when a
// data centre's uplink fails) and split into sides by moving ports to a
// second bridge (br1). The test process stays in the host namespace and
// reaches each node's API through a dialer that creates its sockets inside
// that node's namespace (Client), so it can watch a partitioned node.

// netLab is one network of namespaces; every namespace is removed in
// t.Cleanup, also when the test fails.
type netLab struct {
	t      *testing.T
	prefix string   // vf<pid>x<seq>
	bridge string   // the bridge namespace
	ns     []string // ns[i-1] is node i's namespace
	fds    []int    // open fds of the node namespaces, for setns
}

// labSeq numbers the labs of this test process (namespace names hold the
// pid and this number).
var labSeq atomic.Int64

// labName matches the namespaces a netLab creates; the number is the pid
// of the test process that made it.
var labName = regexp.MustCompile(`^vf(\d+)x\d+`)

// newNetLab creates the bridge and one namespace per node, or skips the
// test if namespaces cannot be created here (not root, no ip).
func newNetLab(t *testing.T, nodes int) *netLab {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("network namespaces need Linux")
	}
	if os.Geteuid() != 0 {
		t.Skip("network partition tests need root (ip netns add); CI runs them as root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("network partition tests need the ip command (iproute2)")
	}
	removeStaleLabs(t)
	l := &netLab{t: t, prefix: fmt.Sprintf("vf%dx%d", os.Getpid(), labSeq.Add(1))}
	l.bridge = l.prefix + "br"
	t.Cleanup(l.remove)
	if err := l.ip("netns", "add", l.bridge); err != nil {
		t.Skipf("cannot create a network namespace here (%v): skipping the partition tests", err)
	}
	l.must("-n", l.bridge, "link", "set", "lo", "up")
	for _, br := range []string{"br0", "br1"} {
		l.orSkip("-n", l.bridge, "link", "add", br, "type", "bridge")
		l.must("-n", l.bridge, "link", "set", br, "up")
	}
	for i := 1; i <= nodes; i++ {
		ns := fmt.Sprintf("%sn%d", l.prefix, i)
		l.must("netns", "add", ns)
		l.ns = append(l.ns, ns)
		fd, err := unix.Open(filepath.Join("/var/run/netns", ns), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatalf("open namespace %s: %v", ns, err)
		}
		l.fds = append(l.fds, fd)
		port := fmt.Sprintf("p%d", i)
		l.orSkip("-n", l.bridge, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns)
		l.must("-n", l.bridge, "link", "set", port, "master", "br0", "up")
		l.must("-n", ns, "addr", "add", l.Host(i)+"/24", "dev", "eth0")
		l.must("-n", ns, "link", "set", "eth0", "up")
		l.must("-n", ns, "link", "set", "lo", "up")
	}
	return l
}

// removeStaleLabs deletes the namespaces of test processes that died
// without their cleanups (a SIGKILLed go test); those of live processes,
// other worktrees' included, stay.
func removeStaleLabs(t *testing.T) {
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(out), "\n") {
		name, _, _ := strings.Cut(strings.TrimSpace(line), " ")
		m := labName.FindStringSubmatch(name)
		if m == nil {
			continue
		}
		pid, _ := strconv.Atoi(m[1])
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err == nil {
				t.Logf("removed namespace %s of dead test process %d", name, pid)
			} else {
				t.Logf("remove stale namespace %s: %v %s", name, err, out)
			}
		}
	}
}

func (l *netLab) ip(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// orSkip runs a setup step the kernel may not support here (bridges,
// veths): if it fails, the test skips.
func (l *netLab) orSkip(args ...string) {
	l.t.Helper()
	if err := l.ip(args...); err != nil {
		l.t.Skipf("cannot build the namespace network here (%v): skipping the partition tests", err)
	}
}

func (l *netLab) must(args ...string) {
	l.t.Helper()
	if err := l.ip(args...); err != nil {
		l.t.Fatal(err)
	}
}

// remove deletes every namespace (their veths go with them). It runs after
// the network's cleanup has killed the node processes (cleanups run last
// registered first, and the lab is made before the network).
func (l *netLab) remove() {
	for _, fd := range l.fds {
		unix.Close(fd)
	}
	for _, ns := range append(l.ns, l.bridge) {
		if err := l.ip("netns", "del", ns); err != nil && !strings.Contains(err.Error(), "No such file") {
			l.t.Errorf("remove namespace: %v", err)
		}
	}
}

// Host is node i's address, in its namespace only.
func (l *netLab) Host(i int) string { return fmt.Sprintf("10.213.0.%d", 10+i) }

// Command runs name in node i's namespace (ip netns exec execs it, so the
// process is name itself: signals reach it).
func (l *netLab) Command(i int, name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", l.ns[i-1], name}, args...)...)
}

// Client is an API client for node i whose sockets are made inside its
// namespace.
func (l *netLab) Client(i int, url string) *client.Client {
	fd := l.fds[i-1]
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return dialInNetns(ctx, fd, network, addr)
		},
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     30 * time.Second,
	}
	return client.NewWithHTTPClient(url, &http.Client{Timeout: 30 * time.Second, Transport: tr})
}

// dialInNetns dials from the network namespace nsFD: on a locked thread
// moved into it for the socket's creation and moved back after (a socket
// stays in the namespace it was made in). A thread that cannot be moved
// back is not unlocked, so the runtime ends it with its goroutine.
func dialInNetns(ctx context.Context, nsFD int, network, addr string) (net.Conn, error) {
	type result struct {
		c   net.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			ch <- result{nil, fmt.Errorf("open this thread's network namespace: %w", err)}
			return
		}
		defer unix.Close(orig)
		if err := unix.Setns(nsFD, unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			ch <- result{nil, fmt.Errorf("enter the node's network namespace: %w", err)}
			return
		}
		var d net.Dialer
		c, err := d.DialContext(ctx, network, addr)
		if unix.Setns(orig, unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		ch <- result{c, err}
	}()
	r := <-ch
	return r.c, r.err
}

// cut takes node i's link down: it reaches no one and no one reaches it.
func (l *netLab) cut(i int) { l.must("-n", l.bridge, "link", "set", fmt.Sprintf("p%d", i), "down") }

// heal brings node i's link up again.
func (l *netLab) heal(i int) { l.must("-n", l.bridge, "link", "set", fmt.Sprintf("p%d", i), "up") }

// split moves the nodes of side to a bridge of their own: they reach each
// other and no one else.
func (l *netLab) split(side []int) {
	for _, i := range side {
		l.must("-n", l.bridge, "link", "set", fmt.Sprintf("p%d", i), "master", "br1")
	}
}

// join puts every node back on one bridge with its link up.
func (l *netLab) join() {
	l.t.Helper()
	if err := l.rejoin(); err != nil {
		l.t.Fatal(err)
	}
}

// rejoin is join without failing the test (for cleanups).
func (l *netLab) rejoin() error {
	var errs []error
	for i := range l.ns {
		errs = append(errs, l.ip("-n", l.bridge, "link", "set", fmt.Sprintf("p%d", i+1), "master", "br0", "up"))
	}
	return errors.Join(errs...)
}
