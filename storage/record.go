package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

var errRecord = errors.New("malformed record")

// The chain database's two small binary records, both canonical (minimal
// uvarints, no trailing bytes), so what decodes re-encodes to the same bytes:
//
//	tx location  uvarint height ‖ uvarint index (< 2^32)
//	block head   uvarint parts (< 2^32) ‖ uvarint size ‖ head bytes
//
// size is the length of the whole block (head and parts); it lets a reader
// allocate once and check that the parts it found add up.

func appendTxLocation(dst []byte, height uint64, index uint32) []byte {
	dst = binary.AppendUvarint(dst, height)
	return binary.AppendUvarint(dst, uint64(index))
}

// uvarint reads a minimal uvarint; n is 0 on failure.
func uvarint(b []byte) (v uint64, n int) {
	v, n = binary.Uvarint(b)
	// n > 1 with a zero last byte is an overlong encoding of a smaller value.
	if n <= 0 || (n > 1 && b[n-1] == 0) {
		return 0, 0
	}
	return v, n
}

func decodeTxLocation(b []byte) (height uint64, index uint32, err error) {
	h, n := uvarint(b)
	if n == 0 {
		return 0, 0, fmt.Errorf("%w: tx location height", errRecord)
	}
	i, m := uvarint(b[n:])
	if m == 0 || i > math.MaxUint32 {
		return 0, 0, fmt.Errorf("%w: tx location index", errRecord)
	}
	if n+m != len(b) {
		return 0, 0, fmt.Errorf("%w: tx location has %d trailing bytes", errRecord, len(b)-n-m)
	}
	return h, uint32(i), nil
}

func appendBlockRecord(dst []byte, head []byte, parts uint32, size uint64) []byte {
	dst = binary.AppendUvarint(dst, uint64(parts))
	dst = binary.AppendUvarint(dst, size)
	return append(dst, head...)
}

// decodeBlockRecord returns the head (a sub-slice of b), the part count and
// the whole block's size.
func decodeBlockRecord(b []byte) (head []byte, parts uint32, size uint64, err error) {
	p, n := uvarint(b)
	if n == 0 || p > math.MaxUint32 {
		return nil, 0, 0, fmt.Errorf("%w: block part count", errRecord)
	}
	s, m := uvarint(b[n:])
	if m == 0 {
		return nil, 0, 0, fmt.Errorf("%w: block size", errRecord)
	}
	head = b[n+m:]
	if s < uint64(len(head)) {
		return nil, 0, 0, fmt.Errorf("%w: block size %d below its head's %d bytes", errRecord, s, len(head))
	}
	if p == 0 && s != uint64(len(head)) {
		return nil, 0, 0, fmt.Errorf("%w: block of no parts has size %d, head %d", errRecord, s, len(head))
	}
	return head, uint32(p), s, nil
}
