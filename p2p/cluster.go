package p2p

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"math/rand/v2"
	"net"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
)

// ErrTooLarge is returned for a broadcast, metadata, request or response
// larger than its limit.
var ErrTooLarge = errors.New("p2p: message too large")

// ErrUnknownNode is returned when a node id is not a live member.
var ErrUnknownNode = errors.New("p2p: unknown node")

// ErrClosed is returned after Shutdown.
var ErrClosed = errors.New("p2p: cluster shut down")

// Member is one node of the cluster as this node sees it.
type Member struct {
	// ID is the node id (memberlist name, certificate common name).
	ID string
	// Addr is the advertised host:port.
	Addr string
	// Meta is the node's metadata (a copy).
	Meta []byte
	// Alive is true while memberlist holds the node alive or suspect, false
	// after it left or was declared dead.
	Alive bool
}

// EventType says what happened to a member.
type EventType int

// Membership event types.
const (
	EventJoin   EventType = iota + 1 // a node joined (or came back)
	EventLeave                       // a node left, was declared dead, or was removed
	EventUpdate                      // a node's metadata or address changed
)

// String names the event type.
func (t EventType) String() string {
	switch t {
	case EventJoin:
		return "join"
	case EventLeave:
		return "leave"
	case EventUpdate:
		return "update"
	}
	return fmt.Sprintf("EventType(%d)", int(t))
}

// MemberEvent reports a membership change of another node.
type MemberEvent struct {
	// Type says what happened.
	Type EventType
	// Member is the node's state after the change.
	Member Member
}

// Stats are a cluster's running counters.
type Stats struct {
	// GossipSent counts broadcast copies handed to the transport, one per
	// receiving member.
	GossipSent uint64
	// GossipReceived counts distinct messages (gossip and SendTo) handed
	// to handlers' queue.
	GossipReceived uint64
	// GossipDuplicates counts gossip copies dropped as already seen.
	GossipDuplicates uint64
	// GossipDropped counts messages dropped because the inbound queue was
	// full, or no handler was registered for their kind.
	GossipDropped uint64
	// RefusedConns counts TLS handshakes this node refused, inbound or
	// outbound: peer certificate not from the chain CA, expired, revoked,
	// not a node id, or not the node expected at that address.
	RefusedConns uint64
	// RefusedAlive counts membership claims refused (revoked, or a name not
	// proven to be served at its advertised address).
	RefusedAlive uint64
	// PacketsDropped counts outbound memberlist packets lost to a full
	// queue or a failed connection.
	PacketsDropped uint64
	// EventsDropped counts membership events dropped because Events was not
	// read.
	EventsDropped uint64
	// RequestsServed counts requests answered by this node's handlers.
	RequestsServed uint64
}

// MessageHandler handles a gossiped or directly sent message of one kind.
type MessageHandler func(from string, msg []byte)

// RequestHandler answers a request of one kind; a returned error reaches
// the requester as a [RemoteError].
type RequestHandler func(ctx context.Context, from string, req []byte) ([]byte, error)

// Cluster is this node's membership in the chain's memberlist cluster.
type Cluster struct {
	cfg Config
	log *slog.Logger
	id  *Identity
	t   *transport
	ml  *memberlist.Memberlist

	self string // advertised host:port

	hmu         sync.RWMutex
	handlers    map[byte]MessageHandler
	reqHandlers map[byte]RequestHandler

	inbox chan inbound
	seen  dedupe

	mmu     sync.RWMutex
	members map[string]member

	emu      sync.Mutex
	events   chan MemberEvent
	evClosed bool

	bmu      sync.Mutex
	verified map[string]string    // node id → address proven served by it
	failed   map[string]time.Time // id|addr → refuse without re-probing until

	metaMu   sync.Mutex
	lastMeta []byte

	rpool requestPool

	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	shutOnce sync.Once

	gossipSent, gossipReceived, gossipDuplicates, gossipDropped atomic.Uint64
	refusedAlive, eventsDropped, requestsServed                 atomic.Uint64
}

// member is a Member plus the address in memberlist's form.
type member struct {
	Member
	ip   net.IP
	port uint16
}

type inbound struct {
	from string
	kind byte
	msg  []byte
}

// New starts a node's transport and memberlist; the node is alone until Join.
// Register handlers before joining so that no early message is dropped.
func New(cfg Config) (*Cluster, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &Cluster{
		cfg:         cfg,
		log:         cfg.Logger.With("node", cfg.NodeID, "component", "p2p"), // memberlist's lines too: logspec's p2p level
		id:          cfg.Identity,
		handlers:    make(map[byte]MessageHandler),
		reqHandlers: make(map[byte]RequestHandler),
		inbox:       make(chan inbound, cfg.QueueDepth),
		seen:        newDedupe(1 << 16),
		members:     make(map[string]member),
		events:      make(chan MemberEvent, cfg.EventDepth),
		verified:    make(map[string]string),
		failed:      make(map[string]time.Time),
		rpool:       requestPool{idle: make(map[string][]*idleConn)},
		ctx:         ctx,
		cancel:      cancel,
	}
	t, err := newTransport(transportConfig{
		identity:      cfg.Identity,
		bindAddr:      cfg.BindAddr,
		advertiseAddr: cfg.AdvertiseAddr,
		logger:        c.log,
		maxPacket:     cfg.PacketSize + 4096, // memberlist's label header and CRC come on top
		dialTimeout:   cfg.Timing.DialTimeout,
		onRequestConn: c.serveRequests,
		onBinding:     c.observeBinding,
	})
	if err != nil {
		cancel()
		return nil, err
	}
	c.t = t
	c.self = t.advertise.String()
	c.verified[cfg.NodeID] = c.self

	d := &mlDelegate{c: c}
	mc := memberlist.DefaultLANConfig()
	mc.Name = cfg.NodeID
	mc.Transport = t
	mc.Label = cfg.Label
	mc.Delegate, mc.Events, mc.Alive, mc.Conflict = d, d, d, d
	mc.UDPBufferSize = cfg.PacketSize
	mc.HandoffQueueDepth = cfg.QueueDepth
	mc.EnableCompression = false // payloads are signatures and hashes; TLS frames them anyway
	mc.Logger = log.New(slogWriter{c.log}, "", 0)
	tm := cfg.Timing
	mc.GossipInterval, mc.GossipNodes, mc.RetransmitMult = tm.GossipInterval, tm.GossipNodes, tm.RetransmitMult
	mc.ProbeInterval, mc.ProbeTimeout, mc.SuspicionMult = tm.ProbeInterval, tm.ProbeTimeout, tm.SuspicionMult
	mc.PushPullInterval, mc.GossipToTheDeadTime, mc.TCPTimeout = tm.PushPullInterval, tm.GossipToTheDeadTime, tm.TCPTimeout

	c.wg.Add(1)
	go c.dispatch()
	ml, err := memberlist.Create(mc)
	if err != nil {
		cancel()
		t.Shutdown()
		c.wg.Wait()
		return nil, fmt.Errorf("p2p: start memberlist: %w", err)
	}
	c.ml = ml
	c.log.Info("p2p: cluster started", "addr", c.self, "label", cfg.Label)
	return c, nil
}

// NodeID returns this node's id.
func (c *Cluster) NodeID() string { return c.cfg.NodeID }

// Addr returns the host:port other nodes dial to reach this node.
func (c *Cluster) Addr() string { return c.self }

// Join contacts the seeds ("host:port" or "nodeid/host:port"; naming the
// node makes its certificate's node id required) and merges state with each
// that answers. It returns how many answered; an error only if none did.
func (c *Cluster) Join(seeds []string) (int, error) {
	n, err := c.ml.Join(seeds)
	if err != nil {
		return n, fmt.Errorf("p2p: join %v: %w", seeds, err)
	}
	return n, nil
}

// Members returns the members this node knows, itself included, sorted by
// id. Removed (revoked) nodes are left out.
func (c *Cluster) Members() []Member {
	c.mmu.RLock()
	out := make([]Member, 0, len(c.members))
	for _, m := range c.members {
		pub := m.Member
		pub.Meta = bytes.Clone(m.Meta)
		out = append(out, pub)
	}
	c.mmu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// member returns a live member by id.
func (c *Cluster) member(nodeID string) (Member, bool) {
	c.mmu.RLock()
	m, ok := c.members[nodeID]
	c.mmu.RUnlock()
	return m.Member, ok && m.Alive
}

// UpdateMeta re-reads Config.Meta and gossips it, waiting up to timeout for
// the update to be sent to the cluster.
func (c *Cluster) UpdateMeta(timeout time.Duration) error {
	if c.cfg.Meta != nil {
		if n := len(c.cfg.Meta()); n > MaxMetaSize {
			return fmt.Errorf("%w: metadata of %d bytes, limit %d", ErrTooLarge, n, MaxMetaSize)
		}
	}
	if err := c.ml.UpdateNode(timeout); err != nil {
		return fmt.Errorf("p2p: update metadata: %w", err)
	}
	return nil
}

// Events returns membership changes of other nodes. The channel is bounded
// (Config.EventDepth); events are dropped and counted when it is full, so a
// consumer that must not miss changes should re-read Members after a drop.
// It is closed by Shutdown.
func (c *Cluster) Events() <-chan MemberEvent { return c.events }

// Leave announces that this node leaves and waits up to timeout for the
// announcement to spread. Call Shutdown afterwards.
func (c *Cluster) Leave(timeout time.Duration) error {
	if c.Closed() {
		return ErrClosed // memberlist panics on a leave after shutdown
	}
	if err := c.ml.Leave(timeout); err != nil {
		return fmt.Errorf("p2p: leave: %w", err)
	}
	return nil
}

// Shutdown stops gossip, closes every connection and the Events channel. It
// does not announce a leave (see Leave). Safe to call more than once.
func (c *Cluster) Shutdown() error {
	var err error
	c.shutOnce.Do(func() {
		err = c.ml.Shutdown() // shuts the transport down too
		c.cancel()
		c.wg.Wait()
		c.rpool.closeAll()
		c.emu.Lock()
		c.evClosed = true
		close(c.events)
		c.emu.Unlock()
		if err != nil {
			err = fmt.Errorf("p2p: shutdown: %w", err)
		}
	})
	return err
}

// Closed reports whether Shutdown has run (the node's health check).
func (c *Cluster) Closed() bool { return c.ctx.Err() != nil }

// RemoveNode revokes a node id on this node: its connections are dropped,
// its handshakes and membership claims refused from now on, and it is gone
// from Members at once (memberlist declares it dead when its probes fail).
// Revocation is local; the layer above applies it on every node, e.g. when a
// committed transaction revokes the node.
func (c *Cluster) RemoveNode(nodeID string) {
	c.id.Revoke(nodeID)
	dropped := c.t.dropPeer(nodeID)
	c.rpool.drop(nodeID)
	c.bmu.Lock()
	delete(c.verified, nodeID)
	c.bmu.Unlock()
	c.mmu.Lock()
	m, was := c.members[nodeID]
	delete(c.members, nodeID)
	c.mmu.Unlock()
	if was && m.Alive {
		m.Alive = false
		c.emit(MemberEvent{Type: EventLeave, Member: m.Member})
	}
	c.log.Warn("p2p: node removed", "peer", nodeID, "conns_dropped", dropped)
}

// Stats returns the cluster's counters.
func (c *Cluster) Stats() Stats {
	return Stats{
		GossipSent:       c.gossipSent.Load(),
		GossipReceived:   c.gossipReceived.Load(),
		GossipDuplicates: c.gossipDuplicates.Load(),
		GossipDropped:    c.gossipDropped.Load(),
		RefusedConns:     c.t.refused.Load(),
		RefusedAlive:     c.refusedAlive.Load(),
		PacketsDropped:   c.t.packetsDropped.Load(),
		EventsDropped:    c.eventsDropped.Load(),
		RequestsServed:   c.requestsServed.Load(),
	}
}

// MaxBroadcastSize is the largest message Broadcast accepts: what fits in one
// memberlist packet beside memberlist's and this package's headers.
func (c *Cluster) MaxBroadcastSize() int {
	return c.cfg.PacketSize - 64 - (2 + len(c.cfg.Label)) - envelopeFixedLen - len(c.cfg.NodeID)
}

// Broadcast sends msg under kind to every other live member and returns
// without waiting. Each member gets one copy, pushed as a memberlist packet
// over its persistent TLS connection; see the package documentation for why
// this is an eager push rather than memberlist's random gossip, and what the
// layer above must still do. A copy is lost only if the member's connection
// fails or its queue is full (counted in Stats.PacketsDropped), or if this
// node does not know the member yet.
func (c *Cluster) Broadcast(kind byte, msg []byte) error {
	if len(msg) > c.MaxBroadcastSize() {
		return fmt.Errorf("%w: broadcast of %d bytes, limit %d", ErrTooLarge, len(msg), c.MaxBroadcastSize())
	}
	if c.ctx.Err() != nil {
		return ErrClosed
	}
	env := encodeEnvelope(kind, rand.Uint64(), c.cfg.NodeID, msg)
	c.mmu.RLock()
	targets := make([]*memberlist.Node, 0, len(c.members))
	for _, m := range c.members {
		if m.Alive && m.ID != c.cfg.NodeID {
			targets = append(targets, &memberlist.Node{Name: m.ID, Addr: m.ip, Port: m.port})
		}
	}
	c.mmu.RUnlock()
	for _, n := range targets {
		if err := c.ml.SendBestEffort(n, env); err != nil {
			c.log.Debug("p2p: broadcast copy dropped", "peer", n.Name, "err", err)
			continue
		}
		c.gossipSent.Add(1)
	}
	return nil
}

// Handle registers fn for messages of kind, gossiped (Broadcast) or sent
// directly (SendTo), replacing any earlier handler. Handlers run one at a
// time on one goroutine, in arrival order; a slow handler makes the bounded
// inbound queue drop (counted in Stats). msg belongs to the handler.
//
// from is the sending node's id. For SendTo it is the authenticated peer of
// the TLS connection. For gossip it is the origin the broadcaster wrote into
// the message: every gossiping node is an authenticated chain member, but
// that field is not signed, so it must not be used to authorise anything.
func (c *Cluster) Handle(kind byte, fn MessageHandler) {
	c.hmu.Lock()
	c.handlers[kind] = fn
	c.hmu.Unlock()
}

// deliver queues a message for its kind's handler; msg must already be a
// private copy.
func (c *Cluster) deliver(from string, kind byte, msg []byte) error {
	c.hmu.RLock()
	_, ok := c.handlers[kind]
	c.hmu.RUnlock()
	if !ok {
		c.gossipDropped.Add(1)
		return fmt.Errorf("p2p: no handler for message kind %d", kind)
	}
	select {
	case c.inbox <- inbound{from: from, kind: kind, msg: msg}:
		c.gossipReceived.Add(1)
		return nil
	default:
		c.gossipDropped.Add(1)
		return errors.New("p2p: inbound message queue full")
	}
}

// dispatch runs message handlers.
func (c *Cluster) dispatch() {
	defer c.wg.Done()
	for {
		select {
		case in := <-c.inbox:
			c.hmu.RLock()
			fn := c.handlers[in.kind]
			c.hmu.RUnlock()
			if fn != nil {
				fn(in.from, in.msg)
			}
		case <-c.ctx.Done():
			return
		}
	}
}

func (c *Cluster) emit(ev MemberEvent) {
	c.emu.Lock()
	defer c.emu.Unlock()
	if c.evClosed {
		return
	}
	select {
	case c.events <- ev:
	default:
		c.eventsDropped.Add(1)
	}
}

// observeBinding records that a verified handshake showed nodeID serving
// addr.
func (c *Cluster) observeBinding(nodeID, addr string) {
	c.bmu.Lock()
	c.verified[nodeID] = addr
	delete(c.failed, nodeID+"|"+addr)
	c.bmu.Unlock()
}

// checkAlive decides whether memberlist may accept that node n is alive at
// its advertised address. It runs under memberlist's state lock, so the
// common case is a map lookup; only a new (name, address) pair costs one
// handshake, and failures are cached so repeated claims cost nothing.
func (c *Cluster) checkAlive(n *memberlist.Node) error {
	name, addr := n.Name, n.Address()
	refuse := func(reason string) error {
		c.refusedAlive.Add(1)
		c.log.Warn("p2p: membership claim refused", "peer", name, "addr", addr, "reason", reason)
		return fmt.Errorf("%w: %s at %s: %s", ErrPeerRefused, name, addr, reason)
	}
	switch {
	case !ValidNodeID(name):
		return refuse("name is not a node id")
	case c.id.IsRevoked(name):
		return refuse("node is revoked")
	case name == c.cfg.NodeID && addr != c.self:
		return refuse("another node claims this node's name")
	}
	key := name + "|" + addr
	now := time.Now()
	c.bmu.Lock()
	if c.verified[name] == addr {
		c.bmu.Unlock()
		return nil
	}
	if until, ok := c.failed[key]; ok && now.Before(until) {
		c.bmu.Unlock()
		c.refusedAlive.Add(1)
		return fmt.Errorf("%w: %s at %s: address not proven (cached)", ErrPeerRefused, name, addr)
	}
	c.bmu.Unlock()

	if err := c.t.probe(addr, name, c.cfg.Timing.DialTimeout); err != nil {
		c.bmu.Lock()
		if len(c.failed) > 4096 {
			for k, until := range c.failed {
				if now.After(until) {
					delete(c.failed, k)
				}
			}
		}
		c.failed[key] = now.Add(10 * c.cfg.Timing.ProbeInterval)
		c.bmu.Unlock()
		return refuse("address not served by this node's certificate: " + err.Error())
	}
	return nil
}

// mlDelegate adapts memberlist's delegate interfaces to the Cluster without
// exporting them on it.
type mlDelegate struct{ c *Cluster }

// NodeMeta implements memberlist.Delegate.
func (d *mlDelegate) NodeMeta(limit int) []byte {
	c := d.c
	if c.cfg.Meta == nil {
		return nil
	}
	meta := c.cfg.Meta()
	c.metaMu.Lock()
	defer c.metaMu.Unlock()
	if len(meta) > limit {
		// memberlist panics on oversized metadata; keep the last good value.
		c.log.Error("p2p: node metadata too large, keeping previous", "size", len(meta), "limit", limit)
		return c.lastMeta
	}
	c.lastMeta = bytes.Clone(meta)
	return c.lastMeta
}

// NotifyMsg implements memberlist.Delegate: drop duplicates, copy, queue.
func (d *mlDelegate) NotifyMsg(b []byte) {
	c := d.c
	kind, id, origin, msg, err := decodeEnvelope(b)
	if err != nil {
		c.log.Debug("p2p: malformed gossip message", "err", err)
		c.gossipDropped.Add(1)
		return
	}
	if !c.seen.add(msgKey{origin: origin, id: id}) {
		c.gossipDuplicates.Add(1)
		return
	}
	c.deliver(origin, kind, bytes.Clone(msg))
}

// GetBroadcasts implements memberlist.Delegate. Broadcast pushes eagerly
// instead of queueing for random gossip (see the package documentation).
func (d *mlDelegate) GetBroadcasts(int, int) [][]byte { return nil }

// LocalState implements memberlist.Delegate; the node layer syncs its own
// state over requests.
func (d *mlDelegate) LocalState(bool) []byte { return nil }

// MergeRemoteState implements memberlist.Delegate.
func (d *mlDelegate) MergeRemoteState([]byte, bool) {}

// NotifyAlive implements memberlist.AliveDelegate.
func (d *mlDelegate) NotifyAlive(n *memberlist.Node) error { return d.c.checkAlive(n) }

// NotifyConflict implements memberlist.ConflictDelegate.
func (d *mlDelegate) NotifyConflict(existing, other *memberlist.Node) {
	d.c.log.Warn("p2p: node name conflict", "peer", existing.Name, "addr", existing.Address(), "other_addr", other.Address())
}

// NotifyJoin implements memberlist.EventDelegate. memberlist holds its state
// lock here, so the node is copied now rather than read later.
func (d *mlDelegate) NotifyJoin(n *memberlist.Node) { d.c.memberChanged(EventJoin, n) }

// NotifyLeave implements memberlist.EventDelegate.
func (d *mlDelegate) NotifyLeave(n *memberlist.Node) { d.c.memberChanged(EventLeave, n) }

// NotifyUpdate implements memberlist.EventDelegate.
func (d *mlDelegate) NotifyUpdate(n *memberlist.Node) { d.c.memberChanged(EventUpdate, n) }

func (c *Cluster) memberChanged(typ EventType, n *memberlist.Node) {
	if c.id.IsRevoked(n.Name) {
		return // RemoveNode already reported it
	}
	m := member{
		Member: Member{ID: n.Name, Addr: n.Address(), Meta: bytes.Clone(n.Meta), Alive: typ != EventLeave},
		ip:     slices.Clone(n.Addr),
		port:   n.Port,
	}
	c.mmu.Lock()
	c.members[m.ID] = m
	c.mmu.Unlock()
	if m.ID != c.cfg.NodeID {
		ev := m.Member
		ev.Meta = bytes.Clone(m.Meta)
		c.emit(MemberEvent{Type: typ, Member: ev})
	}
}

// msgKey identifies a gossip message.
type msgKey struct {
	origin string
	id     uint64
}

// dedupe remembers between max and 2·max recent message keys in two
// generations.
type dedupe struct {
	mu       sync.Mutex
	cur, old map[msgKey]struct{}
	max      int
}

func newDedupe(max int) dedupe {
	return dedupe{cur: make(map[msgKey]struct{}), max: max}
}

// add records k and reports whether it was new.
func (d *dedupe) add(k msgKey) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.cur[k]; ok {
		return false
	}
	if _, ok := d.old[k]; ok {
		return false
	}
	d.cur[k] = struct{}{}
	if len(d.cur) >= d.max {
		d.old, d.cur = d.cur, make(map[msgKey]struct{}, d.max)
	}
	return true
}

// slogWriter carries memberlist's log.Logger lines into slog, mapping its
// "[LEVEL]" prefixes to slog levels.
type slogWriter struct{ l *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	line := string(bytes.TrimRight(p, "\n"))
	level := slog.LevelInfo
	for _, lv := range []struct {
		prefix string
		level  slog.Level
	}{{"[DEBUG] ", slog.LevelDebug}, {"[INFO] ", slog.LevelInfo}, {"[WARN] ", slog.LevelWarn}, {"[ERR] ", slog.LevelError}} {
		if len(line) >= len(lv.prefix) && line[:len(lv.prefix)] == lv.prefix {
			level, line = lv.level, line[len(lv.prefix):]
			break
		}
	}
	w.l.Log(context.Background(), level, line)
	return len(p), nil
}
