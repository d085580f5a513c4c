package api

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/version"
)

// Gauges are read when /metrics is scraped.
type Gauges struct {
	Height        func() float64
	Mempool       func() float64
	Peers         func() float64
	GossipDropped func() float64
	EventDrops    func() float64
	// TxCopiesPushed and TxCopiesPulled count transaction copies this node
	// sent to peers, by gossip push and in answer to anti-entropy pulls.
	TxCopiesPushed func() float64
	TxCopiesPulled func() float64
	// VerifyQueue is the verification pool's queue depth at a priority.
	VerifyQueue func(chain.Priority) float64
	// RaftLeaderChanges counts the leaders this node has observed taking
	// office (a counter); RaftTerm and RaftState read raft.
	RaftLeaderChanges func() float64
	RaftTerm          func() float64
	RaftState         func() float64
	// CertExpiry is the seconds left until this node's certificate
	// expires (negative once it has).
	CertExpiry func() float64
	// BlockSyncRefused counts, by reason, the block sync replies this
	// node refused (veil_block_sync_refused_total{reason}); every reason
	// is a key from the start.
	BlockSyncRefused map[string]func() float64
	// ForkDetected is 1 once the node has found a fork, else 0;
	// ForkConflicts counts the conflicting (peer, height) pairs found (a
	// counter).
	ForkDetected  func() float64
	ForkConflicts func() float64
}

// Metrics are one node's Prometheus metrics, on a registry of its own (so
// several nodes can run in one process). A nil *Metrics records nothing.
type Metrics struct {
	reg         *prometheus.Registry
	admittedTx  prometheus.Counter
	refusedTx   *prometheus.CounterVec
	verify      prometheus.Histogram
	verified    [len(chain.Priorities)]prometheus.Counter // by path, indexed by chain.Priority
	busy        prometheus.Counter
	blockCommit prometheus.Histogram
}

// NewMetrics registers veil's metrics and the gauges.
func NewMetrics(g Gauges) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg:        reg,
		admittedTx: prometheus.NewCounter(prometheus.CounterOpts{Name: "veil_txs_admitted_total", Help: "Transactions admitted to the mempool through the API."}),
		refusedTx:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "veil_txs_refused_total", Help: "Transactions refused by the API, by code."}, []string{"code"}),
		verify: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "veil_group_signature_verify_seconds", Help: "Time to verify one group signature (groupsig v2).",
			Buckets: prometheus.ExponentialBuckets(0.0005, 1.6, 14)}),
		blockCommit: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "veil_block_commit_seconds", Help: "Time from a block's proposal to its application on this node.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)}),
	}
	m.busy = prometheus.NewCounter(prometheus.CounterOpts{Name: "veil_api_busy_total", Help: "Submissions answered 503 busy: the verification pool's API share was full."})
	verified := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "veil_signature_verifications_total",
		Help: "Group signature verifications actually run (cached verdicts and joined in-flight ones excluded), by the path that needed it: apply, gossip, api."}, []string{"path"})
	for _, p := range chain.Priorities {
		m.verified[p] = verified.WithLabelValues(p.String()) // every path present from the start
	}
	reg.MustRegister(m.admittedTx, m.refusedTx, m.verify, verified, m.busy, m.blockCommit, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if g.VerifyQueue != nil {
		for _, p := range chain.Priorities {
			reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "veil_verify_queue_depth",
				Help: "Verifications waiting for a worker of the pool, by priority (apply > gossip > api).", ConstLabels: prometheus.Labels{"priority": p.String()}},
				func() float64 { return g.VerifyQueue(p) }))
		}
	}
	if g.RaftLeaderChanges != nil {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "veil_raft_leader_changes_total",
			Help: "Raft leaders this node has observed taking office, the first election included."}, g.RaftLeaderChanges))
	}
	gauge := func(name, help string, f func() float64) {
		if f != nil {
			reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f))
		}
	}
	gauge("veil_chain_height", "Height of the newest committed block.", g.Height)
	gauge("veil_mempool_txs", "Transactions waiting in the mempool.", g.Mempool)
	gauge("veil_peers", "Alive peers in the gossip cluster.", g.Peers)
	gauge("veil_gossip_dropped_total", "Gossip messages dropped because the inbound queue was full.", g.GossipDropped)
	gauge("veil_event_subscribers_dropped_total", "Event-stream clients dropped as slow consumers.", g.EventDrops)
	for path, f := range map[string]func() float64{"push": g.TxCopiesPushed, "pull": g.TxCopiesPulled} {
		if f != nil {
			reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "veil_gossip_tx_copies_sent_total",
				Help: "Transaction copies sent to peers, by path: gossip push or answer to an anti-entropy pull.", ConstLabels: prometheus.Labels{"path": path}}, f))
		}
	}
	for reason, f := range g.BlockSyncRefused {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "veil_block_sync_refused_total",
			Help: "Block sync replies refused (a lying or broken peer), by reason.", ConstLabels: prometheus.Labels{"reason": reason}}, f))
	}
	if g.ForkConflicts != nil {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "veil_fork_conflicts_total",
			Help: "Heights at which a peer was found to hold a committed, validator-signed block other than this node's, counted once per (peer, height)."}, g.ForkConflicts))
	}
	gauge("veil_fork_detected", "1 once this node has found a fork (a peer committed another block at a height it committed); it clears only on restart.", g.ForkDetected)
	gauge("veil_raft_term", "This node's current raft term.", g.RaftTerm)
	gauge("veil_raft_state", "This node's raft state: 0 follower, 1 candidate, 2 leader, 3 shutdown.", g.RaftState)
	bi := version.Get()
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "veil_build_info", Help: "Always 1; the labels name this binary's build (as `veil version`).",
		ConstLabels: prometheus.Labels{"version": bi.Version, "commit": bi.Commit, "go_version": bi.GoVersion}}, func() float64 { return 1 }))
	gauge("veil_node_cert_expiry_seconds", "Seconds until this node's certificate expires (negative once expired).", g.CertExpiry)
	return m
}

// Handler serves the registry in Prometheus' text format.
func (m *Metrics) Handler() http.Handler { return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}) }

func (m *Metrics) admitted() {
	if m != nil {
		m.admittedTx.Inc()
	}
}

func (m *Metrics) refused(code string) {
	if m != nil {
		m.refusedTx.WithLabelValues(code).Inc()
	}
}

// ObserveVerify records one signature verification the pool ran, for
// path p (chain.VerifierConfig.OnVerify).
func (m *Metrics) ObserveVerify(p chain.Priority, d time.Duration) {
	if m != nil {
		m.verified[p].Inc()
		m.verify.Observe(d.Seconds())
	}
}

func (m *Metrics) busied() {
	if m != nil {
		m.busy.Inc()
	}
}

// ObserveBlockCommit records a block's proposal-to-apply latency.
func (m *Metrics) ObserveBlockCommit(d time.Duration) {
	if m != nil {
		m.blockCommit.Observe(d.Seconds())
	}
}
