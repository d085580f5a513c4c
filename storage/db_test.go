package storage

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func openTestDB(t testing.TB, dir string) *DB {
	t.Helper()
	db, err := Open(dir, Options{BlockCacheSize: 4 << 20, WriteBufferSize: 1 << 20})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return db
}

func hashOf(parts ...any) [32]byte {
	return sha256.Sum256([]byte(fmt.Sprint(parts...)))
}

func TestEmptyDB(t *testing.T) {
	db := openTestDB(t, t.TempDir())
	defer db.Close()
	if _, _, ok, err := db.Head(); ok || err != nil {
		t.Fatalf("Head on empty db: ok=%v err=%v", ok, err)
	}
	if _, err := db.BlockByHeight(0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("BlockByHeight: %v, want ErrNotFound", err)
	}
	if _, err := db.HeightByHash(hashOf("x")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("HeightByHash: %v, want ErrNotFound", err)
	}
	if _, _, err := db.TxLocation(hashOf("x")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("TxLocation: %v, want ErrNotFound", err)
	}
	if _, err := db.GetState([]byte("k")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("GetState: %v, want ErrNotFound", err)
	}
	ids, next, err := db.TopicTxs("t", nil, 10)
	if err != nil || len(ids) != 0 || next != nil {
		t.Fatalf("TopicTxs on empty: %v %v %v", ids, next, err)
	}
}

// commitTestBlock writes block h with n txs, each in topics "all" and
// "h<h%2>", and returns the block hash.
func commitTestBlock(t testing.TB, db *DB, h uint64, n int) [32]byte {
	t.Helper()
	b := db.NewBatch()
	block := bytes.Repeat([]byte{byte(h)}, 100+int(h))
	hash := hashOf("block", h)
	head, parts := splitTestBlock(block, n)
	b.PutBlock(h, hash, head, parts)
	for i := 0; i < n; i++ {
		id := hashOf("tx", h, i)
		b.PutTx(id, h, uint32(i))
		b.AddTopicTx("all", TopicSeq(h, uint32(i)), id)
		b.AddTopicTx(fmt.Sprintf("h%d", h%2), TopicSeq(h, uint32(i)), id)
	}
	b.PutState([]byte("count"), []byte(fmt.Sprint(h)))
	b.SetHead(h, hash)
	if err := b.Commit(); err != nil {
		t.Fatalf("commit block %d: %v", h, err)
	}
	if b.Len() != 0 {
		t.Fatalf("batch not reset after commit")
	}
	return hash
}

// splitTestBlock cuts blk into a head and n parts of unequal sizes (every
// third one empty), as the chain cuts a block into its header and its
// transactions; head ‖ parts is blk.
func splitTestBlock(blk []byte, n int) (head []byte, parts [][]byte) {
	if n == 0 {
		return blk, nil
	}
	head, rest := blk[:len(blk)/3], blk[len(blk)/3:]
	parts = make([][]byte, n)
	for i := range parts {
		k := len(rest)
		if i < n-1 {
			k = min(len(rest), 1+(i*7)%(len(rest)/n+1))
			if i%3 == 1 {
				k = 0
			}
		}
		parts[i], rest = rest[:k], rest[k:]
	}
	return head, parts
}

func TestBlocksTxsHead(t *testing.T) {
	dir := t.TempDir()
	db := openTestDB(t, dir)
	for h := uint64(0); h < 10; h++ {
		commitTestBlock(t, db, h, 3)
	}
	check := func(db *DB) {
		t.Helper()
		height, hash, ok, err := db.Head()
		if err != nil || !ok || height != 9 || hash != hashOf("block", 9) {
			t.Fatalf("Head = %d %x %v %v", height, hash, ok, err)
		}
		for h := uint64(0); h < 10; h++ {
			blk, err := db.BlockByHeight(h)
			if err != nil || !bytes.Equal(blk, bytes.Repeat([]byte{byte(h)}, 100+int(h))) {
				t.Fatalf("BlockByHeight(%d): %v", h, err)
			}
			got, err := db.HeightByHash(hashOf("block", h))
			if err != nil || got != h {
				t.Fatalf("HeightByHash(%d) = %d, %v", h, got, err)
			}
			for i := 0; i < 3; i++ {
				gh, gi, err := db.TxLocation(hashOf("tx", h, i))
				if err != nil || gh != h || gi != uint32(i) {
					t.Fatalf("TxLocation(%d,%d) = %d,%d,%v", h, i, gh, gi, err)
				}
			}
		}
		if _, err := db.BlockByHeight(10); !errors.Is(err, ErrNotFound) {
			t.Fatalf("BlockByHeight(10): %v", err)
		}
		v, err := db.GetState([]byte("count"))
		if err != nil || string(v) != "9" {
			t.Fatalf("GetState = %q, %v", v, err)
		}
	}
	check(db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openTestDB(t, dir)
	defer db.Close()
	check(db)
}

func TestIterateBlocks(t *testing.T) {
	db := openTestDB(t, t.TempDir())
	defer db.Close()
	for h := uint64(0); h < 20; h++ {
		commitTestBlock(t, db, h, 0)
	}
	var got []uint64
	err := db.IterateBlocks(5, 9, func(h uint64, blk []byte) error {
		if blk[0] != byte(h) {
			t.Errorf("block %d has wrong content", h)
		}
		got = append(got, h)
		return nil
	})
	if err != nil || fmt.Sprint(got) != "[5 6 7 8 9]" {
		t.Fatalf("IterateBlocks(5,9) = %v, %v", got, err)
	}
	got = nil
	if err := db.IterateBlocks(15, ^uint64(0), func(h uint64, _ []byte) error { got = append(got, h); return nil }); err != nil || len(got) != 5 {
		t.Fatalf("IterateBlocks(15,max) = %v, %v", got, err)
	}
	stop := errors.New("stop")
	n := 0
	err = db.IterateBlocks(0, 19, func(uint64, []byte) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("IterateBlocks stop: n=%d err=%v", n, err)
	}
	if err := db.IterateBlocks(9, 5, func(uint64, []byte) error { t.Fatal("called"); return nil }); err != nil {
		t.Fatal(err)
	}
}

func TestTopicPaging(t *testing.T) {
	db := openTestDB(t, t.TempDir())
	defer db.Close()
	for h := uint64(1); h <= 5; h++ {
		commitTestBlock(t, db, h, 7)
	}
	var all [][32]byte
	var cur []byte
	pages := 0
	for {
		ids, next, err := db.TopicTxs("all", cur, 4)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		all = append(all, ids...)
		cur = next
		if len(ids) < 4 {
			break
		}
	}
	if ids, next, err := db.TopicTxs("all", cur, 4); err != nil || len(ids) != 0 || !bytes.Equal(next, cur) {
		t.Fatalf("page past the end: %d ids, cursor %x -> %x, %v", len(ids), cur, next, err)
	}
	if len(all) != 35 || pages != 9 {
		t.Fatalf("got %d ids in %d pages, want 35 in 9", len(all), pages)
	}
	k := 0
	for h := uint64(1); h <= 5; h++ {
		for i := 0; i < 7; i++ {
			if all[k] != hashOf("tx", h, i) {
				t.Fatalf("entry %d out of commit order", k)
			}
			k++
		}
	}
	// A tail-follower keeps its cursor and sees only new entries.
	commitTestBlock(t, db, 6, 2)
	ids, _, err := db.TopicTxs("all", cur, 100)
	if err != nil || len(ids) != 2 || ids[0] != hashOf("tx", 6, 0) {
		t.Fatalf("tail page: %d ids, %v", len(ids), err)
	}
	ids, _, _ = db.TopicTxs("h1", nil, 100)
	if len(ids) != 21 {
		t.Fatalf("topic h1 has %d ids, want 21", len(ids))
	}
	if _, _, err := db.TopicTxs("all", []byte{1, 2}, 1); err == nil {
		t.Fatal("bad cursor accepted")
	}
	if _, _, err := db.TopicTxs("all", nil, 0); err == nil {
		t.Fatal("limit 0 accepted")
	}
}

// Topics may hold any byte and be prefixes of one another; the length prefix
// must keep them apart.
func TestTopicIsolation(t *testing.T) {
	db := openTestDB(t, t.TempDir())
	defer db.Close()
	topics := []string{"", "a", "ab", "a\x00", "a\xff", "\xff\xff", "b", strings.Repeat("z", MaxTopicLen)}
	b := db.NewBatch()
	for _, topic := range topics {
		for i := 0; i < 3; i++ { // the same seqs in every topic
			b.AddTopicTx(topic, uint64(i), hashOf(topic, i))
		}
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	for _, topic := range topics {
		ids, next, err := db.TopicTxs(topic, nil, 10)
		if err != nil || len(ids) != 3 {
			t.Fatalf("topic %q: %d ids, %v", topic, len(ids), err)
		}
		for i, id := range ids {
			if id != hashOf(topic, i) {
				t.Fatalf("topic %q entry %d belongs elsewhere", topic, i)
			}
		}
		if !bytes.Equal(next, be64(2)) {
			t.Fatalf("topic %q next cursor %x", topic, next)
		}
	}
	b.AddTopicTx(strings.Repeat("z", MaxTopicLen+1), 1, hashOf("x"))
	b.PutState([]byte("k"), []byte("v"))
	if err := b.Commit(); err == nil {
		t.Fatal("over-long topic accepted")
	}
	if _, err := db.GetState([]byte("k")); !errors.Is(err, ErrNotFound) {
		t.Fatal("rejected batch was partly written")
	}
	if _, _, err := db.TopicTxs(strings.Repeat("z", MaxTopicLen+1), nil, 1); err == nil {
		t.Fatal("over-long topic read accepted")
	}
}

func TestState(t *testing.T) {
	db := openTestDB(t, t.TempDir())
	defer db.Close()
	b := db.NewBatch()
	b.PutState([]byte("group/a"), []byte("1"))
	b.PutState([]byte("group/b"), []byte("2"))
	b.PutState([]byte("groupx"), []byte("3"))
	b.PutState([]byte("epoch"), []byte("4"))
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	var got []string
	err := db.IterateState([]byte("group/"), func(k, v []byte) error {
		got = append(got, string(k)+"="+string(v))
		return nil
	})
	if err != nil || fmt.Sprint(got) != "[group/a=1 group/b=2]" {
		t.Fatalf("IterateState = %v, %v", got, err)
	}
	b.DeleteState([]byte("group/a"))
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetState([]byte("group/a")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted state: %v", err)
	}
	if v, err := db.GetState([]byte("epoch")); err != nil || string(v) != "4" {
		t.Fatalf("GetState(epoch) = %q, %v", v, err)
	}
}

// TestBlockParts: a block reads back byte for byte as head ‖ parts, by
// height and by iteration, each part reads alone, and a block of no parts
// is its head.
func TestBlockParts(t *testing.T) {
	dir := t.TempDir()
	db := openTestDB(t, dir)
	blocks := map[uint64][]byte{}
	for h, n := range []int{0, 1, 2, 7, 2000} {
		blk := make([]byte, 50+n*37)
		for i := range blk {
			blk[i] = byte(i*31 + h)
		}
		head, parts := splitTestBlock(blk, n)
		b := db.NewBatch()
		b.PutBlock(uint64(h), hashOf("block", h), head, parts)
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
		blocks[uint64(h)] = blk
		for i, p := range parts {
			got, err := db.BlockPart(uint64(h), uint32(i))
			if err != nil || !bytes.Equal(got, p) {
				t.Fatalf("block %d part %d: %x, %v", h, i, got, err)
			}
		}
		if _, err := db.BlockPart(uint64(h), uint32(n)); !errors.Is(err, ErrNotFound) {
			t.Fatalf("block %d part %d past the end: %v", h, n, err)
		}
	}
	for h, want := range blocks {
		if got, err := db.BlockByHeight(h); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("BlockByHeight(%d): %d bytes, %v; want %d bytes", h, len(got), err, len(want))
		}
	}
	n := 0
	if err := db.IterateBlocks(0, 10, func(h uint64, blk []byte) error {
		n++
		if !bytes.Equal(blk, blocks[h]) {
			return fmt.Errorf("block %d differs", h)
		}
		return nil
	}); err != nil || n != len(blocks) {
		t.Fatalf("IterateBlocks: %d blocks, %v", n, err)
	}
	// A part gone (as damage would leave it) is corruption, not a shorter block.
	if err := db.ldb.Delete(partKey(3, 4), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.BlockByHeight(3); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("block with a part missing: %v", err)
	}
	db.Close()
}

// TestOldSchemaRefused: a version-1 database (one value per block) is
// refused with ErrOldSchema and left untouched.
func TestOldSchemaRefused(t *testing.T) {
	dir := t.TempDir()
	db := openTestDB(t, dir)
	if err := db.ldb.Put(keyVersion, []byte{0, 0, 0, 1}, nil); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for range 2 {
		if _, err := Open(dir, DefaultOptions()); !errors.Is(err, ErrOldSchema) || !strings.Contains(err.Error(), dir) {
			t.Fatalf("Open of a version-1 database: %v", err)
		}
	}
}

func TestSchemaVersion(t *testing.T) {
	dir := t.TempDir()
	db := openTestDB(t, dir)
	if err := db.ldb.Put(keyVersion, []byte{0, 0, 0, 99}, nil); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(dir, DefaultOptions()); err == nil || !strings.Contains(err.Error(), "schema version 99") {
		t.Fatalf("Open with version 99: %v", err)
	}
}

func TestOpenLocked(t *testing.T) {
	dir := t.TempDir()
	db := openTestDB(t, dir)
	defer db.Close()
	if db2, err := Open(dir, DefaultOptions()); err == nil {
		db2.Close()
		t.Fatal("second Open of a locked dir succeeded")
	}
}

func TestClosed(t *testing.T) {
	db := openTestDB(t, t.TempDir())
	b := db.NewBatch()
	db.Close()
	b.SetHead(1, hashOf(1))
	if err := b.Commit(); err == nil {
		t.Fatal("commit on closed db succeeded")
	}
	if _, err := db.BlockByHeight(1); err == nil || errors.Is(err, ErrNotFound) {
		t.Fatalf("read on closed db: %v", err)
	}
}
