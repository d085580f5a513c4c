package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/raft"
)

// logFormatV1 is the first byte of every encoded raft.Log (see doc.go).
const logFormatV1 = 0x01

// Bounds of AppendedAt that round-trip through time.Unix: years 1 to 9999.
const (
	minUnixSec = -62135596800 // 0001-01-01T00:00:00Z, the zero time
	maxUnixSec = 253402300799 // 9999-12-31T23:59:59Z
)

var errLogEncoding = errors.New("malformed raft log encoding")

// appendLog appends encoding v1 of l to dst.
func appendLog(dst []byte, l *raft.Log) ([]byte, error) {
	sec, nsec := l.AppendedAt.Unix(), int64(l.AppendedAt.Nanosecond())
	if sec < minUnixSec || sec > maxUnixSec {
		return nil, fmt.Errorf("encode raft log %d: AppendedAt %v outside years 1..9999", l.Index, l.AppendedAt)
	}
	dst = append(dst, logFormatV1)
	dst = binary.AppendUvarint(dst, l.Index)
	dst = binary.AppendUvarint(dst, l.Term)
	dst = append(dst, byte(l.Type))
	dst = binary.AppendUvarint(dst, uint64(len(l.Data)))
	dst = append(dst, l.Data...)
	dst = binary.AppendUvarint(dst, uint64(len(l.Extensions)))
	dst = append(dst, l.Extensions...)
	dst = binary.AppendVarint(dst, sec)
	dst = binary.AppendUvarint(dst, uint64(nsec))
	return dst, nil
}

// logDecoder reads canonical fields from an encoded log.
type logDecoder struct {
	b   []byte
	err error
}

func (d *logDecoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", errLogEncoding, what)
	}
}

func (d *logDecoder) uvarint(what string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	// n > 1 with a zero last byte is an overlong encoding of a smaller value.
	if n <= 0 || (n > 1 && d.b[n-1] == 0) {
		d.fail(what)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *logDecoder) byte1(what string) byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) == 0 {
		d.fail(what)
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *logDecoder) bytes(what string) []byte {
	n := d.uvarint(what + " length")
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.fail(what + " truncated")
		return nil
	}
	if n == 0 {
		return nil
	}
	v := make([]byte, n)
	copy(v, d.b)
	d.b = d.b[n:]
	return v
}

// decodeLog decodes encoding v1 into l. It accepts exactly the byte strings
// appendLog produces, so whatever decodes re-encodes to the same bytes. The
// decoded log shares no memory with b.
func decodeLog(b []byte, l *raft.Log) error {
	d := &logDecoder{b: b}
	if v := d.byte1("format version"); d.err == nil && v != logFormatV1 {
		return fmt.Errorf("%w: format version %d", errLogEncoding, v)
	}
	var out raft.Log
	out.Index = d.uvarint("index")
	out.Term = d.uvarint("term")
	out.Type = raft.LogType(d.byte1("type"))
	out.Data = d.bytes("data")
	out.Extensions = d.bytes("extensions")
	var sec int64
	if d.err == nil {
		v, n := binary.Varint(d.b)
		// Varint is zigzag over Uvarint, so the same overlong test applies.
		if n <= 0 || (n > 1 && d.b[n-1] == 0) {
			d.fail("appended-at seconds")
		} else {
			sec, d.b = v, d.b[n:]
		}
	}
	nsec := d.uvarint("appended-at nanoseconds")
	if d.err != nil {
		return d.err
	}
	if len(d.b) != 0 {
		return fmt.Errorf("%w: %d trailing bytes", errLogEncoding, len(d.b))
	}
	if sec < minUnixSec || sec > maxUnixSec || nsec >= 1e9 {
		return fmt.Errorf("%w: appended-at %d.%09d out of range", errLogEncoding, sec, nsec)
	}
	if sec == minUnixSec && nsec == 0 {
		out.AppendedAt = time.Time{}
	} else {
		out.AppendedAt = time.Unix(sec, int64(nsec)).UTC()
	}
	*l = out
	return nil
}
