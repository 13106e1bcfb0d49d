// Package bankhookprom reports what bankhook receivers do as Prometheus
// metrics. It is a module of its own, so that a service importing only
// bankhook never compiles Prometheus' client.
//
// The metrics, each labelled with the receiver's name:
//
//	bankhook_requests_total{receiver,status,reason}    counter: every answer; reason "" for an acknowledged event
//	bankhook_events_total{receiver,outcome}             counter: acknowledged events; outcome "handled" or "replayed"
//	bankhook_request_duration_seconds{receiver,outcome} histogram: time to answer; outcome "handled", "replayed" or "rejected"
//	bankhook_store_errors_total{receiver}               counter: failed calls to the dedupe store
//	bankhook_requests_in_flight{receiver}               gauge: requests being served (needs the Middleware)
//	bankhook_dedupe_evictions_total{receiver}           counter: dedupe keys evicted before they expired (needs Receiver.DedupeEvictions)
//
// Every label has few values: the idempotency key, the sender's address
// and the path are never labels.
//
// Wire one [Receiver] into each receiver as its Observer (beside the
// logs) and its outermost Middleware:
//
//	metrics, err := bankhookprom.New(prometheus.DefaultRegisterer, bankhookprom.Options{})
//	m := metrics.Receiver("bunq")
//	cfg := bunq.Config{Handler: handle}
//	cfg.Observer = bankhook.MultiObserver(bankhook.NewSlogObserver(bankhook.SlogObserverOptions{}), m)
//	cfg.Middleware = []bankhook.Middleware{m.Middleware}
//
// With an in-memory dedupe store, also export its early evictions (a
// key evicted before it expired is an event a retry would run again):
//
//	store := bankhook.NewLRUStore(bankhook.LRUStoreOptions{})
//	cfg.Dedupe.Store = store
//	m.DedupeEvictions(store.Evictions)
package bankhookprom

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bankhook/bankhook"
)

// DefaultBuckets are the request duration histogram's upper bounds, in
// seconds. They reach past bankHub's 30 s timeout (a slower answer counts
// as a failed delivery) and mark bankhook's 25 s handler deadline.
var DefaultBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 30, 60}

// Outcomes, the values of the outcome label.
const (
	OutcomeHandled  = "handled"  // the handler ran and the event was acknowledged
	OutcomeReplayed = "replayed" // a duplicate, answered from the dedupe store
	OutcomeRejected = "rejected" // any answer that is not an acknowledgement
)

// Options configures [New]. The zero value is ready to use.
type Options struct {
	// Buckets are the duration histogram's upper bounds in seconds.
	// Default DefaultBuckets.
	Buckets []float64
	// ConstLabels are added to every metric, e.g. the deployment's
	// region. Default none.
	ConstLabels prometheus.Labels
}

// Metrics holds bankhook's collectors, registered once; [Metrics.Receiver]
// gives the Observer and Middleware of each receiver.
//
// A Metrics is safe for concurrent use. The zero value is not usable; use
// [New].
type Metrics struct {
	requests    *prometheus.CounterVec
	events      *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	storeErrors *prometheus.CounterVec
	inFlight    *prometheus.GaugeVec
	evictions   *evictionsCollector

	mu        sync.Mutex // guards receivers
	receivers map[string]*Receiver
}

// New creates bankhook's collectors and registers them on reg. The error
// is reg's, for example when they are already registered there.
func New(reg prometheus.Registerer, o Options) (*Metrics, error) {
	if reg == nil {
		return nil, errors.New("bankhookprom: New needs a Registerer")
	}
	buckets := o.Buckets
	if buckets == nil {
		buckets = DefaultBuckets
	}
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name:        "bankhook_requests_total",
			Help:        "Requests answered by a bankhook receiver, by status and rejection reason (empty for an acknowledged event).",
			ConstLabels: o.ConstLabels,
		}, []string{"receiver", "status", "reason"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name:        "bankhook_events_total",
			Help:        "Events acknowledged: handled for the first time, or replayed from the dedupe store.",
			ConstLabels: o.ConstLabels,
		}, []string{"receiver", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:        "bankhook_request_duration_seconds",
			Help:        "Time from a request's arrival to its answer, by outcome (handled, replayed, rejected).",
			Buckets:     buckets,
			ConstLabels: o.ConstLabels,
		}, []string{"receiver", "outcome"}),
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name:        "bankhook_store_errors_total",
			Help:        "Failed calls to the dedupe store (reserve, complete, release), lost leases included.",
			ConstLabels: o.ConstLabels,
		}, []string{"receiver"}),
		inFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name:        "bankhook_requests_in_flight",
			Help:        "Requests a bankhook receiver is serving now.",
			ConstLabels: o.ConstLabels,
		}, []string{"receiver"}),
		evictions: &evictionsCollector{
			desc: prometheus.NewDesc("bankhook_dedupe_evictions_total",
				"Keys the dedupe store evicted before they expired, to make room: a retry of their event is handled again.",
				[]string{"receiver"}, o.ConstLabels),
			counts: make(map[string]func() uint64),
		},
		receivers: make(map[string]*Receiver),
	}
	for _, c := range []prometheus.Collector{m.requests, m.events, m.duration, m.storeErrors, m.inFlight, m.evictions} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("bankhookprom: register: %w", err)
		}
	}
	return m, nil
}

// Receiver returns the metrics of the receiver called name (the value of
// the receiver label, such as "bunq" or "bankhub"): the same *Receiver
// for the same name. Its counters start at zero, so that an alert on
// their rate sees them before the first request.
func (m *Metrics) Receiver(name string) *Receiver {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r, ok := m.receivers[name]; ok {
		return r
	}
	r := &Receiver{
		name:        name,
		requestsVec: m.requests,
		handled:     m.events.WithLabelValues(name, OutcomeHandled),
		replayed:    m.events.WithLabelValues(name, OutcomeReplayed),
		durHandled:  m.duration.WithLabelValues(name, OutcomeHandled),
		durReplayed: m.duration.WithLabelValues(name, OutcomeReplayed),
		durRejected: m.duration.WithLabelValues(name, OutcomeRejected),
		storeErrors: m.storeErrors.WithLabelValues(name),
		inFlight:    m.inFlight.WithLabelValues(name),
		evictions:   m.evictions,
		byLabels:    make(map[requestLabels]prometheus.Counter),
	}
	m.receivers[name] = r
	return r
}

// Receiver is the metrics of one receiver: a [bankhook.Observer]
// (StoreFailed included) counting what the receiver answers, and
// [Receiver.Middleware] keeping the gauge of requests in flight.
//
// A Receiver is safe for concurrent use. The zero value is not usable;
// use [Metrics.Receiver].
type Receiver struct {
	name                                 string
	requestsVec                          *prometheus.CounterVec
	handled, replayed                    prometheus.Counter
	durHandled, durReplayed, durRejected prometheus.Observer
	storeErrors                          prometheus.Counter
	inFlight                             prometheus.Gauge
	evictions                            *evictionsCollector

	mu       sync.RWMutex // guards byLabels
	byLabels map[requestLabels]prometheus.Counter
}

// requestLabels are the labels of bankhook_requests_total besides the
// receiver's name. Their values come from code (reasons) and from the
// statuses answered (at most 900), so the map of counters stays small.
type requestLabels struct {
	status int
	reason bankhook.Reason
}

var (
	_ bankhook.Observer = (*Receiver)(nil)
	_ interface {
		StoreFailed(*http.Request, bankhook.StoreFailure)
	} = (*Receiver)(nil)
)

// requests returns the counter of one status and reason, without the
// allocations of CounterVec.WithLabelValues once it exists.
func (r *Receiver) requests(status int, reason bankhook.Reason) prometheus.Counter {
	k := requestLabels{status, reason}
	r.mu.RLock()
	c, ok := r.byLabels[k]
	r.mu.RUnlock()
	if ok {
		return c
	}
	c = r.requestsVec.WithLabelValues(r.name, strconv.Itoa(status), string(reason))
	r.mu.Lock()
	r.byLabels[k] = c
	r.mu.Unlock()
	return c
}

// Rejected counts a rejection and its duration. It implements
// bankhook.Observer.
func (r *Receiver) Rejected(_ *http.Request, rej bankhook.Rejection) {
	r.requests(rej.Status, rej.Reason).Inc()
	r.durRejected.Observe(rej.Elapsed.Seconds())
}

// Handled counts an acknowledged event and its duration. It implements
// bankhook.Observer.
func (r *Receiver) Handled(_ *http.Request, o bankhook.Outcome) {
	r.requests(o.Status, "").Inc()
	if o.Replayed {
		r.replayed.Inc()
		r.durReplayed.Observe(o.Elapsed.Seconds())
		return
	}
	r.handled.Inc()
	r.durHandled.Observe(o.Elapsed.Seconds())
}

// StoreFailed counts a failed call to the dedupe store: the optional
// method of a bankhook.Observer.
func (r *Receiver) StoreFailed(*http.Request, bankhook.StoreFailure) {
	r.storeErrors.Inc()
}

// Middleware keeps bankhook_requests_in_flight: put it outermost, in
// ReceiverOptions.Middleware. Without it the gauge stays at zero; the
// other metrics need only the Observer.
func (r *Receiver) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.inFlight.Inc()
		defer r.inFlight.Dec()
		next.ServeHTTP(w, req)
	})
}

// DedupeEvictions exports count as bankhook_dedupe_evictions_total of the
// receiver: the number of keys its dedupe store evicted before they
// expired, such as [bankhook.LRUStore.Evictions]:
//
//	m.DedupeEvictions(store.Evictions)
//
// count is called at every scrape, outside any lock of this package, and
// possibly from several scrapes at once; it must be safe for concurrent
// use and should not decrease (Prometheus reads a decrease as a counter
// reset). Until DedupeEvictions is called the receiver has no such
// series, as a store without evictions (Redis) has nothing to report. A
// later call replaces count, for example when the receiver gets a new
// store; nil removes the series.
func (r *Receiver) DedupeEvictions(count func() uint64) {
	r.evictions.set(r.name, count)
}

// evictionsCollector is bankhook_dedupe_evictions_total: a counter per
// receiver whose value is read from its store at scrape time.
type evictionsCollector struct {
	desc *prometheus.Desc

	mu     sync.Mutex               // guards counts
	counts map[string]func() uint64 // by receiver name
}

func (c *evictionsCollector) set(receiver string, count func() uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if count == nil {
		delete(c.counts, receiver)
		return
	}
	c.counts[receiver] = count
}

// Describe implements prometheus.Collector.
func (c *evictionsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector. It calls the counts after
// releasing c.mu: they are the user's code.
func (c *evictionsCollector) Collect(ch chan<- prometheus.Metric) {
	type named struct {
		receiver string
		count    func() uint64
	}
	c.mu.Lock()
	counts := make([]named, 0, len(c.counts))
	for receiver, count := range c.counts {
		counts = append(counts, named{receiver, count})
	}
	c.mu.Unlock()
	for _, n := range counts {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.CounterValue, float64(n.count()), n.receiver)
	}
}
