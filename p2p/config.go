package p2p

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Timing holds memberlist's gossip and failure-detection intervals. All nodes
// of a chain should use the same values.
type Timing struct {
	// GossipInterval is how often memberlist gossips membership changes, to
	// GossipNodes random members each time.
	GossipInterval time.Duration
	// GossipNodes is the fan-out of each gossip round.
	GossipNodes int
	// RetransmitMult scales how often each membership change is gossiped:
	// RetransmitMult·⌈log10(n+1)⌉ transmissions in a cluster of n.
	RetransmitMult int
	// ProbeInterval is how often each node probes a random member.
	ProbeInterval time.Duration
	// ProbeTimeout is how long a probe waits for an ack.
	ProbeTimeout time.Duration
	// SuspicionMult scales how long a suspected node has to refute before it
	// is declared dead.
	SuspicionMult int
	// PushPullInterval is how often a node syncs full state with a random
	// member.
	PushPullInterval time.Duration
	// GossipToTheDeadTime is how long dead nodes still receive gossip.
	GossipToTheDeadTime time.Duration
	// TCPTimeout bounds memberlist's stream operations (join, push/pull).
	TCPTimeout time.Duration
	// DialTimeout bounds dialling a packet connection and proving who
	// serves an advertised address.
	DialTimeout time.Duration
}

// LANTiming returns memberlist's LAN defaults, suited to validators on one
// network.
func LANTiming() Timing {
	return Timing{
		GossipInterval:      200 * time.Millisecond,
		GossipNodes:         3,
		RetransmitMult:      4,
		ProbeInterval:       time.Second,
		ProbeTimeout:        500 * time.Millisecond,
		SuspicionMult:       4,
		PushPullInterval:    30 * time.Second,
		GossipToTheDeadTime: 30 * time.Second,
		TCPTimeout:          10 * time.Second,
		DialTimeout:         2 * time.Second,
	}
}

// FastTiming returns short intervals for tests on loopback: joins and
// metadata spread within tens of milliseconds and full state syncs every
// second, while failure detection stays tolerant of a loaded CI machine (a
// silent node is declared dead after a few seconds).
func FastTiming() Timing {
	return Timing{
		GossipInterval:      50 * time.Millisecond,
		GossipNodes:         3,
		RetransmitMult:      4,
		ProbeInterval:       250 * time.Millisecond,
		ProbeTimeout:        200 * time.Millisecond,
		SuspicionMult:       6,
		PushPullInterval:    time.Second,
		GossipToTheDeadTime: 5 * time.Second,
		TCPTimeout:          5 * time.Second,
		DialTimeout:         2 * time.Second,
	}
}

// Config configures a [Cluster].
type Config struct {
	// NodeID is this node's memberlist name. It must equal the common name of
	// Identity's certificate; empty means that common name.
	NodeID string
	// BindAddr is the TCP host:port to listen on, e.g. "127.0.0.1:0" or
	// "0.0.0.0:7946".
	BindAddr string
	// AdvertiseAddr is the host:port peers dial; empty means the bound
	// address, which must then be a specific IP. Port 0 means the bound port.
	AdvertiseAddr string
	// Identity is the node's TLS identity (required).
	Identity *Identity
	// Label is the chain id. memberlist prefixes every packet and stream with
	// it and refuses traffic from another chain's cluster.
	Label string
	// Meta returns this node's metadata, at most [MaxMetaSize] bytes. It is
	// called at start and by UpdateMeta. Nil means no metadata.
	Meta func() []byte
	// Logger receives the package's logs and memberlist's; nil means
	// slog.Default.
	Logger *slog.Logger
	// QueueDepth bounds inbound messages waiting for their handler; beyond
	// it messages are dropped and counted.
	QueueDepth int
	// EventDepth bounds membership events waiting to be read from Events.
	EventDepth int
	// PacketSize is the largest memberlist packet (memberlist's
	// UDPBufferSize). Packets ride TCP, so it can far exceed a UDP datagram;
	// it bounds the largest broadcast (see [Cluster.MaxBroadcastSize]). All
	// nodes must agree.
	PacketSize int
	// MaxRequestSize bounds a request or response frame.
	MaxRequestSize int
	// RequestTimeout bounds a request whose context has no deadline, and a
	// request handler's run.
	RequestTimeout time.Duration
	// Timing holds the gossip and probe intervals.
	Timing Timing
}

// MaxMetaSize is the most node metadata memberlist carries.
const MaxMetaSize = 512

// DefaultConfig returns a configuration with LAN timing, a 128 KiB packet
// size (broadcasts up to about 130 KB), a 4,096-deep inbound queue and a
// 16 MiB request limit. NodeID,
// Identity and Label remain to be set.
func DefaultConfig() Config {
	return Config{
		BindAddr:       "127.0.0.1:0",
		QueueDepth:     4096,
		EventDepth:     256,
		PacketSize:     128 << 10,
		MaxRequestSize: 16 << 20,
		RequestTimeout: 30 * time.Second,
		Timing:         LANTiming(),
	}
}

// validate fills defaults from DefaultConfig and checks the rest.
func (c *Config) validate() error {
	d := DefaultConfig()
	if c.Identity == nil {
		return errors.New("p2p: config: Identity is required")
	}
	if c.NodeID == "" {
		c.NodeID = c.Identity.NodeID()
	}
	if c.NodeID != c.Identity.NodeID() {
		return fmt.Errorf("p2p: config: NodeID %q differs from the certificate's node id %q", c.NodeID, c.Identity.NodeID())
	}
	if len(c.Label) > 255 {
		return errors.New("p2p: config: Label longer than 255 bytes")
	}
	if c.BindAddr == "" {
		c.BindAddr = d.BindAddr
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.QueueDepth <= 0 {
		c.QueueDepth = d.QueueDepth
	}
	if c.EventDepth <= 0 {
		c.EventDepth = d.EventDepth
	}
	if c.PacketSize <= 0 {
		c.PacketSize = d.PacketSize
	}
	if c.PacketSize < 1400 {
		return fmt.Errorf("p2p: config: PacketSize %d below 1400", c.PacketSize)
	}
	if c.MaxRequestSize <= 0 {
		c.MaxRequestSize = d.MaxRequestSize
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = d.RequestTimeout
	}
	if c.Timing == (Timing{}) {
		c.Timing = d.Timing
	}
	if c.Timing.DialTimeout <= 0 {
		c.Timing.DialTimeout = d.Timing.DialTimeout
	}
	return nil
}
