package groupsig

import (
	"io"
	"math/rand/v2"
	"testing"
)

// testRand is a deterministic byte source for reproducible tests; never a
// source for real keys.
func testRand(t testing.TB, seed int64) io.Reader {
	var s [32]byte
	for i := range 8 {
		s[i] = byte(seed >> (8 * i))
	}
	return rand.NewChaCha8(s)
}
