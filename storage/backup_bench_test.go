package storage

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/syndtr/goleveldb/leveldb/util"
)

// benchBackupDB is a chain database of 40 blocks of 500 parts of 560
// incompressible bytes (a v2 transaction's size) with their indexes:
// about 11 MB of values in 60,000 keys.
func benchBackupDB(b *testing.B) *DB {
	b.Helper()
	db, err := Open(b.TempDir(), DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	rng := rand.New(rand.NewPCG(3, 4))
	for h := uint64(1); h <= 40; h++ {
		batch := db.NewBatch()
		parts := make([][]byte, 500)
		for i := range parts {
			parts[i] = make([]byte, 560)
			for j := range parts[i] {
				parts[i][j] = byte(rng.Uint32())
			}
			id := hashOf("tx", h, i)
			batch.PutTx(id, h, uint32(i))
			batch.AddTopicTx("bench", TopicSeq(h, uint32(i)), id)
		}
		hash := hashOf("block", h)
		batch.PutBlock(h, hash, []byte(fmt.Sprint("header", h)), parts)
		batch.SetHead(h, hash)
		if err := batch.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	return db
}

// BenchmarkBackup compares, on one database in one run, a bare snapshot
// walk over every key (the least any consistent copy costs: "walk"), the
// backup stream written to io.Discard (encoding and SHA-256 on top:
// "backup"), and RestoreBackup of that stream into a new directory
// (decoding, checking, writing LevelDB, reopening: "restore"). MB/s is of
// the stream. Read the ratios backup/walk and restore/walk.
func BenchmarkBackup(b *testing.B) {
	db := benchBackupDB(b)
	var stream bytes.Buffer
	if _, err := db.Backup(&stream, "bench"); err != nil {
		b.Fatal(err)
	}
	b.Run("walk", func(b *testing.B) {
		b.SetBytes(int64(stream.Len()))
		for n := 0; n < b.N; n++ {
			snap, err := db.ldb.GetSnapshot()
			if err != nil {
				b.Fatal(err)
			}
			it := snap.NewIterator(&util.Range{}, nil)
			var sum int
			for it.Next() {
				sum += len(it.Key()) + len(it.Value())
			}
			it.Release()
			snap.Release()
			if sum == 0 {
				b.Fatal("empty")
			}
		}
	})
	b.Run("backup", func(b *testing.B) {
		b.SetBytes(int64(stream.Len()))
		for n := 0; n < b.N; n++ {
			if _, err := db.Backup(io.Discard, "bench"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("restore", func(b *testing.B) {
		b.SetBytes(int64(stream.Len()))
		dir := b.TempDir()
		for n := 0; n < b.N; n++ {
			if _, err := RestoreBackup(filepath.Join(dir, fmt.Sprint(n)), bytes.NewReader(stream.Bytes()), nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}
