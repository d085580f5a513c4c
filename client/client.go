package client

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/veilchain/veil/api"
	"github.com/veilchain/veil/chain"
)

// Client talks to one node.
type Client struct {
	base string
	http *http.Client
}

// New returns a client for the node at baseURL (e.g. http://127.0.0.1:8545).
func New(baseURL string) *Client {
	return NewWithHTTPClient(baseURL, &http.Client{Timeout: 30 * time.Second})
}

// NewWithHTTPClient returns a client for the node at baseURL that makes
// every request, the event stream's websocket included, with hc: for a
// custom dialer or transport (the fault tests dial into a node's network
// namespace). hc.Timeout bounds each request and each stream's opening.
func NewWithHTTPClient(baseURL string, hc *http.Client) *Client {
	return &Client{base: strings.TrimRight(baseURL, "/"), http: hc}
}

// Error is a refusal from the API, with its stable code.
type Error struct {
	Status  int
	Code    string
	Message string
	// RetryAfter is the server's Retry-After (sent with 503 busy), or 0.
	RetryAfter time.Duration
}

// Retryable reports whether the refusal is about the node's load, not the
// transaction: busy (its verification pool has no room for submissions),
// mempool_full or rate_limited. The same submission may succeed later.
func (e *Error) Retryable() bool {
	switch e.Code {
	case "busy", "mempool_full", "rate_limited":
		return true
	}
	return false
}

// Error formats the refusal as "code: message".
func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// IsCode reports whether err is an API refusal with this code.
func IsCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read response: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		return responseError(resp, data)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: decode response: %w", method, path, err)
	}
	return nil
}

// responseError is the refusal a response of status 300 or more carries.
func responseError(resp *http.Response, data []byte) *Error {
	var eb api.ErrorBody
	if json.Unmarshal(data, &eb) == nil && eb.Error.Code != "" {
		e := &Error{Status: resp.StatusCode, Code: eb.Error.Code, Message: eb.Error.Message}
		if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs >= 0 {
			e.RetryAfter = time.Duration(secs) * time.Second
		}
		return e
	}
	return &Error{Status: resp.StatusCode, Code: "http_" + strconv.Itoa(resp.StatusCode), Message: strings.TrimSpace(string(data))}
}

// Submit sends a signed transaction; it returns its id once admitted.
func (c *Client) Submit(ctx context.Context, tx *chain.Tx) (string, error) {
	return c.SubmitRaw(ctx, tx.Encode())
}

// SubmitRaw sends an encoded transaction.
func (c *Client) SubmitRaw(ctx context.Context, raw []byte) (string, error) {
	var resp api.SubmitResponse
	if err := c.do(ctx, http.MethodPost, "/v1/txs", api.SubmitRequest{Tx: hex.EncodeToString(raw)}, &resp); err != nil {
		return "", err
	}
	return resp.ID, nil
}

// Tx fetches a pending or committed transaction.
func (c *Client) Tx(ctx context.Context, id string) (*api.TxResponse, error) {
	var out api.TxResponse
	return &out, c.do(ctx, http.MethodGet, "/v1/txs/"+url.PathEscape(id), nil, &out)
}

// Block fetches the block at height, or the newest with height 0.
func (c *Client) Block(ctx context.Context, height uint64) (*chain.BlockJSON, error) {
	path := "/v1/blocks/latest"
	if height > 0 {
		path = "/v1/blocks/" + strconv.FormatUint(height, 10)
	}
	var out chain.BlockJSON
	return &out, c.do(ctx, http.MethodGet, path, nil, &out)
}

// TopicTxs pages a topic's committed transaction ids.
func (c *Client) TopicTxs(ctx context.Context, topic, after string, limit int) (*api.TopicPage, error) {
	q := url.Values{}
	if after != "" {
		q.Set("after", after)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out api.TopicPage
	return &out, c.do(ctx, http.MethodGet, "/v1/topics/"+url.PathEscape(topic)+"/txs?"+q.Encode(), nil, &out)
}

// Revocations fetches a group's revocation records in epoch order.
func (c *Client) Revocations(ctx context.Context, name string) ([][]byte, error) {
	var out api.RevocationsResponse
	if err := c.do(ctx, http.MethodGet, "/v1/groups/"+url.PathEscape(name)+"/revocations", nil, &out); err != nil {
		return nil, err
	}
	recs := make([][]byte, len(out.Records))
	for i, h := range out.Records {
		b, err := hex.DecodeString(h)
		if err != nil {
			return nil, fmt.Errorf("revocation %d is not hex: %w", i, err)
		}
		recs[i] = b
	}
	return recs, nil
}

// Status fetches the node's status.
func (c *Client) Status(ctx context.Context) (*api.Status, error) {
	var out api.Status
	return &out, c.do(ctx, http.MethodGet, "/v1/status", nil, &out)
}

// Peers lists the node's gossip peers.
func (c *Client) Peers(ctx context.Context) ([]api.Peer, error) {
	var out []api.Peer
	return out, c.do(ctx, http.MethodGet, "/v1/peers", nil, &out)
}

// EventsOptions selects an event stream.
type EventsOptions struct {
	FromHeight uint64  // replay from this height first (0: live only)
	Topic      *string // only transactions of this topic
}

// Events follows the node's event stream until ctx ends or the stream
// breaks; the channel is closed then, and Err tells why.
func (c *Client) Events(ctx context.Context, opt EventsOptions) (*Stream, error) {
	u, err := url.Parse(c.base + "/v1/events")
	if err != nil {
		return nil, err
	}
	u.Scheme = strings.Replace(u.Scheme, "http", "ws", 1)
	q := url.Values{}
	if opt.FromHeight > 0 {
		q.Set("from_height", strconv.FormatUint(opt.FromHeight, 10))
	}
	if opt.Topic != nil {
		q.Set("topic", *opt.Topic)
	}
	u.RawQuery = q.Encode()
	conn, _, err := websocket.Dial(ctx, u.String(), &websocket.DialOptions{HTTPClient: c.http})
	if err != nil {
		return nil, fmt.Errorf("open event stream: %w", err)
	}
	conn.SetReadLimit(16 << 20)
	s := &Stream{C: make(chan api.Event, 256), done: make(chan struct{})}
	go func() {
		defer close(s.C)
		defer close(s.done)
		defer conn.CloseNow()
		for {
			var ev api.Event
			if err := wsjson.Read(ctx, conn, &ev); err != nil {
				s.err = err
				return
			}
			select {
			case s.C <- ev:
			case <-ctx.Done():
				s.err = ctx.Err()
				return
			}
		}
	}()
	return s, nil
}

// Stream is an open event stream.
type Stream struct {
	C    chan api.Event
	done chan struct{}
	err  error
}

// Err is why the stream ended (valid once C is closed).
func (s *Stream) Err() error {
	<-s.done
	return s.err
}

// WaitCommitted follows the event stream from fromHeight until the
// transaction id is committed, and returns the height it landed at.
func (c *Client) WaitCommitted(ctx context.Context, id string, fromHeight uint64) (uint64, error) {
	if fromHeight == 0 {
		fromHeight = 1
	}
	s, err := c.Events(ctx, EventsOptions{FromHeight: fromHeight})
	if err != nil {
		return 0, err
	}
	for ev := range s.C {
		if ev.Type == "tx" && ev.Tx.ID == id {
			return ev.Height, nil
		}
	}
	return 0, fmt.Errorf("event stream ended before %s was committed: %w", id, s.Err())
}
