package storage

import (
	"bytes"
	"math"
	"testing"
)

func TestTxLocationRecord(t *testing.T) {
	for _, c := range []struct {
		h uint64
		i uint32
	}{{0, 0}, {1, 0}, {127, 128}, {1 << 32, math.MaxUint32}, {math.MaxUint64, 7}} {
		enc := appendTxLocation(nil, c.h, c.i)
		h, i, err := decodeTxLocation(enc)
		if err != nil || h != c.h || i != c.i {
			t.Fatalf("%d/%d: decoded %d/%d, %v", c.h, c.i, h, i, err)
		}
	}
	for name, b := range map[string][]byte{
		"empty":          nil,
		"no index":       {5},
		"overlong":       {0x85, 0x00, 1},
		"trailing":       {5, 1, 0},
		"index too big":  {1, 0x80, 0x80, 0x80, 0x80, 0x10},
		"v1 fixed width": append(be64(9), 0, 0, 0, 3),
	} {
		if _, _, err := decodeTxLocation(b); err == nil {
			t.Errorf("%s: %x accepted", name, b)
		}
	}
}

func TestBlockRecord(t *testing.T) {
	enc := appendBlockRecord(nil, []byte("head"), 3, 100)
	head, parts, size, err := decodeBlockRecord(enc)
	if err != nil || string(head) != "head" || parts != 3 || size != 100 {
		t.Fatalf("decoded %q %d %d, %v", head, parts, size, err)
	}
	for name, b := range map[string][]byte{
		"empty":              nil,
		"no size":            {3},
		"size below head":    appendBlockRecord(nil, []byte("head"), 3, 3),
		"no parts, too long": appendBlockRecord(nil, []byte("head"), 0, 5),
		"parts too many":     {0x80, 0x80, 0x80, 0x80, 0x10, 0},
		"overlong parts":     {0x81, 0x00, 4},
	} {
		if _, _, _, err := decodeBlockRecord(b); err == nil {
			t.Errorf("%s: %x accepted", name, b)
		}
	}
}

// FuzzDecodeTxLocation: never panics; what decodes re-encodes to the input.
func FuzzDecodeTxLocation(f *testing.F) {
	f.Add(appendTxLocation(nil, 0, 0))
	f.Add(appendTxLocation(nil, 123456, 1999))
	f.Add(appendTxLocation(nil, math.MaxUint64, math.MaxUint32))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, i, err := decodeTxLocation(b)
		if err != nil {
			return
		}
		if enc := appendTxLocation(nil, h, i); !bytes.Equal(enc, b) {
			t.Fatalf("not canonical: in %x out %x", b, enc)
		}
	})
}

// FuzzDecodeBlockRecord: never panics; what decodes re-encodes to the
// input, and the head it returns lies within the record.
func FuzzDecodeBlockRecord(f *testing.F) {
	f.Add(appendBlockRecord(nil, []byte("header"), 0, 6))
	f.Add(appendBlockRecord(nil, bytes.Repeat([]byte{7}, 200), 2000, 1<<20))
	f.Fuzz(func(t *testing.T, b []byte) {
		head, parts, size, err := decodeBlockRecord(b)
		if err != nil {
			return
		}
		if size < uint64(len(head)) {
			t.Fatalf("size %d below head %d", size, len(head))
		}
		if enc := appendBlockRecord(nil, head, parts, size); !bytes.Equal(enc, b) {
			t.Fatalf("not canonical: in %x out %x", b, enc)
		}
	})
}
