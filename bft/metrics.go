package bft

import (
	"errors"
	"sync"
	"sync/atomic"

	bftmetrics "github.com/hyperledger-labs/SmartBFT/pkg/metrics"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the engine's metrics on a node's Prometheus registry:
// SmartBFT's own as veil_bft_<name> (veil_bft_view_number,
// veil_bft_pool_count_of_elements, …) and veil's: veil_bft_view,
// veil_bft_view_changes_total, veil_bft_leader_changes_total, veil_bft_f,
// veil_bft_dropped_total{dir}, veil_bft_sync_refused_total. They outlive
// an engine: a node whose engine stops and starts again (a validator
// removed and re-added) keeps counting on the same series.
type Metrics struct {
	reg prometheus.Registerer

	view          atomic.Uint64
	viewChanges   atomic.Uint64
	leaderChanges atomic.Uint64
	f             atomic.Int64
	droppedOut    atomic.Uint64
	droppedIn     atomic.Uint64
	syncRefused   atomic.Uint64

	// onView is the running engine's hook: it logs and counts leaders.
	onView atomic.Pointer[func(old, cur uint64)]

	mu   sync.Mutex
	seen map[string]prometheus.Collector
}

// NewMetrics registers the engine's metrics on reg (nil: a registry of
// its own, unexported).
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m := &Metrics{reg: reg, seen: map[string]prometheus.Collector{}}
	fn := func(name, help string, typ prometheus.ValueType, f func() float64) prometheus.Collector {
		if typ == prometheus.CounterValue {
			return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, f)
		}
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f)
	}
	cs := []prometheus.Collector{
		fn("veil_bft_view", "The BFT view this node is in.", prometheus.GaugeValue, func() float64 { return float64(m.view.Load()) }),
		fn("veil_bft_view_changes_total", "Views this node moved to after the first (a leader that failed, stalled or censored).", prometheus.CounterValue, func() float64 { return float64(m.viewChanges.Load()) }),
		fn("veil_bft_leader_changes_total", "Leaders this node saw take office, the first included.", prometheus.CounterValue, func() float64 { return float64(m.leaderChanges.Load()) }),
		fn("veil_bft_f", "Faulty validators the validator set tolerates: ⌊(n−1)/3⌋.", prometheus.GaugeValue, func() float64 { return float64(m.f.Load()) }),
		fn("veil_bft_sync_refused_total", "Certified block sync replies refused: a block or its commit certificate did not check out.", prometheus.CounterValue, func() float64 { return float64(m.syncRefused.Load()) }),
		&droppedCollector{m: m, desc: prometheus.NewDesc("veil_bft_dropped_total", "Consensus messages dropped on a full queue, by direction (out: to a peer; in: to the engine).", []string{"dir"}, nil)},
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

type droppedCollector struct {
	m    *Metrics
	desc *prometheus.Desc
}

func (d *droppedCollector) Describe(ch chan<- *prometheus.Desc) { ch <- d.desc }

func (d *droppedCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(d.desc, prometheus.CounterValue, float64(d.m.droppedOut.Load()), "out")
	ch <- prometheus.MustNewConstMetric(d.desc, prometheus.CounterValue, float64(d.m.droppedIn.Load()), "in")
}

// View is the view this node is in; ViewChanges and LeaderChanges count
// as the metrics do.
func (m *Metrics) View() uint64          { return m.view.Load() }
func (m *Metrics) ViewChanges() uint64   { return m.viewChanges.Load() }
func (m *Metrics) LeaderChanges() uint64 { return m.leaderChanges.Load() }

// Dropped counts the messages dropped on full queues, out and in.
func (m *Metrics) Dropped() (out, in uint64) { return m.droppedOut.Load(), m.droppedIn.Load() }

// SetValidators sets veil_bft_f for a set of n validators: the node
// calls it as chain state changes, engine or not (an observer's too).
func (m *Metrics) SetValidators(n int) {
	_, f := Quorum(n)
	m.f.Store(int64(f))
}

// SyncRefused counts the certified block sync replies refused.
func (m *Metrics) SyncRefused() uint64 { return m.syncRefused.Load() }

// register registers c under name once; a second engine gets the first's.
func (m *Metrics) register(name string, c prometheus.Collector) prometheus.Collector {
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.seen[name]; ok {
		return old
	}
	if err := m.reg.Register(c); err != nil {
		if are := (prometheus.AlreadyRegisteredError{}); errors.As(err, &are) {
			c = are.ExistingCollector
		}
	}
	m.seen[name] = c
	return c
}

// provider is SmartBFT's metrics.Provider over the registry; it also
// watches the view and leader gauges SmartBFT sets at every view start.
type provider struct{ m *Metrics }

const prefix = "veil_bft_"

func (p provider) NewCounter(o bftmetrics.CounterOpts) bftmetrics.Counter {
	name := prefix + o.Name
	v := p.m.register(name, prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: o.Help}, o.LabelNames)).(*prometheus.CounterVec)
	return counter{v: v}
}

func (p provider) NewGauge(o bftmetrics.GaugeOpts) bftmetrics.Gauge {
	name := prefix + o.Name
	v := p.m.register(name, prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: o.Help}, o.LabelNames)).(*prometheus.GaugeVec)
	g := gauge{v: v}
	// view_leader_id is not watched: SmartBFT sets it as a float64,
	// which cannot hold a 64-bit id; the leader follows from the view.
	if o.Name == "view_number" {
		g.watch = p.m.setView
	}
	return g
}

func (p provider) NewHistogram(o bftmetrics.HistogramOpts) bftmetrics.Histogram {
	name := prefix + o.Name
	v := p.m.register(name, prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: o.Help, Buckets: o.Buckets}, o.LabelNames)).(*prometheus.HistogramVec)
	return histogram{v: v}
}

func (m *Metrics) setView(v float64) {
	cur := uint64(v)
	old := m.view.Swap(cur)
	if cur > old {
		m.viewChanges.Add(1)
	}
	if fn := m.onView.Load(); fn != nil {
		(*fn)(old, cur)
	}
}

type counter struct {
	v      *prometheus.CounterVec
	labels []string
}

func (c counter) With(lv ...string) bftmetrics.Counter {
	return counter{v: c.v, labels: append(append([]string(nil), c.labels...), lv...)}
}

func (c counter) Add(d float64) {
	if m, err := c.v.GetMetricWithLabelValues(c.labels...); err == nil {
		m.Add(d)
	}
}

type gauge struct {
	v      *prometheus.GaugeVec
	labels []string
	watch  func(float64)
}

func (g gauge) With(lv ...string) bftmetrics.Gauge {
	return gauge{v: g.v, labels: append(append([]string(nil), g.labels...), lv...), watch: g.watch}
}

func (g gauge) Add(d float64) {
	if m, err := g.v.GetMetricWithLabelValues(g.labels...); err == nil {
		m.Add(d)
	}
}

func (g gauge) Set(x float64) {
	if m, err := g.v.GetMetricWithLabelValues(g.labels...); err == nil {
		m.Set(x)
	}
	if g.watch != nil {
		g.watch(x)
	}
}

type histogram struct {
	v      *prometheus.HistogramVec
	labels []string
}

func (h histogram) With(lv ...string) bftmetrics.Histogram {
	return histogram{v: h.v, labels: append(append([]string(nil), h.labels...), lv...)}
}

func (h histogram) Observe(x float64) {
	if m, err := h.v.GetMetricWithLabelValues(h.labels...); err == nil {
		m.Observe(x)
	}
}
