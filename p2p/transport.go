package p2p

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
	"golang.org/x/sync/semaphore"
)

const (
	handshakeTimeout   = 10 * time.Second
	maxHandshakes      = 256 // unauthenticated connections in handshake at once
	connIdleTimeout    = 2 * time.Minute
	packetQueueDepth   = 4096     // outbound packets buffered per peer
	packetQueueBytes   = 32 << 20 // and their bytes
	packetWriteTimeout = 2 * time.Second
)

// transportConfig configures a transport.
type transportConfig struct {
	identity      *Identity
	bindAddr      string
	advertiseAddr string
	logger        *slog.Logger
	maxPacket     int           // largest packet memberlist may hand us
	dialTimeout   time.Duration // packet connections and address proofs
	onRequestConn func(c net.Conn, peer string)
	onBinding     func(nodeID, addr string) // a handshake proved nodeID serves addr
}

// transport is a memberlist.NodeAwareTransport over mutual TLS 1.3 on one
// TCP port. Packets ride a persistent connection per peer (re-dialled on
// error) as length-prefixed frames; each memberlist stream and each veil
// request stream is its own connection. The first byte a dialler writes says
// which.
type transport struct {
	cfg       transportConfig
	ln        net.Listener
	advertise *net.TCPAddr
	serverTLS *tls.Config

	packetCh chan *memberlist.Packet
	streamCh chan net.Conn
	hsSem    *semaphore.Weighted

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	writers map[writerKey]*packetWriter
	conns   map[net.Conn]string // live authenticated connections → peer node id
	closed  bool

	refused        atomic.Uint64 // handshakes we refused, either side
	packetsDropped atomic.Uint64 // outbound packets dropped (queue full or send failure)
}

var _ memberlist.NodeAwareTransport = (*transport)(nil)

// newTransport listens on cfg.bindAddr and starts accepting.
func newTransport(cfg transportConfig) (*transport, error) {
	ln, err := net.Listen("tcp", cfg.bindAddr)
	if err != nil {
		return nil, fmt.Errorf("p2p: listen on %s: %w", cfg.bindAddr, err)
	}
	adv, err := advertiseAddr(cfg.advertiseAddr, ln.Addr().(*net.TCPAddr))
	if err != nil {
		ln.Close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	t := &transport{
		cfg:       cfg,
		ln:        ln,
		advertise: adv,
		serverTLS: cfg.identity.ServerTLSConfig(),
		packetCh:  make(chan *memberlist.Packet, 256),
		streamCh:  make(chan net.Conn),
		hsSem:     semaphore.NewWeighted(maxHandshakes),
		ctx:       ctx,
		cancel:    cancel,
		writers:   make(map[writerKey]*packetWriter),
		conns:     make(map[net.Conn]string),
	}
	t.wg.Add(1)
	go t.acceptLoop()
	return t, nil
}

// advertiseAddr resolves the address other nodes should dial.
func advertiseAddr(configured string, bound *net.TCPAddr) (*net.TCPAddr, error) {
	if configured == "" {
		if bound.IP.IsUnspecified() {
			return nil, fmt.Errorf("p2p: bound to all interfaces (%s): set AdvertiseAddr", bound)
		}
		return bound, nil
	}
	host, portStr, err := net.SplitHostPort(configured)
	if err != nil {
		return nil, fmt.Errorf("p2p: advertise address %q: %w", configured, err)
	}
	ip := net.ParseIP(host)
	if ip == nil || ip.IsUnspecified() {
		return nil, fmt.Errorf("p2p: advertise address %q: host must be a specific IP", configured)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("p2p: advertise address %q: bad port", configured)
	}
	if port == 0 {
		port = bound.Port
	}
	return &net.TCPAddr{IP: ip, Port: port}, nil
}

// FinalAdvertiseAddr implements memberlist.Transport; the address comes from
// the Cluster configuration, not memberlist's.
func (t *transport) FinalAdvertiseAddr(string, int) (net.IP, int, error) {
	return t.advertise.IP, t.advertise.Port, nil
}

// PacketCh implements memberlist.Transport.
func (t *transport) PacketCh() <-chan *memberlist.Packet { return t.packetCh }

// StreamCh implements memberlist.Transport.
func (t *transport) StreamCh() <-chan net.Conn { return t.streamCh }

// WriteTo implements memberlist.Transport for packets to an unnamed peer.
func (t *transport) WriteTo(b []byte, addr string) (time.Time, error) {
	return t.WriteToAddress(b, memberlist.Address{Addr: addr})
}

// WriteToAddress implements memberlist.NodeAwareTransport. It queues the
// packet on the peer's persistent connection and returns at once, so a slow or
// unreachable peer never stalls memberlist's probe and gossip loops. A full
// queue drops the packet, which memberlist tolerates as packet loss.
func (t *transport) WriteToAddress(b []byte, addr memberlist.Address) (time.Time, error) {
	if len(b) > t.cfg.maxPacket {
		return time.Time{}, fmt.Errorf("p2p: packet of %d bytes exceeds the %d-byte packet size", len(b), t.cfg.maxPacket)
	}
	buf := make([]byte, len(b)) // memberlist may reuse b after we return
	copy(buf, b)
	key := writerKey{addr: addr.Addr, name: addr.Name}

	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return time.Time{}, errors.New("p2p: transport shut down")
	}
	w := t.writers[key]
	if w == nil {
		w = &packetWriter{t: t, key: key, ch: make(chan []byte, packetQueueDepth)}
		t.writers[key] = w
		t.wg.Add(1)
		go w.run()
	}
	// Sending under t.mu pairs with the idle exit in run: a writer leaves the
	// map only while its queue is empty, under the same lock.
	if w.queued.Load()+int64(len(buf)) <= packetQueueBytes {
		select {
		case w.ch <- buf:
			w.queued.Add(int64(len(buf)))
			t.mu.Unlock()
			return time.Now(), nil
		default:
		}
	}
	t.mu.Unlock()
	t.packetsDropped.Add(1)
	return time.Time{}, fmt.Errorf("p2p: packet queue to %s full", addr.String())
}

// DialTimeout implements memberlist.Transport for streams to an unnamed peer
// (join by address).
func (t *transport) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	return t.DialAddressTimeout(memberlist.Address{Addr: addr}, timeout)
}

// DialAddressTimeout implements memberlist.NodeAwareTransport: a memberlist
// stream on its own TLS connection, whose server must be addr.Name if given.
func (t *transport) DialAddressTimeout(addr memberlist.Address, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(t.ctx, timeout)
	defer cancel()
	c, _, err := t.dial(ctx, addr.Addr, addr.Name, connStream)
	return c, err
}

// Shutdown implements memberlist.Transport: stop accepting, close every
// connection, and wait for the transport's goroutines.
func (t *transport) Shutdown() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	conns := make([]net.Conn, 0, len(t.conns))
	for c := range t.conns {
		conns = append(conns, c)
	}
	t.mu.Unlock()
	t.cancel()
	err := t.ln.Close()
	for _, c := range conns {
		c.Close()
	}
	t.wg.Wait()
	return err
}

// dial opens an authenticated connection of type typ to addr. If name is not
// empty the server must present it as its node id. Every successful dial
// proves who serves addr, which is reported to onBinding.
func (t *transport) dial(ctx context.Context, addr, name string, typ byte) (net.Conn, string, error) {
	var d net.Dialer
	if typ == connPacket {
		// A packet connection's writes land in the kernel's send buffer
		// even while the peer is cut off; TCP then retransmits with a
		// doubling timeout, so after a partition heals the packets queued
		// behind that backlog (memberlist's probes and acks) arrive seconds
		// late and a healed node is declared dead again. Unacknowledged
		// for packetWriteTimeout, the connection is aborted instead and
		// the next packet dials a fresh one.
		d.Control = UserTimeoutControl(packetWriteTimeout)
	}
	raw, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, "", fmt.Errorf("p2p: dial %s: %w", addr, err)
	}
	tc := tls.Client(raw, t.cfg.identity.clientConfig(name, addr))
	if err := tc.HandshakeContext(ctx); err != nil {
		raw.Close()
		if errors.Is(err, ErrPeerRefused) {
			t.refused.Add(1)
		}
		return nil, "", fmt.Errorf("p2p: TLS handshake with %s: %w", addr, err)
	}
	peer := PeerNodeID(tc.ConnectionState())
	if dl, ok := ctx.Deadline(); ok {
		tc.SetWriteDeadline(dl)
	}
	if _, err := tc.Write([]byte{typ}); err != nil {
		tc.Close()
		return nil, "", fmt.Errorf("p2p: write connection type to %s: %w", addr, err)
	}
	tc.SetWriteDeadline(time.Time{})
	if t.cfg.onBinding != nil {
		t.cfg.onBinding(peer, addr)
	}
	c, err := t.track(tc, peer)
	if err != nil {
		return nil, "", err
	}
	return c, peer, nil
}

// probe proves, with a bare handshake, that addr is served by node name.
func (t *transport) probe(addr, name string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(t.ctx, timeout)
	defer cancel()
	c, _, err := t.dial(ctx, addr, name, connProbe)
	if err != nil {
		return err
	}
	return c.Close()
}

// trackedConn removes itself from the transport's connection set on Close.
type trackedConn struct {
	net.Conn
	t    *transport
	once sync.Once
}

// Close closes the connection and forgets it.
func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.t.mu.Lock()
		delete(c.t.conns, c)
		c.t.mu.Unlock()
	})
	return c.Conn.Close()
}

// track registers a connection so that Shutdown and dropPeer can close it.
func (t *transport) track(c net.Conn, peer string) (net.Conn, error) {
	tc := &trackedConn{Conn: c, t: t}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		c.Close()
		return nil, errors.New("p2p: transport shut down")
	}
	t.conns[tc] = peer
	return tc, nil
}

// dropPeer closes every connection with the node, in either direction.
func (t *transport) dropPeer(nodeID string) int {
	t.mu.Lock()
	var victims []net.Conn
	for c, p := range t.conns {
		if p == nodeID {
			victims = append(victims, c)
		}
	}
	t.mu.Unlock()
	for _, c := range victims {
		c.Close()
	}
	return len(victims)
}

func (t *transport) acceptLoop() {
	defer t.wg.Done()
	var backoff time.Duration
	for {
		c, err := t.ln.Accept()
		if err != nil {
			if t.ctx.Err() != nil {
				return
			}
			// Temporary failures (EMFILE and the like): back off, as net/http does.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			t.cfg.logger.Warn("p2p: accept failed", "err", err, "retry_in", backoff)
			select {
			case <-time.After(backoff):
			case <-t.ctx.Done():
				return
			}
			continue
		}
		backoff = 0
		if !t.hsSem.TryAcquire(1) {
			t.cfg.logger.Warn("p2p: too many pending handshakes, connection dropped", "remote", c.RemoteAddr().String())
			c.Close()
			continue
		}
		t.wg.Add(1)
		go t.serveConn(c)
	}
}

// serveConn authenticates an inbound connection and routes it by type.
func (t *transport) serveConn(raw net.Conn) {
	defer t.wg.Done()
	tc := tls.Server(raw, t.serverTLS)
	raw.SetDeadline(time.Now().Add(handshakeTimeout))
	ctx, cancel := context.WithTimeout(t.ctx, handshakeTimeout)
	err := tc.HandshakeContext(ctx)
	cancel()
	t.hsSem.Release(1)
	if err != nil {
		if errors.Is(err, ErrPeerRefused) {
			t.refused.Add(1) // already logged at warn by the verifier
		} else {
			t.cfg.logger.Debug("p2p: inbound handshake failed", "remote", raw.RemoteAddr().String(), "err", err)
		}
		raw.Close()
		return
	}
	cs := tc.ConnectionState()
	peer := PeerNodeID(cs)
	notAfter := cs.PeerCertificates[0].NotAfter
	var typ [1]byte
	if _, err := io.ReadFull(tc, typ[:]); err != nil {
		tc.Close()
		return
	}
	raw.SetDeadline(time.Time{})
	c, err := t.track(tc, peer)
	if err != nil {
		return
	}
	switch typ[0] {
	case connPacket:
		t.readPackets(c, peer, notAfter)
	case connStream:
		select {
		case t.streamCh <- c:
		case <-t.ctx.Done():
			c.Close()
		}
	case connRequest:
		if t.cfg.onRequestConn == nil {
			c.Close()
			return
		}
		t.cfg.onRequestConn(c, peer)
	case connProbe:
		c.Close()
	default:
		t.cfg.logger.Warn("p2p: unknown connection type", "remote", raw.RemoteAddr().String(), "peer", peer, "type", typ[0])
		c.Close()
	}
}

// readPackets feeds memberlist the frames of an inbound packet connection
// until it fails, idles out, or the peer's certificate expires.
func (t *transport) readPackets(c net.Conn, peer string, notAfter time.Time) {
	defer c.Close()
	limit := t.cfg.maxPacket + 4096 // memberlist adds its label header after sizing
	for {
		c.SetReadDeadline(time.Now().Add(connIdleTimeout))
		buf, err := readFrame(c, limit)
		if err != nil {
			if errors.Is(err, ErrFrameTooLarge) {
				t.cfg.logger.Warn("p2p: oversized packet, connection closed", "peer", peer, "err", err)
			}
			return
		}
		now := time.Now()
		if now.After(notAfter) {
			t.cfg.logger.Warn("p2p: peer certificate expired, connection closed", "peer", peer)
			return
		}
		select {
		case t.packetCh <- &memberlist.Packet{Buf: buf, From: c.RemoteAddr(), Timestamp: now}:
		case <-t.ctx.Done():
			return
		}
	}
}

// writerKey names a packet destination: memberlist's address and, when it
// knows it, the node that must answer there.
type writerKey struct{ addr, name string }

// packetWriter owns the persistent packet connection to one peer.
type packetWriter struct {
	t      *transport
	key    writerKey
	ch     chan []byte
	queued atomic.Int64 // bytes in ch
}

func (w *packetWriter) run() {
	defer w.t.wg.Done()
	var (
		conn     net.Conn
		dead     chan struct{}
		deadline time.Time // reconnect by then: certificates expire, revocations apply
	)
	closeConn := func() {
		if conn != nil {
			conn.Close()
			conn, dead = nil, nil
		}
	}
	defer closeConn()
	idle := time.NewTimer(connIdleTimeout)
	defer idle.Stop()
	for {
		select {
		case buf := <-w.ch:
			w.queued.Add(-int64(len(buf)))
			if conn != nil && time.Now().After(deadline) {
				closeConn()
			}
			if conn == nil {
				var err error
				ctx, cancel := context.WithTimeout(w.t.ctx, w.t.cfg.dialTimeout)
				var c net.Conn
				c, _, err = w.t.dial(ctx, w.key.addr, w.key.name, connPacket)
				cancel()
				if err != nil {
					w.t.packetsDropped.Add(1)
					w.t.cfg.logger.Debug("p2p: packet connection failed", "addr", w.key.addr, "node", w.key.name, "err", err)
					continue
				}
				conn, dead = c, make(chan struct{})
				deadline = time.Now().Add(10 * time.Minute)
				if tc, ok := c.(*trackedConn).Conn.(*tls.Conn); ok {
					if na := tc.ConnectionState().PeerCertificates[0].NotAfter; na.Before(deadline) {
						deadline = na
					}
				}
				go drainUntilClosed(c, dead, w.t.cfg.logger, w.key)
			}
			conn.SetWriteDeadline(time.Now().Add(packetWriteTimeout))
			if err := writeFrame(conn, buf); err != nil {
				w.t.packetsDropped.Add(1)
				closeConn()
			}
		case <-dead:
			closeConn()
		case <-idle.C:
			w.t.mu.Lock()
			if len(w.ch) == 0 {
				delete(w.t.writers, w.key)
				w.t.mu.Unlock()
				return
			}
			w.t.mu.Unlock()
		case <-w.t.ctx.Done():
			return
		}
		if !idle.Stop() {
			select {
			case <-idle.C:
			default:
			}
		}
		idle.Reset(connIdleTimeout / 2)
	}
}

// drainUntilClosed reads an outbound packet connection, on which the server
// never writes, to notice promptly when it closes — including a TLS 1.3
// server refusing our certificate after our side considered the handshake
// done.
func drainUntilClosed(c net.Conn, dead chan struct{}, logger *slog.Logger, key writerKey) {
	defer close(dead)
	var b [1]byte
	_, err := c.Read(b[:])
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
		logger.Debug("p2p: packet connection closed", "addr", key.addr, "node", key.name, "err", err)
	}
}
