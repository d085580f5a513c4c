package api

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/veilchain/veil/chain"
)

// copies returns n copies of tx under fresh nonces: each has its own id,
// so each costs a full verification (which fails), without signing.
func copies(t *testing.T, tx *chain.Tx, n, salt int) []*chain.Tx {
	t.Helper()
	out := make([]*chain.Tx, n)
	for i := range out {
		c := *tx
		c.Nonce[0], c.Nonce[1], c.Nonce[2] = byte(i), byte(i>>8), byte(salt)
		d, err := chain.DecodeTx(c.Encode())
		if err != nil {
			t.Fatal(err)
		}
		out[i] = d
	}
	return out
}

// TestSubmitBusyWhenAPIShareFull: with the verification pool busy with
// block work and the API's share of it full, a submission is answered at
// once with 503 busy and Retry-After, and counted as busy, not refused.
func TestSubmitBusyWhenAPIShareFull(t *testing.T) {
	e := newEnv(t, Config{})
	v := e.ledger.Verifier()
	key, err := e.ledger.GroupKey("acme", 0)
	if err != nil {
		t.Fatal(err)
	}
	genuine := e.anon("alice", "t", "x")
	// Block work, kept topped up while the test submits: API work waits
	// behind all of it however slow the machine is (a fixed backlog
	// drained first on a loaded machine once verification got faster).
	backlog, next := copies(t, genuine, 4000, 1), 0
	topUp := func() {
		for v.QueueDepth(chain.PriorityApply) < 40*v.Workers() && next < len(backlog) {
			v.Prefetch(chain.PriorityApply, backlog[next], key)
			next++
		}
	}
	topUp()
	type answer struct {
		status     int
		code       string
		retryAfter string
	}
	post := func(tx *chain.Tx) answer {
		resp, err := http.Post(e.srv.URL+"/v1/txs", "application/json", strings.NewReader(txBody(tx)))
		if err != nil {
			t.Error(err)
			return answer{}
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		var eb ErrorBody
		_ = json.Unmarshal(data, &eb)
		return answer{resp.StatusCode, eb.Error.Code, resp.Header.Get("Retry-After")}
	}
	var wg sync.WaitGroup
	defer wg.Wait() // the queued submissions end once the backlog is verified
	subs := copies(t, genuine, 1000, 2)
	for i, tx := range subs {
		topUp()
		got := make(chan answer, 1)
		wg.Add(1)
		go func() { defer wg.Done(); got <- post(tx) }()
		for queued := false; !queued; {
			select {
			case a := <-got:
				if a.status != http.StatusServiceUnavailable || a.code != CodeBusy {
					t.Fatalf("submission %d with the API share not yet full: %d %s (the block backlog drained first?)", i, a.status, a.code)
				}
				if a.retryAfter == "" {
					t.Fatal("busy without Retry-After")
				}
				if i == 0 {
					t.Fatal("busy with an empty API queue")
				}
				if v.QueueDepth(chain.PriorityAPI) != i {
					t.Fatalf("busy with %d API verifications queued, %d submitted", v.QueueDepth(chain.PriorityAPI), i)
				}
				resp, err := http.Get(e.srv.URL + "/metrics")
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if !strings.Contains(string(body), "veil_api_busy_total 1\n") || strings.Contains(string(body), `code="busy"`) {
					t.Fatalf("busy not counted as busy (and only so):\n%s", body)
				}
				return
			default:
				topUp()
				queued = v.QueueDepth(chain.PriorityAPI) == i+1
				time.Sleep(100 * time.Microsecond)
			}
		}
	}
	t.Fatal("never busy")
}
