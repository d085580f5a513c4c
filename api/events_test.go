package api

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
)

// evKey is what identifies an event in a stream: its type, height and,
// for a transaction, its id.
func evKey(ev *Event) string {
	k := fmt.Sprintf("%s@%d", ev.Type, ev.Height)
	if ev.Tx != nil {
		k += "/" + ev.Tx.ID
	}
	return k
}

// dialEvents opens /v1/events with the query q.
func (e *env) dialEvents(ctx context.Context, t *testing.T, q string) *websocket.Conn {
	t.Helper()
	c, _, err := websocket.Dial(ctx, strings.Replace(e.srv.URL, "http", "ws", 1)+"/v1/events"+q, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.SetReadLimit(16 << 20)
	t.Cleanup(func() { c.CloseNow() })
	return c
}

// expectedEvents is what a stream of topic (nil: every event) must send
// for heights from..to, read from the ledger.
func (e *env) expectedEvents(t *testing.T, topic *string, from, to uint64) []string {
	t.Helper()
	sub := &subscriber{topic: topic}
	var out []string
	for h := from; h <= to; h++ {
		b, err := e.ledger.Block(h)
		if err != nil {
			t.Fatalf("block %d: %v", h, err)
		}
		codes, _ := e.ledger.Results(h)
		notes, _ := e.ledger.ThresholdNotes(h)
		for _, ev := range sub.filter(blockEvents(b, codes, notes)) {
			out = append(out, evKey(&ev))
		}
	}
	return out
}

func readEvents(ctx context.Context, t *testing.T, c *websocket.Conn, n int) []string {
	t.Helper()
	out := make([]string, 0, n)
	for len(out) < n {
		var ev Event
		if err := wsjson.Read(ctx, c, &ev); err != nil {
			t.Fatalf("after %d events %v: %v", len(out), out, err)
		}
		out = append(out, evKey(&ev))
	}
	return out
}

// commitWith posts one anonymous transaction of topic and cuts a block.
func (e *env) commitWith(t *testing.T, topic string) {
	t.Helper()
	if st, eb, _ := e.post(t, txBody(e.anon("alice", topic, fmt.Sprint(e.ledger.Head().Height)))); st != 202 {
		t.Fatalf("submit: %d %+v", st, eb)
	}
	e.commit()
}

// TestEventStreamFromAboveHead is the defect of issue 13: a node at
// height H asked for from_height=H+3 sent H+1 and H+2 once they were
// committed, so a client resuming on a node that is behind got blocks
// twice. The stream must start at H+3 exactly, for every event type.
func TestEventStreamFromAboveHead(t *testing.T) {
	e := newEnv(t, Config{})
	e.commitWith(t, "p")
	h := e.ledger.Head().Height
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	all := e.dialEvents(ctx, t, fmt.Sprintf("?from_height=%d", h+3))
	topic := "p"
	only := e.dialEvents(ctx, t, fmt.Sprintf("?from_height=%d&topic=p", h+3))
	for range 4 {
		e.commitWith(t, "p")
	}
	want := e.expectedEvents(t, nil, h+3, h+4)
	if got := readEvents(ctx, t, all, len(want)); !slices.Equal(got, want) {
		t.Fatalf("from_height=%d at head %d: got %v, want %v", h+3, h, got, want)
	}
	want = e.expectedEvents(t, &topic, h+3, h+4)
	if got := readEvents(ctx, t, only, len(want)); !slices.Equal(got, want) {
		t.Fatalf("from_height=%d&topic=p at head %d: got %v, want %v", h+3, h, got, want)
	}
}

// TestEventStreamFromHeightProperty opens streams at random from_height
// around the head (below it: replay then live; above it: live only, the
// node behind the client) and random topic filters, sometimes while
// blocks are being committed, and checks each sends exactly the events of
// heights from_height… in order: nothing below from_height, no repeat, no
// gap. A block committed after the check must follow at once.
func TestEventStreamFromHeightProperty(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 13))
	e := newEnv(t, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	topics := []string{"p", "q"}
	for trial := range 30 {
		head := e.ledger.Head().Height
		from := 1 + rng.Uint64N(head+4) // 1 … head+4
		var topic *string
		q := fmt.Sprintf("?from_height=%d", from)
		if rng.IntN(3) == 0 {
			topic = &topics[rng.IntN(2)]
			q += "&topic=" + *topic
		}
		blocks := rng.IntN(4)
		if need := int(from) - int(head); need > blocks {
			blocks = need
		}
		var c *websocket.Conn
		if rng.IntN(2) == 0 {
			// Commit while the stream subscribes and replays.
			dialed := make(chan *websocket.Conn, 1)
			go func() {
				c, _, err := websocket.Dial(ctx, strings.Replace(e.srv.URL, "http", "ws", 1)+"/v1/events"+q, nil)
				if err != nil {
					t.Error(err)
				}
				dialed <- c
			}()
			for range blocks {
				e.commitWith(t, topics[rng.IntN(2)])
			}
			if c = <-dialed; c == nil {
				t.FailNow()
			}
			t.Cleanup(func() { c.CloseNow() })
		} else {
			c = e.dialEvents(ctx, t, q)
			for range blocks {
				e.commitWith(t, topics[rng.IntN(2)])
			}
		}
		to := e.ledger.Head().Height
		want := e.expectedEvents(t, topic, from, to)
		got := readEvents(ctx, t, c, len(want))
		if !slices.Equal(got, want) {
			t.Fatalf("trial %d: head %d, %s, %d blocks committed: got %v, want %v", trial, head, q, blocks, got, want)
		}
		// The next event is the next block's first.
		next := "p"
		if topic != nil {
			next = *topic
		}
		e.commitWith(t, next)
		want = e.expectedEvents(t, topic, to+1, to+1)
		if got := readEvents(ctx, t, c, 1); got[0] != want[0] {
			t.Fatalf("trial %d: after the check, got %v, want %v", trial, got, want[0])
		}
		c.CloseNow()
	}
}
