package faults

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/veilchain/veil/api"
	"github.com/veilchain/veil/chain"
)

// TestBadClientsUnderLoad runs honest load at a fixed rate, first alone
// (the baseline window), then beside bad clients (a window of the same
// length): garbage bodies, oversized bodies, replays of committed
// transactions, transactions of a revoked member, expired transactions,
// and websocket clients that never read the event stream. Every bad
// request must get 400 with its refusal code, and honest throughput (the
// transactions accepted in a window that the event streams reported
// committed by two seconds after it, per second) must stay within 20 % of
// the baseline.
func TestBadClientsUnderLoad(t *testing.T) {
	const honestRate = 20
	window := max(8*time.Second, time.Duration(rounds())*6*time.Second)

	n := startNetwork(t, netOptions{Nodes: 4, Validators: 3, Groups: []string{"acme"}})
	members := n.addMembers("acme", "alice", "bob", "carol", "dave", "mallory")
	mallory := members[4]
	// mallory's transactions are signed at epoch 0 before she is revoked.
	var revoked []*chain.Tx
	for range 10 {
		tx, err := signAnonymous(n.chainID, "acme", "faults", []byte("from a revoked member"), n.height.Load()+500, mallory)
		if err != nil {
			t.Fatal(err)
		}
		revoked = append(revoked, tx)
	}
	n.revoke("acme", "mallory")
	// The others take their re-issued keys from chain state.
	honest := n.updateMembers("acme", members[:4])
	if e := honest[0].Key.Epoch(); e != 1 {
		t.Fatalf("honest keys at epoch %d after the revocation, want 1", e)
	}
	var expired []*chain.Tx
	for range 10 {
		tx, err := signAnonymous(n.chainID, "acme", "faults", []byte("too late"), 1, honest[0])
		if err != nil {
			t.Fatal(err)
		}
		expired = append(expired, tx)
	}

	w := n.watch()
	// Every honest transaction is signed before the load starts, so that
	// the bad clients' CPU cannot slow the signer: the comparison is about
	// the nodes.
	ld := n.startLoad(loadOptions{Group: "acme", Members: honest, Rate: honestRate, Payload: 128,
		Presign: int(honestRate * (2*window + 10*time.Second).Seconds())})
	n.waitProgress(n.all(), 5) // warm up

	baseStart := time.Now()
	time.Sleep(window)
	badStart := time.Now()
	bad := startBadClients(n, ld, revoked, expired)
	time.Sleep(window)
	badEnd := time.Now()
	bad.stop()
	ld.stop()
	t.Logf("load: %s", ld)

	const grace = 2 * time.Second
	time.Sleep(grace)
	baseRate, baseP50, baseP95 := windowStats(ld, w, baseStart, badStart, grace)
	badRate, badP50, badP95 := windowStats(ld, w, badStart, badEnd, grace)
	t.Logf("honest throughput: alone %.1f tx/s (latency p50 %v p95 %v); beside bad clients %.1f tx/s (p50 %v p95 %v)",
		baseRate, baseP50.Round(time.Millisecond), baseP95.Round(time.Millisecond), badRate, badP50.Round(time.Millisecond), badP95.Round(time.Millisecond))

	o := n.verify(ld, w)
	bad.report(t)
	ratio := badRate / baseRate
	o.summary(t, fmt.Sprintf(" honest_rate=%d/s window=%v honest_committed_baseline=%.1f/s honest_committed_with_bad_clients=%.1f/s ratio=%.2f bad_requests=%d",
		honestRate, window, baseRate, badRate, ratio, bad.total()))
	if ratio < 0.8 {
		t.Errorf("honest throughput fell to %.1f tx/s beside bad clients, from %.1f tx/s alone (%.0f%%; want ≥ 80%%)", badRate, baseRate, 100*ratio)
	}
	ld.mu.Lock()
	defer ld.mu.Unlock()
	if len(ld.refused) > 0 || ld.transport > 0 {
		t.Errorf("honest transactions were refused beside bad clients: %v, %d without an answer", ld.refused, ld.transport)
	}
}

// badClients sends bad requests of each kind at a fixed rate, round robin
// over the nodes, and counts the answers by kind: "400 code" or the
// transport error.
type badClients struct {
	n      *network
	http   *http.Client
	cancel context.CancelFunc
	wg     sync.WaitGroup
	slow   []*websocket.Conn

	mu      sync.Mutex
	answers map[string]map[string]int // kind → answer → count
}

// badKinds: each kind of bad request, its rate per second and the code
// it must be refused with.
var badKinds = []struct {
	kind string
	rate float64
	code string
}{
	{"garbage", 30, "malformed"},
	{"oversized", 4, "too_large"},
	{"replay", 20, "duplicate"},
	{"revoked", 20, "stale_epoch"},
	{"expired", 20, "expired"},
}

const slowStreamsPerNode = 2

func startBadClients(n *network, ld *load, revoked, expired []*chain.Tx) *badClients {
	ctx, cancel := context.WithCancel(context.Background())
	b := &badClients{n: n, http: &http.Client{Timeout: 10 * time.Second}, cancel: cancel, answers: map[string]map[string]int{}}
	n.t.Cleanup(b.stop)

	// Replays: honest transactions already committed.
	var replays [][]byte
	committed := ld.acceptedRaw()
	n.eventually(30*time.Second, "committed transactions to replay", func() (bool, string) {
		replays = replays[:0]
		for id, raw := range committed {
			if r, ok := n.txStatus(id); ok && r == "committed" {
				replays = append(replays, raw)
			}
			if len(replays) >= 20 {
				break
			}
		}
		return len(replays) > 0, fmt.Sprintf("%d of %d", len(replays), len(committed))
	})
	oversized := []byte(`{"tx":"` + strings.Repeat("00", (5<<20)/4) + `"}`) // 2.5 MiB
	bodies := map[string]func(k int) []byte{
		"garbage": func(k int) []byte {
			switch k % 3 {
			case 0: // not JSON
				junk := make([]byte, 512)
				_, _ = rand.Read(junk)
				return junk
			case 1: // JSON, not hex
				return []byte(`{"tx":"this is not hex"}`)
			default: // hex, not a transaction
				junk := make([]byte, 300)
				_, _ = rand.Read(junk)
				return submitBody(junk)
			}
		},
		"oversized": func(int) []byte { return oversized },
		"replay":    func(k int) []byte { return submitBody(replays[k%len(replays)]) },
		"revoked":   func(k int) []byte { return submitBody(revoked[k%len(revoked)].Encode()) },
		"expired":   func(k int) []byte { return submitBody(expired[k%len(expired)].Encode()) },
	}
	for _, bk := range badKinds {
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			b.send(ctx, bk.kind, bk.rate, bodies[bk.kind])
		}()
	}

	// Slow consumers: event streams replaying the whole chain that are
	// never read.
	for _, p := range n.nodes {
		for range slowStreamsPerNode {
			dctx, dcancel := context.WithTimeout(ctx, 5*time.Second)
			c, _, err := websocket.Dial(dctx, strings.Replace(p.url, "http", "ws", 1)+"/v1/events?from_height=1", nil)
			dcancel()
			if err != nil {
				n.t.Errorf("slow client: open %s's event stream: %v", p.id, err)
				continue
			}
			b.slow = append(b.slow, c)
		}
	}
	return b
}

func submitBody(raw []byte) []byte {
	body, _ := json.Marshal(api.SubmitRequest{Tx: hex.EncodeToString(raw)})
	return body
}

func (b *badClients) send(ctx context.Context, kind string, rate float64, body func(int) []byte) {
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	var inflight sync.WaitGroup
	defer inflight.Wait()
	for k := 0; ; k++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		nodes := b.n.running()
		url := b.n.node(nodes[k%len(nodes)]).url + "/v1/txs"
		inflight.Add(1)
		go func() {
			defer inflight.Done()
			b.count(kind, b.post(url, body(k)))
		}()
	}
}

// post sends one body and describes the answer: "400 code", or the error.
func (b *badClients) post(url string, body []byte) string {
	resp, err := b.http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return "transport: " + err.Error()
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var eb api.ErrorBody
	_ = json.Unmarshal(data, &eb)
	return fmt.Sprintf("%d %s", resp.StatusCode, eb.Error.Code)
}

func (b *badClients) count(kind, answer string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.answers[kind] == nil {
		b.answers[kind] = map[string]int{}
	}
	b.answers[kind][answer]++
}

func (b *badClients) stop() {
	b.cancel()
	b.wg.Wait()
	for _, c := range b.slow {
		c.CloseNow()
	}
	b.slow = nil
}

func (b *badClients) total() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	t := 0
	for _, m := range b.answers {
		for _, c := range m {
			t += c
		}
	}
	return t
}

// report logs the answers of each kind and fails the test for any answer
// but 400 with the kind's code.
func (b *badClients) report(t *testing.T) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, bk := range badKinds {
		want := "400 " + bk.code
		got := b.answers[bk.kind]
		t.Logf("bad clients: %-9s %v", bk.kind, got)
		if got[want] == 0 {
			t.Errorf("bad clients: no %s request was answered %q", bk.kind, want)
		}
		for answer, c := range got {
			if answer != want {
				t.Errorf("bad clients: %d %s request(s) answered %q, want %q", c, bk.kind, answer, want)
			}
		}
	}
	t.Logf("bad clients: %d event streams never read; the watcher's streams kept reporting commits", slowStreamsPerNode*len(b.n.nodes))
}

// txStatus asks a running node for a transaction's status.
func (n *network) txStatus(id string) (string, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	tx, err := n.node(n.running()[0]).c.Tx(ctx, id)
	if err != nil {
		return "", false
	}
	return tx.Status, true
}
