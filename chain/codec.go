package chain

import (
	"encoding/binary"
	"unicode/utf8"
)

// encoder appends the canonical encoding: fixed-width big-endian integers,
// strings and byte strings behind a length of fixed width.
type encoder struct{ b []byte }

func (e *encoder) u8(v uint8)       { e.b = append(e.b, v) }
func (e *encoder) u16(v uint16)     { e.b = binary.BigEndian.AppendUint16(e.b, v) }
func (e *encoder) u32(v uint32)     { e.b = binary.BigEndian.AppendUint32(e.b, v) }
func (e *encoder) u64(v uint64)     { e.b = binary.BigEndian.AppendUint64(e.b, v) }
func (e *encoder) raw(v []byte)     { e.b = append(e.b, v...) }
func (e *encoder) str8(s string)    { e.u8(uint8(len(s))); e.b = append(e.b, s...) }
func (e *encoder) bytes16(v []byte) { e.u16(uint16(len(v))); e.raw(v) }
func (e *encoder) bytes32(v []byte) { e.u32(uint32(len(v))); e.raw(v) }

// decoder reads the canonical encoding strictly: the first short read or
// out-of-range length is remembered and everything after it is a no-op.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = errorf(ErrMalformed, format, args...)
	}
}

func (d *decoder) take(n int, what string) []byte {
	if d.err != nil {
		return nil
	}
	if n > len(d.b) {
		d.fail("%s: need %d bytes, %d left", what, n, len(d.b))
		return nil
	}
	out := d.b[:n:n]
	d.b = d.b[n:]
	return out
}

func (d *decoder) u8(what string) uint8 {
	if b := d.take(1, what); b != nil {
		return b[0]
	}
	return 0
}

func (d *decoder) u16(what string) uint16 {
	if b := d.take(2, what); b != nil {
		return binary.BigEndian.Uint16(b)
	}
	return 0
}

func (d *decoder) u32(what string) uint32 {
	if b := d.take(4, what); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}

func (d *decoder) u64(what string) uint64 {
	if b := d.take(8, what); b != nil {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

func (d *decoder) fixed(dst []byte, what string) {
	if b := d.take(len(dst), what); b != nil {
		copy(dst, b)
	}
}

// str8 reads a length-prefixed UTF-8 string of at most max bytes.
func (d *decoder) str8(max int, what string) string {
	n := int(d.u8(what))
	if d.err == nil && n > max {
		d.fail("%s: %d bytes, at most %d", what, n, max)
		return ""
	}
	b := d.take(n, what)
	if d.err == nil && !utf8.Valid(b) {
		d.fail("%s: not UTF-8", what)
	}
	return string(b)
}

// bytes16 and bytes32 read length-prefixed byte strings of at most max
// bytes; the length is checked before anything is allocated.
func (d *decoder) bytes16(max int, what string) []byte {
	n := int(d.u16(what))
	if d.err == nil && n > max {
		d.fail("%s: %d bytes, at most %d", what, n, max)
		return nil
	}
	return d.take(n, what)
}

func (d *decoder) bytes32(max int, what string) []byte {
	n := d.u32(what)
	if d.err == nil && uint64(n) > uint64(max) {
		d.fail("%s: %d bytes, at most %d", what, n, max)
		return nil
	}
	return d.take(int(n), what)
}

func (d *decoder) end(what string) {
	if d.err == nil && len(d.b) != 0 {
		d.fail("%s: %d trailing bytes", what, len(d.b))
	}
}
