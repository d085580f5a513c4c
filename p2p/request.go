package p2p

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"sync"
	"time"
)

// handlerGrace extends a request handler's deadline past the requester's.
const handlerGrace = 100 * time.Millisecond

// RemoteError is an error returned by the remote node's handler (or by the
// remote node refusing the request), as opposed to a transport failure.
type RemoteError struct {
	// NodeID is the node that answered.
	NodeID string
	// Message is the remote error's text.
	Message string
}

// Error implements error.
func (e *RemoteError) Error() string {
	return fmt.Sprintf("p2p: node %s: %s", e.NodeID, e.Message)
}

// HandleRequest registers fn to answer requests of kind, replacing any
// earlier handler. Requests are served concurrently, one goroutine per
// connection. ctx ends at the requester's deadline (capped by
// Config.RequestTimeout) or at Shutdown; from is the authenticated peer.
func (c *Cluster) HandleRequest(kind byte, fn RequestHandler) {
	c.hmu.Lock()
	c.reqHandlers[kind] = fn
	c.hmu.Unlock()
}

// Request sends req to the live member nodeID under kind and returns its
// handler's response. ctx bounds the whole exchange (Config.RequestTimeout
// if it has no deadline); cancelling it closes the connection at once. A
// handler error comes back as a *[RemoteError]. Connections are reused, so
// a retry on a stale idle connection may re-send a request: handlers should
// be idempotent (block and transaction fetches are).
func (c *Cluster) Request(ctx context.Context, nodeID string, kind byte, req []byte) ([]byte, error) {
	return c.roundTrip(ctx, nodeID, opRequest, kind, req)
}

// SendTo sends msg reliably and directly to nodeID's handler for kind (see
// Handle), for example an anti-entropy reply. It returns once the peer has
// queued the message; an error means it may not have. Unlike gossip, the
// receiver learns the sender from the TLS connection.
func (c *Cluster) SendTo(nodeID string, kind byte, msg []byte) error {
	ctx, cancel := context.WithTimeout(c.ctx, c.cfg.RequestTimeout)
	defer cancel()
	_, err := c.roundTrip(ctx, nodeID, opMessage, kind, msg)
	return err
}

func (c *Cluster) roundTrip(ctx context.Context, nodeID string, op, kind byte, body []byte) ([]byte, error) {
	if requestHeaderLen+len(body) > c.cfg.MaxRequestSize {
		return nil, fmt.Errorf("%w: request of %d bytes, limit %d", ErrTooLarge, len(body), c.cfg.MaxRequestSize)
	}
	if c.ctx.Err() != nil {
		return nil, ErrClosed
	}
	m, ok := c.member(nodeID)
	if !ok || c.id.IsRevoked(nodeID) {
		return nil, fmt.Errorf("%w: %q", ErrUnknownNode, nodeID)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.cfg.RequestTimeout)
		defer cancel()
	}
	for attempt := 0; ; attempt++ {
		conn, reused, err := c.rpool.get(nodeID, m.Addr)
		if err != nil {
			return nil, err
		}
		if conn == nil {
			conn, _, err = c.t.dial(ctx, m.Addr, nodeID, connRequest)
			if err != nil {
				if ctx.Err() != nil {
					return nil, fmt.Errorf("p2p: request to %s: %w", nodeID, ctx.Err())
				}
				return nil, fmt.Errorf("p2p: request to %s: %w", nodeID, err)
			}
		}
		resp, sent, err := c.exchange(ctx, conn, nodeID, op, kind, body)
		if err == nil {
			c.rpool.put(nodeID, m.Addr, conn)
			return resp, nil
		}
		conn.Close()
		var re *RemoteError
		switch {
		case errors.As(err, &re):
			return nil, err
		case ctx.Err() != nil:
			return nil, fmt.Errorf("p2p: request to %s: %w", nodeID, ctx.Err())
		case errors.Is(err, os.ErrDeadlineExceeded):
			// The connection's deadline is the context's; its timer may not
			// have fired yet.
			return nil, fmt.Errorf("p2p: request to %s: %w", nodeID, context.DeadlineExceeded)
		case reused && !sent && attempt == 0:
			continue // the idle connection had been closed by the peer; it never saw the request
		}
		return nil, fmt.Errorf("p2p: request to %s: %w", nodeID, err)
	}
}

// exchange writes one request frame and reads its response. sent reports
// whether the peer may have seen the request.
func (c *Cluster) exchange(ctx context.Context, conn net.Conn, nodeID string, op, kind byte, body []byte) (resp []byte, sent bool, err error) {
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	// Cancellation moves the deadline to the past, which unblocks I/O now.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	timeoutMs := uint32(min(time.Until(deadline).Milliseconds(), math.MaxUint32))
	if err := writeFrame(conn, encodeRequest(op, kind, timeoutMs, body)); err != nil {
		return nil, false, err
	}
	frame, err := readFrame(conn, c.cfg.MaxRequestSize)
	if err != nil {
		// A clean EOF before any byte: the peer closed an idle connection
		// without reading the request.
		return nil, !errors.Is(err, io.EOF), err
	}
	status, payload, err := decodeResponse(frame)
	if err != nil {
		return nil, true, err
	}
	if !stop() {
		return nil, true, ctx.Err()
	}
	conn.SetDeadline(time.Time{})
	if status == statusError {
		return nil, true, &RemoteError{NodeID: nodeID, Message: string(payload)}
	}
	return payload, true, nil
}

// serveRequests answers requests on one inbound connection until it closes,
// idles out, or breaks the protocol.
func (c *Cluster) serveRequests(conn net.Conn, peer string) {
	defer conn.Close()
	for {
		conn.SetReadDeadline(time.Now().Add(connIdleTimeout))
		frame, err := readFrame(conn, c.cfg.MaxRequestSize)
		if err != nil {
			if errors.Is(err, ErrFrameTooLarge) {
				c.log.Warn("p2p: oversized request, connection closed", "peer", peer, "err", err)
			}
			return
		}
		conn.SetReadDeadline(time.Time{})
		op, kind, timeoutMs, body, err := decodeRequest(frame)
		if err != nil {
			c.log.Warn("p2p: malformed request, connection closed", "peer", peer, "err", err)
			return
		}
		var resp []byte
		var herr error
		switch op {
		case opMessage:
			herr = c.deliver(peer, kind, body) // body is a fresh frame, owned from here
		case opRequest:
			resp, herr = c.runHandler(peer, kind, timeoutMs, body)
		}
		out := make([]byte, 1, 1+len(resp))
		if herr != nil {
			out = append(out, herr.Error()...)
			out[0] = statusError
		} else if 1+len(resp) > c.cfg.MaxRequestSize {
			out = append(out, fmt.Sprintf("response of %d bytes exceeds the %d-byte limit", len(resp), c.cfg.MaxRequestSize)...)
			out[0] = statusError
		} else {
			out = append(out, resp...)
		}
		conn.SetWriteDeadline(time.Now().Add(c.cfg.RequestTimeout))
		if err := writeFrame(conn, out); err != nil {
			return
		}
		conn.SetWriteDeadline(time.Time{})
	}
}

func (c *Cluster) runHandler(peer string, kind byte, timeoutMs uint32, body []byte) ([]byte, error) {
	c.hmu.RLock()
	fn := c.reqHandlers[kind]
	c.hmu.RUnlock()
	if fn == nil {
		return nil, fmt.Errorf("no request handler for kind %d", kind)
	}
	// A little grace beyond the requester's deadline, so that the requester
	// reports its own deadline rather than racing the handler's.
	timeout := min(time.Duration(timeoutMs)*time.Millisecond+handlerGrace, c.cfg.RequestTimeout)
	ctx, cancel := context.WithTimeout(c.ctx, timeout)
	defer cancel()
	c.requestsServed.Add(1)
	return fn(ctx, peer, body)
}

// idleConn is a request connection waiting for reuse.
type idleConn struct {
	conn  net.Conn
	since time.Time
}

// requestPool keeps a few idle request connections per node, so that
// requests do not pay a TLS handshake each.
type requestPool struct {
	mu     sync.Mutex
	idle   map[string][]*idleConn
	closed bool
}

const (
	maxIdlePerNode = 4
	// Reuse only well inside the server's idle timeout, so a reused
	// connection is rarely one the server is closing.
	maxIdleAge = connIdleTimeout / 2
)

// get returns an idle connection to nodeID at addr, or nil.
func (p *requestPool) get(nodeID, addr string) (net.Conn, bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, false, ErrClosed
	}
	list := p.idle[nodeID]
	for len(list) > 0 {
		ic := list[len(list)-1]
		list = list[:len(list)-1]
		if time.Since(ic.since) < maxIdleAge && ic.conn.RemoteAddr().String() == addr {
			p.idle[nodeID] = list
			return ic.conn, true, nil
		}
		ic.conn.Close()
	}
	delete(p.idle, nodeID)
	return nil, false, nil
}

func (p *requestPool) put(nodeID, addr string, conn net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || len(p.idle[nodeID]) >= maxIdlePerNode || conn.RemoteAddr().String() != addr {
		conn.Close()
		return
	}
	p.idle[nodeID] = append(p.idle[nodeID], &idleConn{conn: conn, since: time.Now()})
}

func (p *requestPool) drop(nodeID string) {
	p.mu.Lock()
	list := p.idle[nodeID]
	delete(p.idle, nodeID)
	p.mu.Unlock()
	for _, ic := range list {
		ic.conn.Close()
	}
}

func (p *requestPool) closeAll() {
	p.mu.Lock()
	all := p.idle
	p.idle, p.closed = nil, true
	p.mu.Unlock()
	for _, list := range all {
		for _, ic := range list {
			ic.conn.Close()
		}
	}
}
