package p2p

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzReadFrame feeds arbitrary bytes to the frame reader and every header
// decoder run on what it yields: none may panic or over-allocate, and what
// decodes must re-encode to the same bytes.
func FuzzReadFrame(f *testing.F) {
	var seed bytes.Buffer
	writeFrame(&seed, encodeRequest(opRequest, 7, 1500, []byte("block 42")))
	writeFrame(&seed, []byte{statusError, 'n', 'o'})
	writeFrame(&seed, encodeEnvelope(3, 99, "n1", []byte("tx")))
	f.Add(seed.Bytes())
	f.Add([]byte{0, 0, 0, 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1})
	f.Add([]byte{0, 0, 0, 3, 'm', 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		// The incremental body read, with a read-ahead small enough to grow.
		if len(data) > 0 {
			ahead := 1 + int(data[0]%16)
			if got, err := readBody(bytes.NewReader(data), len(data), ahead); err != nil || !bytes.Equal(got, data) {
				t.Fatalf("body of %d bytes read ahead %d: %d bytes, %v", len(data), ahead, len(got), err)
			}
			if _, err := readBody(bytes.NewReader(data[:len(data)/2]), len(data), ahead); !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("half a body: %v", err)
			}
		}
		const limit = 1 << 16
		r := bytes.NewReader(data)
		for {
			frame, err := readFrame(r, limit)
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, ErrFrameTooLarge) {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if len(frame) > limit {
				t.Fatalf("frame of %d bytes over the limit", len(frame))
			}
			var buf bytes.Buffer
			if err := writeFrame(&buf, frame); err != nil {
				t.Fatal(err)
			}
			if again, err := readFrame(&buf, limit); err != nil || !bytes.Equal(again, frame) {
				t.Fatalf("frame round trip: %v", err)
			}
			if op, kind, ms, body, err := decodeRequest(frame); err == nil {
				if !bytes.Equal(encodeRequest(op, kind, ms, body), frame) {
					t.Fatal("request round trip")
				}
			}
			if status, body, err := decodeResponse(frame); err == nil {
				if !bytes.Equal(append([]byte{status}, body...), frame) {
					t.Fatal("response round trip")
				}
			}
			if kind, id, origin, msg, err := decodeEnvelope(frame); err == nil {
				if !ValidNodeID(origin) || !bytes.Equal(encodeEnvelope(kind, id, origin, msg), frame) {
					t.Fatal("envelope round trip")
				}
			}
		}
	})
}

func TestReadFrameLimits(t *testing.T) {
	var buf bytes.Buffer
	writeFrame(&buf, make([]byte, 100))
	if _, err := readFrame(bytes.NewReader(buf.Bytes()), 99); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("over limit: %v", err)
	}
	if _, err := readFrame(bytes.NewReader(buf.Bytes()[:50]), 100); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("truncated: %v", err)
	}
	if _, err := readFrame(bytes.NewReader(nil), 100); !errors.Is(err, io.EOF) {
		t.Fatalf("empty: %v", err)
	}
	if _, _, _, _, err := decodeEnvelope(encodeEnvelope(1, 2, "bad id!", nil)); err == nil {
		t.Fatal("envelope with an invalid origin decoded")
	}
}
