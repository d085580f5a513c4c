package storage

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

func sampleLogs() []*raft.Log {
	return []*raft.Log{
		{},
		{Index: 1, Term: 1, Type: raft.LogCommand, Data: []byte("cmd")},
		{Index: 2, Term: 1, Type: raft.LogNoop},
		{Index: 3, Term: 2, Type: raft.LogConfiguration, Data: []byte{0, 1, 2}, Extensions: []byte("ext"),
			AppendedAt: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)},
		{Index: math.MaxUint64, Term: math.MaxUint64, Type: 255, Data: bytes.Repeat([]byte{0xff}, 300),
			AppendedAt: time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)},
		{Index: 7, Term: 3, Type: raft.LogBarrier, AppendedAt: time.Unix(-1, 5).UTC()},
	}
}

func TestLogEncodingRoundTrip(t *testing.T) {
	for _, in := range sampleLogs() {
		enc, err := appendLog(nil, in)
		if err != nil {
			t.Fatal(err)
		}
		var out raft.Log
		if err := decodeLog(enc, &out); err != nil {
			t.Fatalf("decode %x: %v", enc, err)
		}
		if !reflect.DeepEqual(in, &out) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", out, *in)
		}
		again, _ := appendLog(nil, &out)
		if !bytes.Equal(enc, again) {
			t.Fatalf("re-encoding differs: %x vs %x", enc, again)
		}
	}
	// Local times and monotonic readings encode as the same instant.
	now := time.Now()
	enc, err := appendLog(nil, &raft.Log{Index: 1, AppendedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	var out raft.Log
	if err := decodeLog(enc, &out); err != nil || !out.AppendedAt.Equal(now) {
		t.Fatalf("now: %v, %v", out.AppendedAt, err)
	}
}

func TestLogEncodingCompact(t *testing.T) {
	enc, _ := appendLog(nil, &raft.Log{Index: 1000, Term: 3, Type: raft.LogCommand, Data: make([]byte, 100),
		AppendedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	// 1 version + 2 index + 1 term + 1 type + 1+100 data + 1 ext + 5 sec + 1 nsec
	if len(enc) != 113 {
		t.Fatalf("encoding is %d bytes, want 113", len(enc))
	}
}

func TestDecodeLogRejects(t *testing.T) {
	good, _ := appendLog(nil, &raft.Log{Index: 1, Term: 1, Data: []byte("x")})
	cases := map[string][]byte{
		"empty":            {},
		"bad version":      append([]byte{2}, good[1:]...),
		"trailing byte":    append(append([]byte{}, good...), 0),
		"truncated":        good[:len(good)-1],
		"overlong index":   {1, 0x81, 0x00, 1, 0, 0, 0, 0, 0},
		"data too long":    {1, 1, 1, 0, 5, 'x'},
		"nanos too large":  append(append([]byte{}, good[:len(good)-1]...), 0x80, 0x94, 0xeb, 0xdc, 0x03),
		"seconds too late": {1, 1, 1, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0},
	}
	for name, b := range cases {
		var l raft.Log
		if err := decodeLog(b, &l); !errors.Is(err, errLogEncoding) {
			t.Errorf("%s: decode %x = %v, want errLogEncoding", name, b, err)
		}
	}
	if _, err := appendLog(nil, &raft.Log{AppendedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}); err == nil {
		t.Error("year 10000 encoded")
	}
}

// FuzzDecodeLog: the decoder never panics, and anything it accepts
// re-encodes to exactly the input (the encoding is canonical).
func FuzzDecodeLog(f *testing.F) {
	for _, l := range sampleLogs() {
		enc, err := appendLog(nil, l)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(enc)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var l raft.Log
		if err := decodeLog(b, &l); err != nil {
			return
		}
		enc, err := appendLog(nil, &l)
		if err != nil {
			t.Fatalf("decoded %x but cannot re-encode: %v", b, err)
		}
		if !bytes.Equal(enc, b) {
			t.Fatalf("decode/encode not canonical:\n in %x\nout %x", b, enc)
		}
	})
}
