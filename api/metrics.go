package api

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/version"
)

// Gauges are read when /metrics is scraped; a nil one is not exported.
// Those documented as counters must only grow.
type Gauges struct {
	Height  func() float64
	Mempool func() float64
	// MempoolBytes is the encoded size of the transactions waiting.
	MempoolBytes func() float64
	// HeadTime is the head block's time, Unix seconds ("chain stalled"
	// alerts: time() - veil_head_block_timestamp_seconds).
	HeadTime func() float64
	Peers    func() float64
	// GossipDropped and EventDrops are counters: gossip messages dropped
	// at a full inbound queue, event subscribers dropped as slow.
	GossipDropped func() float64
	EventDrops    func() float64
	// EventSubscribers is the number of open /v1/events streams.
	EventSubscribers func() float64
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
	// RaftCommitIndex and RaftAppliedIndex are raft's indexes;
	// RaftLastContact is the seconds since this node last heard from the
	// leader (0 on the leader, -1 before any contact).
	RaftCommitIndex  func() float64
	RaftAppliedIndex func() float64
	RaftLastContact  func() float64
	// VerdictHits and VerdictMisses count the verdict cache's lookups
	// (counters): a hit spares a signature verification.
	VerdictHits   func() float64
	VerdictMisses func() float64
	// SyncTarget is the highest chain height this node knows of (its
	// peers' and a snapshot being restored); BlocksFetched counts the
	// blocks block sync fetched (a counter).
	SyncTarget    func() float64
	BlocksFetched func() float64
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
	blockTxs    prometheus.Histogram
	blockBytes  prometheus.Histogram
	committed   [2]prometheus.Counter // valid, invalid
	requests    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
}

// requestCodes are the statuses the API answers, each a zero series of
// veil_api_requests_total for every route from the start.
var requestCodes = []int{200, 202, 400, 404, 405, 413, 429, 500, 503}

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
	m.blockTxs = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "veil_block_txs", Help: "Transactions in each block this node applied.",
		Buckets: prometheus.ExponentialBuckets(1, 2, 12)})
	m.blockBytes = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "veil_block_bytes", Help: "Encoded bytes of the transactions of each block this node applied (what max_block_bytes bounds).",
		Buckets: prometheus.ExponentialBuckets(1024, 4, 8)})
	committed := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "veil_txs_committed_total",
		Help: "Transactions in blocks this node applied, by result: valid, or kept in the block and marked invalid."}, []string{"result"})
	m.committed = [2]prometheus.Counter{committed.WithLabelValues("valid"), committed.WithLabelValues("invalid")}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "veil_api_requests_total",
		Help: "API requests answered, by route (the pattern, not the path) and status code."}, []string{"route", "code"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "veil_api_request_duration_seconds",
		Help: "Time to answer an API request, by route (the event stream excluded: its requests last as long as the stream).", Buckets: prometheus.ExponentialBuckets(0.0005, 2.5, 12)}, []string{"route"})
	for _, c := range chain.Codes()[1:] { // every refusal code from the start
		m.refusedTx.WithLabelValues(c.String())
	}
	for _, c := range []string{CodeRateLimited, CodeMempoolFull, CodeForked} {
		m.refusedTx.WithLabelValues(c)
	}
	m.busy = prometheus.NewCounter(prometheus.CounterOpts{Name: "veil_api_busy_total", Help: "Submissions answered 503 busy: the verification pool's API share was full."})
	verified := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "veil_signature_verifications_total",
		Help: "Group signature verifications actually run (cached verdicts and joined in-flight ones excluded), by the path that needed it: apply, gossip, api."}, []string{"path"})
	for _, p := range chain.Priorities {
		m.verified[p] = verified.WithLabelValues(p.String()) // every path present from the start
	}
	reg.MustRegister(m.admittedTx, m.refusedTx, m.verify, verified, m.busy, m.blockCommit, m.blockTxs, m.blockBytes, committed, m.requests, m.latency, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
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
	counter := func(name, help string, f func() float64) {
		if f != nil {
			reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, f))
		}
	}
	gauge("veil_chain_height", "Height of the newest committed block.", g.Height)
	gauge("veil_mempool_txs", "Transactions waiting in the mempool.", g.Mempool)
	gauge("veil_peers", "Alive peers in the gossip cluster.", g.Peers)
	gauge("veil_mempool_bytes", "Encoded bytes of the transactions waiting in the mempool.", g.MempoolBytes)
	gauge("veil_head_block_timestamp_seconds", "Time of the newest committed block, Unix seconds (0 at genesis).", g.HeadTime)
	counter("veil_gossip_dropped_total", "Gossip messages dropped because the inbound queue was full.", g.GossipDropped)
	counter("veil_event_subscribers_dropped_total", "Event-stream clients dropped as slow consumers.", g.EventDrops)
	gauge("veil_event_subscribers", "Open event-stream (/v1/events) connections.", g.EventSubscribers)
	gauge("veil_raft_commit_index", "Index of the newest raft entry this node knows committed.", g.RaftCommitIndex)
	gauge("veil_raft_applied_index", "Index of the newest raft entry this node applied.", g.RaftAppliedIndex)
	gauge("veil_raft_last_contact_seconds", "Seconds since this node last heard from the raft leader: 0 on the leader, -1 before any contact.", g.RaftLastContact)
	for result, f := range map[string]func() float64{"hit": g.VerdictHits, "miss": g.VerdictMisses} {
		if f != nil {
			reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "veil_verdict_cache_lookups_total",
				Help: "Signature verdict cache lookups, by result: a hit spares a verification.", ConstLabels: prometheus.Labels{"result": result}}, f))
		}
	}
	gauge("veil_sync_target_height", "Highest chain height this node knows of: its peers' heads and a raft snapshot it restores.", g.SyncTarget)
	counter("veil_block_sync_blocks_fetched_total", "Blocks fetched from peers by block sync (raft snapshot restores).", g.BlocksFetched)
	gauge("veil_node_cert_expiry_seconds", "Seconds until this node's certificate expires (negative once expired).", g.CertExpiry)
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
	return m
}

// Registerer is the registry these metrics are on, for a part of the node
// that exports collectors of its own (the BFT engine, veil_bft_*).
func (m *Metrics) Registerer() prometheus.Registerer { return m.reg }

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

// ObserveBlock records an applied block: its transaction count and bytes,
// and its transactions by result.
func (m *Metrics) ObserveBlock(a *chain.Applied) {
	if m == nil {
		return
	}
	size, invalid := 0, 0
	for i, tx := range a.Block.Txs {
		size += tx.Size()
		if a.Codes[i] != chain.CodeOK {
			invalid++
		}
	}
	m.blockTxs.Observe(float64(len(a.Block.Txs)))
	m.blockBytes.Observe(float64(size))
	m.committed[0].Add(float64(len(a.Block.Txs) - invalid))
	m.committed[1].Add(float64(invalid))
}

// routeMetrics are one route's series, looked up once (a label lookup
// hashes the label values on every call).
type routeMetrics struct {
	route   string
	byCode  map[int]prometheus.Counter
	latency prometheus.Observer
	m       *Metrics
}

// route makes route's request series, at zero, for every code it may
// answer.
func (m *Metrics) route(route string, codes ...int) *routeMetrics {
	rm := &routeMetrics{route: route, byCode: map[int]prometheus.Counter{}, latency: m.latency.WithLabelValues(route), m: m}
	for _, c := range slices.Concat(requestCodes, codes) {
		rm.byCode[c] = m.requests.WithLabelValues(route, strconv.Itoa(c))
	}
	return rm
}

// observe records one answered request; latency only when timed.
func (rm *routeMetrics) observe(code int, d time.Duration, timed bool) {
	c, ok := rm.byCode[code] // read-only after route
	if !ok {
		c = rm.m.requests.WithLabelValues(rm.route, strconv.Itoa(code))
	}
	c.Inc()
	if timed {
		rm.latency.Observe(d.Seconds())
	}
}

// ObserveBlockCommit records a block's proposal-to-apply latency.
func (m *Metrics) ObserveBlockCommit(d time.Duration) {
	if m != nil {
		m.blockCommit.Observe(d.Seconds())
	}
}
