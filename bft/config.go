package bft

import (
	"crypto/ed25519"
	"log/slog"
	"time"

	"github.com/hyperledger-labs/SmartBFT/pkg/types"
)

// Config configures an Orderer. DefaultConfig fills the LAN timing,
// FastConfig a local or test network's.
type Config struct {
	// NodeID is this node's id (its certificate's); NodeKey its key,
	// which signs the blocks it proposes and its consensus votes.
	NodeID  string
	NodeKey ed25519.PrivateKey
	// WALDir holds SmartBFT's write-ahead log (data_dir/bft-wal).
	WALDir string

	// The batch limits: a block at least every BlockInterval while
	// requests wait, at once at MaxBlockTxs or MaxBlockBytes.
	BlockInterval time.Duration
	MaxBlockTxs   int
	MaxBlockBytes int
	// RequestPoolSize bounds SmartBFT's request pool; New raises it to at
	// least the mempool's capacity, so that submission never stalls
	// admission.
	RequestPoolSize int

	// RequestForwardTimeout: a request not ordered by then is forwarded
	// to the leader; RequestComplainTimeout later still, this node
	// complains about the leader (a view change once f+1 do: a censoring
	// leader loses its view); RequestAutoRemoveTimeout later it drops it.
	RequestForwardTimeout    time.Duration
	RequestComplainTimeout   time.Duration
	RequestAutoRemoveTimeout time.Duration
	// ViewChangeResendInterval and ViewChangeTimeout pace view changes.
	ViewChangeResendInterval time.Duration
	ViewChangeTimeout        time.Duration
	// LeaderHeartbeatTimeout: a leader silent that long is complained
	// about; it sends LeaderHeartbeatCount heartbeats per timeout.
	LeaderHeartbeatTimeout time.Duration
	LeaderHeartbeatCount   uint64
	// CollectTimeout bounds the state collection after a sync.
	CollectTimeout time.Duration
	// Tick is the resolution of SmartBFT's timers (its scheduler and
	// view changer tickers).
	Tick time.Duration
	// MaxClockSkew is how far ahead of this node's clock a proposed
	// block's time may be.
	MaxClockSkew time.Duration

	// OutboundQueue bounds each peer's queue of outbound messages and
	// InboundQueue the messages waiting for the engine; a full queue
	// drops (veil_bft_dropped_total): SmartBFT resends what matters.
	OutboundQueue int
	InboundQueue  int

	// Metrics receives the engine's metrics (NewMetrics over the node's
	// registry); nil records nothing.
	Metrics *Metrics
	Logger  *slog.Logger
}

// DefaultConfig returns LAN timing: forward a waiting request after 2 s,
// complain about the leader 20 s later (SmartBFT's default: a request
// may wait that long in a saturated pool without the leader being at
// fault), a silent leader after 10 s.
func DefaultConfig() Config {
	return Config{
		BlockInterval: 500 * time.Millisecond, MaxBlockTxs: 2000, MaxBlockBytes: 4 << 20, RequestPoolSize: 20_000,
		RequestForwardTimeout: 2 * time.Second, RequestComplainTimeout: 20 * time.Second, RequestAutoRemoveTimeout: 3 * time.Minute,
		ViewChangeResendInterval: 2 * time.Second, ViewChangeTimeout: 20 * time.Second,
		LeaderHeartbeatTimeout: 10 * time.Second, LeaderHeartbeatCount: 10, CollectTimeout: time.Second,
		Tick: 100 * time.Millisecond, MaxClockSkew: 5 * time.Second,
		OutboundQueue: 4096, InboundQueue: 8192, Logger: slog.Default(),
	}
}

// FastConfig returns the timing of a local or test network (node
// timing = "fast"): a censored request is forwarded to the leader after
// 1 s and the leader complained about 3 s later, so that it commits
// within about 5 s under the next leader; a crashed leader is replaced
// after about 2 s of silence (2.3 s from a leader's stop to the next
// commit on every node, TestBFTOrdersAndRecovers).
func FastConfig() Config {
	c := DefaultConfig()
	c.BlockInterval = 50 * time.Millisecond
	c.RequestForwardTimeout, c.RequestComplainTimeout, c.RequestAutoRemoveTimeout = time.Second, 3*time.Second, time.Minute
	c.ViewChangeResendInterval, c.ViewChangeTimeout = 500*time.Millisecond, 4*time.Second
	c.LeaderHeartbeatTimeout, c.LeaderHeartbeatCount = 2*time.Second, 10
	c.CollectTimeout = 500 * time.Millisecond
	c.Tick = 50 * time.Millisecond
	return c
}

// smart is SmartBFT's configuration for this node. Leader rotation is
// off: the leader of view v is then the (v mod n)-th validator by id, so
// that VerifyProposal can check a block's proposer against the view in
// its metadata; a leader that censors or stalls still loses its view
// through complaints.
func (c *Config) smart(self uint64) types.Configuration {
	s := types.DefaultConfig
	s.SelfID = self
	s.RequestBatchMaxCount = uint64(c.MaxBlockTxs)
	s.RequestBatchMaxBytes = uint64(c.MaxBlockBytes)
	s.RequestBatchMaxInterval = c.BlockInterval
	s.IncomingMessageBufferSize = 2000
	s.RequestPoolSize = uint64(max(c.RequestPoolSize, 2*c.MaxBlockTxs))
	s.RequestForwardTimeout = c.RequestForwardTimeout
	s.RequestComplainTimeout = c.RequestComplainTimeout
	s.RequestAutoRemoveTimeout = c.RequestAutoRemoveTimeout
	s.ViewChangeResendInterval = c.ViewChangeResendInterval
	s.ViewChangeTimeout = c.ViewChangeTimeout
	s.LeaderHeartbeatTimeout = c.LeaderHeartbeatTimeout
	s.LeaderHeartbeatCount = c.LeaderHeartbeatCount
	s.CollectTimeout = c.CollectTimeout
	s.SyncOnStart = true
	s.LeaderRotation = false
	s.DecisionsPerLeader = 0
	s.RequestMaxBytes = uint64(c.MaxBlockBytes)
	s.RequestPoolSubmitTimeout = 5 * time.Second
	return s
}
