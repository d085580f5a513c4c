package storage

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The crash test re-executes this test binary as a child that commits blocks
// in a loop, SIGKILLs it at random moments and checks the database it leaves.
//
//	go test -run TestCrashConsistency ./storage/                  # 5 kills
//	go test -run TestCrashConsistency ./storage/ -crashkills=25   # long form
//	VEIL_CRASH_KILLS=25 go test -run TestCrashConsistency ./storage/

var crashKills = flag.Int("crashkills", 0, "SIGKILLs in TestCrashConsistency (default 5, or $VEIL_CRASH_KILLS)")

const (
	envCrashChild = "VEIL_CRASH_CHILD_DIR"
	envCrashKills = "VEIL_CRASH_KILLS"
	maxCrashBlock = 200 << 10
)

func crashKillCount(t *testing.T) int {
	if *crashKills > 0 {
		return *crashKills
	}
	if v := os.Getenv(envCrashKills); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			t.Fatalf("%s=%q: want a positive number", envCrashKills, v)
		}
		return n
	}
	return 5
}

// crashBlock is what the child commits at height h; everything derives from
// h so the parent can check a block without having seen it written.
type crashBlock struct {
	h     uint64
	block []byte
	hash  [32]byte
	txs   [][32]byte
}

func crashSeed(h uint64) [32]byte {
	return sha256.Sum256(binary.BigEndian.AppendUint64([]byte("veil-crash"), h))
}

// crashTxCount is the number of txs of block h (1..20), cheap to compute.
func crashTxCount(h uint64) int { return 1 + int(crashSeed(h)[0]%20) }

func crashTxID(h uint64, i int) [32]byte { return hashOf("crash-tx", h, i) }

func crashTopics(h uint64) []string {
	return []string{"all", fmt.Sprintf("m3-%d", h%3), "\x00\xff" + string(rune('a'+h%2))}
}

func makeCrashBlock(h uint64) crashBlock {
	seed := crashSeed(h)
	rng := rand.New(rand.NewChaCha8(seed))
	size := 16 + rng.IntN(maxCrashBlock-16)
	blk := make([]byte, size)
	for i := 16; i < size; i += 8 {
		var w [8]byte
		binary.LittleEndian.PutUint64(w[:], rng.Uint64())
		copy(blk[i:], w[:])
	}
	binary.BigEndian.PutUint64(blk, h)
	binary.BigEndian.PutUint64(blk[8:], uint64(size))
	c := crashBlock{h: h, block: blk, hash: sha256.Sum256(blk)}
	for i := 0; i < crashTxCount(h); i++ {
		c.txs = append(c.txs, crashTxID(h, i))
	}
	return c
}

// commitCrashBlock writes block h as the chain would: block, tx index, topic
// entries, state and head in one batch.
func commitCrashBlock(db *DB, h uint64) error {
	c := makeCrashBlock(h)
	b := db.NewBatch()
	head, parts := splitTestBlock(c.block, len(c.txs))
	b.PutBlock(h, c.hash, head, parts)
	for i, id := range c.txs {
		b.PutTx(id, h, uint32(i))
		for _, topic := range crashTopics(h) {
			b.AddTopicTx(topic, TopicSeq(h, uint32(i)), id)
		}
	}
	b.PutState([]byte("count"), be64(h))
	b.PutState([]byte(fmt.Sprintf("last/%d", h%7)), c.hash[:])
	b.SetHead(h, c.hash)
	return b.Commit()
}

// TestCrashChild is the child side; it does nothing in a normal run.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(envCrashChild)
	if dir == "" {
		t.Skip("child process of TestCrashConsistency only")
	}
	db, err := Open(dir, DefaultOptions())
	if err != nil {
		fmt.Printf("error %v\n", err)
		os.Exit(3)
	}
	next := uint64(0)
	if h, _, ok, err := db.Head(); err != nil {
		fmt.Printf("error %v\n", err)
		os.Exit(3)
	} else if ok {
		next = h + 1
	}
	fmt.Printf("open %d\n", next)
	// The parent kills us long before this; the bound only stops an orphan.
	for stop := time.Now().Add(30 * time.Second); time.Now().Before(stop); next++ {
		if err := commitCrashBlock(db, next); err != nil {
			fmt.Printf("error %v\n", err)
			os.Exit(3)
		}
		// Written only after Commit returned: the parent may rely on it.
		fmt.Printf("committed %d\n", next)
	}
	db.Close()
	os.Exit(4)
}

func TestCrashConsistency(t *testing.T) {
	if os.Getenv(envCrashChild) != "" {
		t.Skip("in child")
	}
	kills := crashKillCount(t)
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	acked := int64(-1) // highest height a child reported committed
	verified := int64(-1)
	var totalBlocks, inFlight, noProgress int
	start := time.Now()
	for k := 0; k < kills; k++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), envCrashChild+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var (
			mu     sync.Mutex
			lines  []string
			opened = make(chan struct{})
			done   = make(chan struct{})
		)
		go func() {
			defer close(done)
			sc := bufio.NewScanner(out)
			once := sync.Once{}
			for sc.Scan() {
				line := sc.Text()
				mu.Lock()
				lines = append(lines, line)
				mu.Unlock()
				if strings.HasPrefix(line, "open ") {
					once.Do(func() { close(opened) })
				}
			}
			once.Do(func() { close(opened) })
		}()
		// Most kills land while blocks are being committed; one in four may
		// land while the child is still opening (journal replay, flush).
		if rng.IntN(4) != 0 {
			<-opened
			time.Sleep(time.Duration(rng.IntN(400)) * time.Millisecond)
		} else {
			time.Sleep(time.Duration(rng.IntN(150)) * time.Millisecond)
		}
		_ = cmd.Process.Kill() // SIGKILL
		<-done
		werr := cmd.Wait()
		mu.Lock()
		for _, line := range lines {
			if strings.HasPrefix(line, "error ") {
				t.Fatalf("kill %d: child failed: %s\n%s", k, line, stderr.String())
			}
			if v, ok := strings.CutPrefix(line, "committed "); ok {
				h, _ := strconv.ParseInt(v, 10, 64)
				acked = max(acked, h)
			}
		}
		mu.Unlock()
		if !strings.Contains(fmt.Sprint(werr), "killed") {
			t.Fatalf("kill %d: child ended on its own (%v):\n%s", k, werr, stderr.String())
		}
		head := verifyCrashDB(t, k, dir, acked, verified)
		if head > acked {
			inFlight++ // killed after the sync, before the child could say so
		}
		if head == verified {
			noProgress++ // killed while opening or before the first commit
		}
		totalBlocks = int(head + 1)
		verified = head
		acked = max(acked, head)
	}
	t.Logf("%d SIGKILLs (%d before any commit, %d with an unacknowledged commit on disk), %d blocks committed and verified, %v",
		kills, noProgress, inFlight, totalBlocks, time.Since(start).Round(time.Millisecond))
}

// verifyCrashDB reopens the database a killed child left and checks it is
// exactly a prefix of the chain: the acknowledged blocks, maybe the one in
// flight, nothing half-written. Blocks above verified are checked byte for
// byte; older ones by hash. It returns the head height (-1 if none).
func verifyCrashDB(t *testing.T, k int, dir string, acked, verified int64) int64 {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("after kill %d: %s", k, fmt.Sprintf(format, args...))
	}
	db, err := Open(dir, DefaultOptions())
	if err != nil {
		fail("reopen: %v", err)
	}
	defer db.Close()
	height, hash, ok, err := db.Head()
	if err != nil {
		fail("Head: %v", err)
	}
	head := int64(-1)
	if ok {
		head = int64(height)
	}
	// Synced commits survive; at most the one in flight may also be there.
	if head < acked || head > acked+1 {
		fail("head %d, child had acknowledged %d", head, acked)
	}
	if ok && hash != makeCrashBlock(height).hash {
		fail("head hash %x is not block %d's", hash, height)
	}

	// Every block up to head, in order, and nothing beyond.
	wantTopic := map[string]int{}
	expect := int64(0)
	err = db.IterateBlocks(0, ^uint64(0), func(h uint64, blk []byte) error {
		if int64(h) != expect {
			return fmt.Errorf("block %d follows %d", h, expect-1)
		}
		expect++
		if int64(h) > head {
			return fmt.Errorf("block %d stored above head %d", h, head)
		}
		sum := sha256.Sum256(blk)
		if int64(h) > verified {
			if c := makeCrashBlock(h); !bytes.Equal(blk, c.block) {
				return fmt.Errorf("block %d content differs", h)
			}
		}
		if got, err := db.HeightByHash(sum); err != nil || got != h {
			return fmt.Errorf("block %d: height by hash = %d, %v", h, got, err)
		}
		for i := 0; i < crashTxCount(h); i++ {
			gh, gi, err := db.TxLocation(crashTxID(h, i))
			if err != nil || gh != h || gi != uint32(i) {
				return fmt.Errorf("tx %d of block %d: location %d/%d, %v", i, h, gh, gi, err)
			}
			// Each transaction's own part is there and is its slice of the block.
			if part, err := db.BlockPart(h, uint32(i)); err != nil {
				return fmt.Errorf("tx %d of block %d: part: %v", i, h, err)
			} else if int64(h) > verified {
				if _, parts := splitTestBlock(makeCrashBlock(h).block, crashTxCount(h)); !bytes.Equal(part, parts[i]) {
					return fmt.Errorf("tx %d of block %d: part differs", i, h)
				}
			}
			for _, topic := range crashTopics(h) {
				wantTopic[topic]++
			}
		}
		return nil
	})
	if err != nil {
		fail("%v", err)
	}
	if expect != head+1 {
		fail("blocks 0..%d stored, head is %d", expect-1, head)
	}

	// Nothing of the next block is there: not its hash, txs or topics.
	next := uint64(head + 1)
	c := makeCrashBlock(next)
	if _, err := db.BlockByHeight(next); !errors.Is(err, ErrNotFound) {
		fail("block %d above head: %v", next, err)
	}
	if _, err := db.HeightByHash(c.hash); !errors.Is(err, ErrNotFound) {
		fail("hash of block %d above head: %v", next, err)
	}
	for _, id := range c.txs {
		if _, _, err := db.TxLocation(id); !errors.Is(err, ErrNotFound) {
			fail("tx of block %d above head: %v", next, err)
		}
	}
	for i := range c.txs {
		if _, err := db.BlockPart(next, uint32(i)); !errors.Is(err, ErrNotFound) {
			fail("part %d of block %d above head: %v", i, next, err)
		}
	}

	// Topic pages: complete, in commit order, every id resolving to a block.
	for _, topic := range []string{"all", "m3-0", "m3-1", "m3-2", "\x00\xffa", "\x00\xffb"} {
		var cur []byte
		n := 0
		last := int64(-1)
		for {
			ids, nextCur, err := db.TopicTxs(topic, cur, 97)
			if err != nil {
				fail("topic %q: %v", topic, err)
			}
			for _, id := range ids {
				h, i, err := db.TxLocation(id)
				if err != nil {
					fail("topic %q lists unknown tx %x: %v", topic, id, err)
				}
				if int64(h) > head {
					fail("topic %q lists tx of block %d above head %d", topic, h, head)
				}
				if seq := int64(TopicSeq(h, i)); seq <= last {
					fail("topic %q out of order", topic)
				} else {
					last = seq
				}
				if _, err := db.BlockByHeight(h); err != nil {
					fail("topic %q tx in block %d: %v", topic, h, err)
				}
			}
			n += len(ids)
			cur = nextCur
			if len(ids) < 97 {
				break
			}
		}
		if n != wantTopic[topic] {
			fail("topic %q has %d entries, want %d", topic, n, wantTopic[topic])
		}
	}

	// State written by the same batches.
	if ok {
		v, err := db.GetState([]byte("count"))
		if err != nil || !bytes.Equal(v, be64(height)) {
			fail("state count = %x, %v; want %d", v, err, height)
		}
		for j := int64(0); j < 7 && j <= head; j++ {
			h := head - (head-j)%7 // the newest height ≡ j (mod 7)
			v, err := db.GetState([]byte(fmt.Sprintf("last/%d", j)))
			if want := makeCrashBlock(uint64(h)).hash; err != nil || !bytes.Equal(v, want[:]) {
				fail("state last/%d = %x, %v; want hash of block %d", j, v, err, h)
			}
		}
	}
	return head
}
