package storage

import (
	crand "crypto/rand"
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/hashicorp/raft"
	raftbench "github.com/hashicorp/raft/bench"
	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"
)

// BenchmarkCommitBlock1000 commits what the chain writes for a full block:
// ~400 KB of block bytes, 1,000 tx index entries, 1,000 topic entries and
// the head, in one synced batch. MB/s counts the batch's encoded size.
func BenchmarkCommitBlock1000(b *testing.B) {
	db, err := Open(b.TempDir(), DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	block := make([]byte, 400<<10)
	for i := range block {
		block[i] = byte(rng.Uint32()) // incompressible, like signatures
	}
	topics := []string{"payments", "registry", "audit/2026", "x"}
	// The chain stores a block as its header and one part per transaction.
	parts := make([][]byte, 1000)
	for i := range parts {
		parts[i] = block[200+i*(len(block)-200)/1000 : 200+(i+1)*(len(block)-200)/1000]
	}
	batch := db.NewBatch()
	fill := func(h uint64) {
		var hash, id [32]byte
		binary.BigEndian.PutUint64(hash[:], h)
		hash[31] = 0xb1
		binary.BigEndian.PutUint64(block, h)
		batch.PutBlock(h, hash, block[:200], parts)
		for i := uint32(0); i < 1000; i++ {
			binary.BigEndian.PutUint64(id[:], h)
			binary.BigEndian.PutUint32(id[8:], i)
			id[31] = 0x7a
			batch.PutTx(id, h, i)
			batch.AddTopicTx(topics[i%4], TopicSeq(h, i), id)
		}
		batch.SetHead(h, hash)
	}
	fill(0)
	b.SetBytes(int64(batch.Size()))
	batch.Reset()
	b.ReportAllocs()
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		fill(uint64(n))
		if err := batch.Commit(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStoreLogs stores raft entries in synced batches: raftbench's
// shape (3 tiny entries, as raft-boltdb measures), a burst of small
// commands, and one block-sized entry (the leader proposes whole blocks).
func BenchmarkStoreLogs(b *testing.B) {
	b.Run("3x4B-raftbench", func(b *testing.B) {
		s := testRaftStore(b, "")
		defer s.Close()
		raftbench.StoreLogs(b, s)
	})
	for _, c := range []struct {
		name        string
		count, size int
	}{{"64x1KB", 64, 1 << 10}, {"1x400KB", 1, 400 << 10}} {
		b.Run(c.name, func(b *testing.B) {
			s := testRaftStore(b, "")
			defer s.Close()
			data := make([]byte, c.size)
			logs := make([]*raft.Log, c.count)
			for i := range logs {
				logs[i] = &raft.Log{Term: 1, Data: data}
			}
			b.SetBytes(int64(c.count * c.size))
			b.ResetTimer()
			idx := uint64(0)
			for n := 0; n < b.N; n++ {
				for _, l := range logs {
					idx++
					l.Index = idx
				}
				if err := s.StoreLogs(logs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRaftStore runs hashicorp/raft's shared store benchmarks.
func BenchmarkRaftStore(b *testing.B) {
	for name, fn := range map[string]func(*testing.B, *RaftStore){
		"FirstIndex":  func(b *testing.B, s *RaftStore) { raftbench.FirstIndex(b, s) },
		"LastIndex":   func(b *testing.B, s *RaftStore) { raftbench.LastIndex(b, s) },
		"GetLog":      func(b *testing.B, s *RaftStore) { raftbench.GetLog(b, s) },
		"StoreLog":    func(b *testing.B, s *RaftStore) { raftbench.StoreLog(b, s) },
		"DeleteRange": func(b *testing.B, s *RaftStore) { raftbench.DeleteRange(b, s) },
		"Set":         func(b *testing.B, s *RaftStore) { raftbench.Set(b, s) },
		"Get":         func(b *testing.B, s *RaftStore) { raftbench.Get(b, s) },
		"SetUint64":   func(b *testing.B, s *RaftStore) { raftbench.SetUint64(b, s) },
		"GetUint64":   func(b *testing.B, s *RaftStore) { raftbench.GetUint64(b, s) },
	} {
		b.Run(name, func(b *testing.B) {
			s := testRaftStore(b, "")
			defer s.Close()
			fn(b, s)
		})
	}
}

// BenchmarkLargeBatch writes a 16 MiB synced batch (64 entries of
// 256 KiB, a follower's StoreLogs catching up on full blocks) into a
// LevelDB with the raft store's 8 MiB write buffer, through the journal
// (what openLevel sets: DisableLargeBatchTransaction) and through
// goleveldb's large-batch transaction (its default, which hangs after a
// failed commit; see openLevel). Compare the two in one run.
func BenchmarkLargeBatch(b *testing.B) {
	for _, c := range []struct {
		name    string
		disable bool
	}{{"journal", true}, {"transaction", false}} {
		b.Run(c.name, func(b *testing.B) {
			db, err := leveldb.OpenFile(b.TempDir(), &opt.Options{WriteBuffer: 8 << 20, DisableLargeBatchTransaction: c.disable})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			val := make([]byte, 256<<10)
			crand.Read(val)
			b.SetBytes(64 << 18)
			for n := 0; n < b.N; n++ {
				var batch leveldb.Batch
				for i := range 64 {
					batch.Put(logKey(uint64(n*64+i)), val)
				}
				if err := db.Write(&batch, syncWrite); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
