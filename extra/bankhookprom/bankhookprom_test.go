package bankhookprom_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/bankhub"
	"github.com/bankhook/bankhook/bunq"
	"github.com/bankhook/bankhook/extra/bankhookprom"
	"github.com/bankhook/bankhook/hooktest/samples"
)

const (
	bunqSender    = "185.40.108.10:40122"
	bankhubSender = "34.87.150.47:51234"
	stranger      = "203.0.113.9:1234"
)

func deliver(h http.Handler, remote string, body []byte) int {
	r := httptest.NewRequest(http.MethodPost, "/hook", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.RemoteAddr = remote
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code
}

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// failingStore is a dedupe store that is down.
type failingStore struct{}

var errDown = errors.New("store down")

func (failingStore) Reserve(context.Context, string, time.Duration) (bankhook.Reservation, error) {
	return bankhook.Reservation{}, errDown
}
func (failingStore) Complete(context.Context, string, string, int, time.Duration) error {
	return errDown
}
func (failingStore) Release(context.Context, string, string) error { return errDown }

// instrument wires m into o as the docs say.
func instrument(o *bankhook.ReceiverOptions, m *bankhookprom.Receiver) {
	o.Observer = m
	o.Middleware = []bankhook.Middleware{m.Middleware}
}

func TestMetricsOfRealReceivers(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	metrics, err := bankhookprom.New(reg, bankhookprom.Options{})
	require.NoError(t, err)

	failBankhub := true
	bunqCfg := bunq.Config{Handler: func(context.Context, *bunq.Notification) error { return nil }}
	instrument(&bunqCfg.ReceiverOptions, metrics.Receiver("bunq"))
	bunqCfg.RateLimit = bankhook.RateLimitOptions{Rate: 0.001, Burst: 3}
	bunqH, err := bunq.NewReceiver(bunqCfg)
	require.NoError(t, err)

	bankhubCfg := bankhub.Config{Handler: func(context.Context, *bankhub.Webhook) error {
		if failBankhub {
			return errors.New("ledger down")
		}
		return nil
	}}
	instrument(&bankhubCfg.ReceiverOptions, metrics.Receiver("bankhub"))
	bankhubCfg.Dedupe.Store = failingStore{} // fails open: handled, and counted
	bankhubCfg.Logger = quietLogger()
	bankhubH, err := bankhub.NewReceiver(bankhubCfg)
	require.NoError(t, err)

	mutation, _ := samples.Bunq("MUTATION")
	payment, _ := samples.Bunq("PAYMENT")
	grantError, _ := samples.Bankhub("GRANT_ERROR")

	assert.Equal(t, http.StatusOK, deliver(bunqH, bunqSender, mutation))
	assert.Equal(t, http.StatusOK, deliver(bunqH, bunqSender, mutation)) // replayed
	assert.Equal(t, http.StatusOK, deliver(bunqH, bunqSender, payment))  // third token
	assert.Equal(t, http.StatusTooManyRequests, deliver(bunqH, bunqSender, payment))
	assert.Equal(t, http.StatusForbidden, deliver(bunqH, stranger, mutation))
	assert.Equal(t, http.StatusForbidden, deliver(bunqH, stranger, mutation))
	assert.Equal(t, http.StatusInternalServerError, deliver(bankhubH, bankhubSender, grantError))
	failBankhub = false
	assert.Equal(t, http.StatusOK, deliver(bankhubH, bankhubSender, grantError))

	const want = `
# HELP bankhook_events_total Events acknowledged: handled for the first time, or replayed from the dedupe store.
# TYPE bankhook_events_total counter
bankhook_events_total{outcome="handled",receiver="bankhub"} 1
bankhook_events_total{outcome="handled",receiver="bunq"} 2
bankhook_events_total{outcome="replayed",receiver="bankhub"} 0
bankhook_events_total{outcome="replayed",receiver="bunq"} 1
# HELP bankhook_requests_in_flight Requests a bankhook receiver is serving now.
# TYPE bankhook_requests_in_flight gauge
bankhook_requests_in_flight{receiver="bankhub"} 0
bankhook_requests_in_flight{receiver="bunq"} 0
# HELP bankhook_requests_total Requests answered by a bankhook receiver, by status and rejection reason (empty for an acknowledged event).
# TYPE bankhook_requests_total counter
bankhook_requests_total{reason="",receiver="bankhub",status="200"} 1
bankhook_requests_total{reason="",receiver="bunq",status="200"} 3
bankhook_requests_total{reason="handler_failed",receiver="bankhub",status="500"} 1
bankhook_requests_total{reason="ip_denied",receiver="bunq",status="403"} 2
bankhook_requests_total{reason="rate_limited",receiver="bunq",status="429"} 1
# HELP bankhook_store_errors_total Failed calls to the dedupe store (reserve, complete, release), lost leases included.
# TYPE bankhook_store_errors_total counter
bankhook_store_errors_total{receiver="bankhub"} 2
bankhook_store_errors_total{receiver="bunq"} 0
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(want),
		"bankhook_requests_total", "bankhook_events_total", "bankhook_store_errors_total", "bankhook_requests_in_flight"))

	// Every request has a duration, under its outcome.
	for _, tc := range []struct {
		receiver, outcome string
		count             int
	}{
		{"bunq", "handled", 2}, {"bunq", "replayed", 1}, {"bunq", "rejected", 3},
		{"bankhub", "handled", 1}, {"bankhub", "replayed", 0}, {"bankhub", "rejected", 1},
	} {
		assert.Equal(t, tc.count, histogramCount(t, reg, tc.receiver, tc.outcome), "%s %s", tc.receiver, tc.outcome)
	}
	problems, err := testutil.GatherAndLint(reg)
	require.NoError(t, err)
	assert.Empty(t, problems, "the metrics follow Prometheus' naming conventions")
}

// histogramCount returns the sample count of the duration histogram of
// receiver and outcome.
func histogramCount(t *testing.T, reg prometheus.Gatherer, receiver, outcome string) int {
	t.Helper()
	families, err := reg.Gather()
	require.NoError(t, err)
	for _, f := range families {
		if f.GetName() != "bankhook_request_duration_seconds" {
			continue
		}
	metrics:
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if (l.GetName() == "receiver" && l.GetValue() != receiver) || (l.GetName() == "outcome" && l.GetValue() != outcome) {
					continue metrics
				}
			}
			return int(m.GetHistogram().GetSampleCount())
		}
	}
	t.Fatalf("no duration histogram for %s %s", receiver, outcome)
	return 0
}

func TestDurationBuckets(t *testing.T) {
	reg := prometheus.NewRegistry()
	metrics, err := bankhookprom.New(reg, bankhookprom.Options{})
	require.NoError(t, err)
	r := metrics.Receiver("bankhub")
	req := httptest.NewRequest(http.MethodPost, "/", nil)
	r.Handled(req, bankhook.Outcome{Status: 200, Elapsed: 26 * time.Second})    // past the handler deadline
	r.Handled(req, bankhook.Outcome{Status: 200, Elapsed: 31 * time.Second})    // past bankHub's timeout
	r.Rejected(req, bankhook.Rejection{Status: 503, Elapsed: 45 * time.Second}) // a slow failure

	families, err := reg.Gather()
	require.NoError(t, err)
	le := map[float64]uint64{}
	for _, f := range families {
		if f.GetName() == "bankhook_request_duration_seconds" {
			for _, m := range f.GetMetric() {
				for _, b := range m.GetHistogram().GetBucket() {
					le[b.GetUpperBound()] += b.GetCumulativeCount()
				}
			}
		}
	}
	assert.Equal(t, uint64(0), le[25], "none within the handler deadline")
	assert.Equal(t, uint64(1), le[30], "one within bankHub's 30 s")
	assert.Equal(t, uint64(3), le[60], "all within a minute: the buckets reach past 30 s")
}

func TestInFlight(t *testing.T) {
	reg := prometheus.NewRegistry()
	metrics, err := bankhookprom.New(reg, bankhookprom.Options{})
	require.NoError(t, err)
	m := metrics.Receiver("bunq")
	entered, release := make(chan struct{}), make(chan struct{})
	cfg := bunq.Config{Handler: func(context.Context, *bunq.Notification) error {
		entered <- struct{}{}
		<-release
		return nil
	}}
	instrument(&cfg.ReceiverOptions, m)
	h, err := bunq.NewReceiver(cfg)
	require.NoError(t, err)

	inFlight := func() float64 { return inFlightOf(t, reg, "bunq") }
	for _, name := range []string{"MUTATION", "PAYMENT"} {
		body, _ := samples.Bunq(name)
		go deliver(h, bunqSender, body)
		<-entered
	}
	assert.Equal(t, 2.0, inFlight())
	close(release)
	require.Eventually(t, func() bool { return inFlight() == 0 }, 10*time.Second, time.Millisecond)
}

// inFlightOf returns bankhook_requests_in_flight of receiver.
func inFlightOf(t *testing.T, reg prometheus.Gatherer, receiver string) float64 {
	t.Helper()
	families, err := reg.Gather()
	require.NoError(t, err)
	for _, f := range families {
		if f.GetName() != "bankhook_requests_in_flight" {
			continue
		}
		for _, m := range f.GetMetric() {
			if m.GetLabel()[0].GetValue() == receiver {
				return m.GetGauge().GetValue()
			}
		}
	}
	t.Fatalf("no in-flight gauge for %s", receiver)
	return 0
}

func TestNew(t *testing.T) {
	reg := prometheus.NewRegistry()
	_, err := bankhookprom.New(reg, bankhookprom.Options{})
	require.NoError(t, err)
	_, err = bankhookprom.New(reg, bankhookprom.Options{})
	var already prometheus.AlreadyRegisteredError
	assert.ErrorAs(t, err, &already, "registered twice on one registry")
	assert.ErrorContains(t, err, "bankhookprom: register")
	_, err = bankhookprom.New(nil, bankhookprom.Options{})
	assert.Error(t, err)

	m, err := bankhookprom.New(prometheus.NewRegistry(), bankhookprom.Options{ConstLabels: prometheus.Labels{"region": "eu"}})
	require.NoError(t, err)
	assert.Same(t, m.Receiver("bunq"), m.Receiver("bunq"), "one Receiver per name")
}

// TestDedupeEvictions exports the evictions of a real LRUStore behind a
// real receiver, and checks that the value is read at each scrape.
func TestDedupeEvictions(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	metrics, err := bankhookprom.New(reg, bankhookprom.Options{ConstLabels: prometheus.Labels{"region": "eu"}})
	require.NoError(t, err)
	m := metrics.Receiver("bunq")
	metrics.Receiver("bankhub") // no store evictions exported: no series

	store := bankhook.NewLRUStore(bankhook.LRUStoreOptions{Capacity: 1}) // each new event evicts the one before, within its TTL
	cfg := bunq.Config{Handler: func(context.Context, *bunq.Notification) error { return nil }}
	instrument(&cfg.ReceiverOptions, m)
	cfg.Dedupe.Store = store
	h, err := bunq.NewReceiver(cfg)
	require.NoError(t, err)
	m.DedupeEvictions(store.Evictions)

	const head = `
# HELP bankhook_dedupe_evictions_total Keys the dedupe store evicted before they expired, to make room: a retry of their event is handled again.
# TYPE bankhook_dedupe_evictions_total counter
`
	evictions := func(want string) {
		t.Helper()
		require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(head+want), "bankhook_dedupe_evictions_total"))
	}
	evictions(`bankhook_dedupe_evictions_total{receiver="bunq",region="eu"} 0` + "\n")

	mutation, _ := samples.Bunq("MUTATION")
	payment, _ := samples.Bunq("PAYMENT")
	for _, body := range [][]byte{mutation, payment, mutation} {
		require.Equal(t, http.StatusOK, deliver(h, bunqSender, body))
	}
	require.Equal(t, uint64(2), store.Evictions())
	evictions(`bankhook_dedupe_evictions_total{receiver="bunq",region="eu"} 2` + "\n")

	problems, err := testutil.GatherAndLint(reg, "bankhook_dedupe_evictions_total")
	require.NoError(t, err)
	assert.Empty(t, problems, "the metric follows Prometheus' naming conventions")

	t.Run("a later call replaces the count; nil removes it", func(t *testing.T) {
		m.DedupeEvictions(func() uint64 { return 7 })
		evictions(`bankhook_dedupe_evictions_total{receiver="bunq",region="eu"} 7` + "\n")
		m.DedupeEvictions(nil)
		require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(""), "bankhook_dedupe_evictions_total"))
	})

	t.Run("the count is called outside the package's locks", func(t *testing.T) {
		var count func() uint64
		count = func() uint64 {
			m.DedupeEvictions(count) // takes the lock that guards the counts
			return 3
		}
		m.DedupeEvictions(count)
		done := make(chan error, 1)
		go func() {
			done <- testutil.GatherAndCompare(reg, strings.NewReader(head+
				`bankhook_dedupe_evictions_total{receiver="bunq",region="eu"} 3`+"\n"), "bankhook_dedupe_evictions_total")
		}()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(10 * time.Second):
			t.Fatal("no scrape within 10 s: the count was called under a lock")
		}
	})
}
