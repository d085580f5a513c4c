package api

import (
	"context"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/groupsig"
)

// Hub fans committed blocks out to event-stream subscribers. Publishing
// never blocks: a subscriber whose buffer is full is dropped (its stream
// closes with "slow consumer"), so a slow client cannot stall the node.
type Hub struct {
	mu     sync.Mutex
	subs   map[*subscriber]struct{}
	closed bool
	drops  uint64
}

type subscriber struct {
	ch    chan []Event // one entry per block
	topic *string      // nil: every event; else only tx events of this topic
	gone  chan struct{}
}

// NewHub returns an empty hub.
func NewHub() *Hub { return &Hub{subs: map[*subscriber]struct{}{}} }

// blockEvents turns an applied block into its events: the block, then
// each transaction that took effect, with its tag (tagged anonymous) or
// its member label and request hash (join request and response).
func blockEvents(b *chain.Block, codes []chain.Code, notes []chain.ThresholdNote) []Event {
	bj := b.JSON(codes)
	out := []Event{{Type: "block", Height: b.Height, Block: &bj}}
	for i, tx := range b.Txs {
		if i < len(codes) && codes[i] != chain.CodeOK {
			continue
		}
		id := tx.ID()
		te := &TxEvent{ID: hex.EncodeToString(id[:]), Index: uint32(i), Kind: tx.Kind.String(), Group: tx.Group, Epoch: tx.Epoch, Topic: tx.Topic}
		switch tx.Kind {
		case chain.KindAnonymous:
			if groupsig.IsTagged(tx.Auth) {
				te.Tag = hex.EncodeToString(groupsig.TagOf(tx.Auth))
			}
		case chain.KindJoinRequest:
			var req groupsig.JoinRequest
			if req.UnmarshalBinary(tx.JoinRequest) == nil {
				h := req.Hash()
				te.Label, te.Request = req.Label(), hex.EncodeToString(h[:])
			}
		case chain.KindJoinResponse:
			var resp groupsig.JoinResponse
			if resp.UnmarshalBinary(tx.JoinResponse) == nil {
				h := resp.RequestHash()
				te.Label, te.Request = resp.Label(), hex.EncodeToString(h[:])
			}
		default:
			thresholdTxFields(te, tx)
		}
		out = append(out, Event{Type: "tx", Height: b.Height, Tx: te})
		out = append(out, noteEvents(b.Height, notes, i)...)
	}
	return append(out, noteEvents(b.Height, notes, -1)...)
}

func (s *subscriber) wants(ev *Event) bool {
	return s.topic == nil || ev.Type == "tx" && ev.Tx.Topic == *s.topic
}

// Publish sends an applied block's events to every subscriber.
func (h *Hub) Publish(a *chain.Applied) {
	evs := blockEvents(a.Block, a.Codes, a.Threshold)
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		mine := s.filter(evs)
		if len(mine) == 0 {
			continue
		}
		select {
		case s.ch <- mine:
		default:
			h.drops++
			close(s.gone)
			delete(h.subs, s)
		}
	}
}

// filter returns the events s wants, sharing evs when it wants them all.
func (s *subscriber) filter(evs []Event) []Event {
	if s.topic == nil {
		return evs
	}
	var out []Event
	for i := range evs {
		if s.wants(&evs[i]) {
			out = append(out, evs[i])
		}
	}
	return out
}

// Subscribers is the number of open event streams.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// Drops counts subscribers dropped as slow consumers.
func (h *Hub) Drops() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.drops
}

func (h *Hub) subscribe(buffer int, topic *string) (*subscriber, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, errors.New("node is stopping")
	}
	s := &subscriber{ch: make(chan []Event, buffer), topic: topic, gone: make(chan struct{})}
	h.subs[s] = struct{}{}
	return s, nil
}

func (h *Hub) unsubscribe(s *subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[s]; ok {
		delete(h.subs, s)
		close(s.gone)
	}
}

// Close ends every stream (the node is stopping).
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for s := range h.subs {
		close(s.gone)
		delete(h.subs, s)
	}
}

// events serves GET /v1/events as a websocket of JSON Events. With
// ?from_height=N it first replays committed blocks from N, then continues
// live without a gap or a repeat, so a client that reconnects with the
// height after the last one it saw misses nothing and sees nothing twice.
// No event below N is ever sent, also when N is above the node's head (a
// client resuming on a node that is behind): live blocks below N are
// skipped until the node reaches N. ?topic=T keeps only the transactions
// of topic T.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var from uint64
	if fs := q.Get("from_height"); fs != "" {
		h, err := strconv.ParseUint(fs, 10, 64)
		if err != nil || h == 0 {
			writeError(w, http.StatusBadRequest, CodeBadRequest, "from_height must be a height ≥ 1")
			return
		}
		from = h
	}
	var topic *string
	if q.Has("topic") {
		t := q.Get("topic")
		topic = &t
	}
	// Subscribe before reading the head, so nothing falls between replay
	// and live events.
	sub, err := s.hub.subscribe(s.cfg.EventBuffer, topic)
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, CodeUnavailable, err.Error())
		return
	}
	defer s.hub.unsubscribe(sub)
	// Accept answers a refused handshake (426 not an upgrade, 403 a
	// foreign Origin, 400 a bad key or version) with text; ew makes it
	// the API's JSON error, keeping the headers Accept set (Upgrade,
	// Sec-WebSocket-Version). The library's checks stay the only ones.
	ew := &errorWriter{ResponseWriter: w}
	c, err := websocket.Accept(ew, r, nil)
	if err != nil {
		ew.answer()
		return
	}
	defer c.CloseNow()
	ctx := c.CloseRead(r.Context())

	// floor is the lowest height the stream may still send: from_height
	// (0: live only), then one past the last block sent, whichever path
	// (replay or live) sent it.
	floor := from
	send := func(evs []Event) error {
		for i := range evs {
			if evs[i].Height < floor {
				continue
			}
			wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err := wsjson.Write(wctx, c, &evs[i])
			cancel()
			if err != nil {
				return err
			}
		}
		return nil
	}
	if from > 0 {
		ledger := s.b.Ledger()
		for h, head := from, ledger.Head().Height; h <= head; h++ {
			b, err := ledger.Block(h)
			if err != nil {
				c.Close(websocket.StatusInternalError, "read block")
				return
			}
			codes, _ := ledger.Results(h)
			notes, _ := ledger.ThresholdNotes(h)
			if err := send(sub.filter(blockEvents(b, codes, notes))); err != nil {
				return
			}
			floor = h + 1
		}
	}
	for {
		select {
		case evs := <-sub.ch:
			if err := send(evs); err != nil {
				return
			}
			floor = max(floor, evs[0].Height+1)
		case <-sub.gone:
			c.Close(websocket.StatusPolicyViolation, "slow consumer: reconnect with from_height")
			return
		case <-ctx.Done():
			return
		}
	}
}
