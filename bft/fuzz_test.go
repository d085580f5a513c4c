package bft

import (
	"bytes"
	"testing"
)

// FuzzCertificate: the decoder never panics, and what it accepts is
// canonical: it encodes back to the same bytes.
func FuzzCertificate(f *testing.F) {
	f.Add([]byte{certVersion, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		var c Certificate
		if c.UnmarshalBinary(b) != nil {
			return
		}
		again, err := c.MarshalBinary()
		if err != nil {
			t.Fatalf("decoded certificate does not encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("not canonical: %x re-encodes as %x", b, again)
		}
	})
}

// FuzzEnvelope: the consensus envelope decoder never panics, and accepts
// only a known type with a body.
func FuzzEnvelope(f *testing.F) {
	f.Add([]byte{MsgConsensus, 1, 2})
	f.Add([]byte{MsgRequest, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		typ, body, err := DecodeEnvelope(b)
		if err != nil {
			return
		}
		if (typ != MsgConsensus && typ != MsgRequest) || len(body) == 0 || !bytes.Equal(encodeEnvelope(typ, body), b) {
			t.Fatalf("accepted %x as type %d body %x", b, typ, body)
		}
	})
}

// FuzzCertifiedReply: the block sync reply decoder never panics, and what
// it accepts re-encodes to the same bytes.
func FuzzCertifiedReply(f *testing.F) {
	f.Add(AppendCertified(nil, []byte("block"), []byte("cert")))
	f.Fuzz(func(t *testing.T, b []byte) {
		blocks, certs, err := DecodeCertified(b)
		if err != nil {
			return
		}
		var again []byte
		for i := range blocks {
			if len(blocks[i]) == 0 || len(certs[i]) == 0 {
				t.Fatal("accepted an empty chunk")
			}
			again = AppendCertified(again, blocks[i], certs[i])
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("%x re-encodes as %x", b, again)
		}
	})
}
