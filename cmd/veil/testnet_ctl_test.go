package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestDecodeCtlRequest(t *testing.T) {
	for in, ok := range map[string]bool{
		`{"op":"stop","node":"node-2"}`: true, `{"op":"start","node":"3"}`: true, `{"op":"status"}`: true,
		`{"op":"stop"}`: false, `{"op":"stop","node":"node-02"}`: false, `{"op":"stop","node":"node-0"}`: false,
		`{"op":"stop","node":"../x"}`: false, `{"op":"kill","node":"1"}`: false, `{"op":"status","node":"1"}`: false,
		`{"op":"stop","node":"1","extra":1}`: false, `{"op":"stop","node":"1"`: false, ``: false,
		`{"op":"stop","node":"1"}` + strings.Repeat(" ", maxCtlRequest): true, // the first object is read
	} {
		if _, err := decodeCtlRequest(strings.NewReader(in)); (err == nil) != ok {
			t.Errorf("decodeCtlRequest(%.40q): %v, want ok=%v", in, err, ok)
		}
	}
	if _, err := decodeCtlRequest(strings.NewReader(`{"op":"` + strings.Repeat("a", maxCtlRequest) + `"}`)); err == nil {
		t.Error("an oversized request was read")
	}
}

// FuzzDecodeCtlRequest: whatever arrives on the control socket, the
// decoder never panics, and what it accepts is a well-formed request that
// encodes back to an object it accepts again.
func FuzzDecodeCtlRequest(f *testing.F) {
	for _, s := range []string{`{"op":"stop","node":"node-2"}`, `{"op":"start","node":"3"}`, `{"op":"status"}`, `{"op":"stop","node":"node-0"}`, `{}`, `[`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := decodeCtlRequest(bytes.NewReader(b))
		if err != nil {
			return
		}
		again, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		if back, err := decodeCtlRequest(bytes.NewReader(again)); err != nil || back != req {
			t.Fatalf("accepted %q, re-encoded %s: %v %+v", b, again, err, back)
		}
	})
}
