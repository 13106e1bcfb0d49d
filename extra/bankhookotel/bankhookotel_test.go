package bankhookotel_test

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
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/bankhub"
	"github.com/bankhook/bankhook/bunq"
	"github.com/bankhook/bankhook/extra/bankhookotel"
	"github.com/bankhook/bankhook/hooktest/samples"
)

const (
	bunqSender    = "185.40.108.10:40122"
	bankhubSender = "34.87.150.47:51234"
	stranger      = "203.0.113.9:1234"
)

func deliver(h http.Handler, remote string, body []byte) int {
	r := httptest.NewRequest(http.MethodPost, "/hook?token=s3cret", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.RemoteAddr = remote
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code
}

// telemetry is an in-memory tracer and meter.
type telemetry struct {
	spans  *tracetest.SpanRecorder
	tp     *sdktrace.TracerProvider
	reader *sdkmetric.ManualReader
	mp     *sdkmetric.MeterProvider
}

func newTelemetry(t *testing.T, readers ...sdkmetric.Reader) *telemetry {
	t.Helper()
	tel := &telemetry{spans: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader()}
	tel.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tel.spans))
	opts := []sdkmetric.Option{sdkmetric.WithReader(tel.reader)}
	for _, r := range readers {
		opts = append(opts, sdkmetric.WithReader(r))
	}
	tel.mp = sdkmetric.NewMeterProvider(opts...)
	t.Cleanup(func() {
		_ = tel.tp.Shutdown(context.Background())
		_ = tel.mp.Shutdown(context.Background())
	})
	return tel
}

func (tel *telemetry) receiver(t *testing.T, name string) *bankhookotel.Receiver {
	t.Helper()
	r, err := bankhookotel.New(name, bankhookotel.Options{TracerProvider: tel.tp, MeterProvider: tel.mp})
	require.NoError(t, err)
	return r
}

// spanAttrs returns the attributes of the spans named name, in the order
// they ended.
func spanAttrs(tel *telemetry, name string) []map[attribute.Key]attribute.Value {
	var out []map[attribute.Key]attribute.Value
	for _, s := range tel.spans.Ended() {
		if s.Name() != name {
			continue
		}
		m := map[attribute.Key]attribute.Value{}
		for _, kv := range s.Attributes() {
			m[kv.Key] = kv.Value
		}
		out = append(out, m)
	}
	return out
}

func TestSpansOfRealReceivers(t *testing.T) {
	tel := newTelemetry(t)
	m := tel.receiver(t, "bunq")
	var handlerSpan trace.SpanContext
	cfg := bunq.Config{Handler: func(ctx context.Context, _ *bunq.Notification) error {
		// The handler's own work joins the delivery's trace.
		_, span := tel.tp.Tracer("ledger").Start(ctx, "book payment")
		handlerSpan = span.SpanContext()
		span.End()
		return nil
	}}
	cfg.Tokens = []string{"s3cret"}
	cfg.Observer = m
	cfg.Middleware = []bankhook.Middleware{m.Middleware}
	h, err := bunq.NewReceiver(cfg)
	require.NoError(t, err)

	body, _ := samples.Bunq("MUTATION")
	require.Equal(t, http.StatusOK, deliver(h, bunqSender, body))
	require.Equal(t, http.StatusOK, deliver(h, bunqSender, body))
	require.Equal(t, http.StatusForbidden, deliver(h, stranger, body))

	ended := tel.spans.Ended()
	require.Len(t, ended, 4, "three deliveries and the handler's span")
	book, first := ended[0], ended[1]
	assert.Equal(t, "book payment", book.Name())
	assert.Equal(t, "bankhook bunq", first.Name())
	assert.Equal(t, trace.SpanKindServer, first.SpanKind())
	assert.Equal(t, first.SpanContext().TraceID(), handlerSpan.TraceID(), "the handler's span is in the delivery's trace")
	assert.Equal(t, first.SpanContext().SpanID(), book.Parent().SpanID(), "and its child")

	key := "bunq:MUTATION:MUTATION_CREATED:Payment:2938471@2025-03-14T09:12:44.11823Z"
	attrs := spanAttrs(tel, "bankhook bunq")
	require.Len(t, attrs, 3)
	for i, want := range []map[attribute.Key]any{
		{"bankhook.receiver": "bunq", "http.request.method": "POST", "url.path": "/hook", "http.response.status_code": int64(200),
			"bankhook.replayed": false, "bankhook.idempotency_key": key, "client.address": "185.40.108.10"},
		{"http.response.status_code": int64(200), "bankhook.replayed": true, "bankhook.idempotency_key": key},
		{"http.response.status_code": int64(403), "bankhook.reason": "ip_denied", "client.address": "203.0.113.9"},
	} {
		for k, v := range want {
			assert.Equal(t, v, attrs[i][k].AsInterface(), "span %d: %s", i, k)
		}
	}
	assert.NotContains(t, attrs[2], attribute.Key("bankhook.idempotency_key"), "rejected before decoding")
	for _, a := range attrs {
		assert.NotContains(t, a["url.path"].AsString(), "s3cret", "the query string is never recorded")
	}
}

func TestSpanOfAFailure(t *testing.T) {
	tel := newTelemetry(t)
	m := tel.receiver(t, "bankhub")
	cfg := bankhub.Config{Handler: func(context.Context, *bankhub.Webhook) error { return errors.New("ledger down") }}
	cfg.Observer = m
	cfg.Middleware = []bankhook.Middleware{m.Middleware}
	h, err := bankhub.NewReceiver(cfg)
	require.NoError(t, err)
	body, _ := samples.Bankhub("GRANT_ERROR")
	require.Equal(t, http.StatusInternalServerError, deliver(h, bankhubSender, body))

	ended := tel.spans.Ended()
	require.Len(t, ended, 1)
	assert.Equal(t, codes.Error, ended[0].Status().Code)
	assert.Equal(t, "handler_failed", ended[0].Status().Description)
	require.Len(t, ended[0].Events(), 1)
	assert.Equal(t, "exception", ended[0].Events()[0].Name)
	assert.Equal(t, "handler_failed", spanAttrs(tel, "bankhook bankhub")[0]["bankhook.reason"].AsString())
	assert.NotEmpty(t, spanAttrs(tel, "bankhook bankhub")[0]["bankhook.idempotency_key"].AsString(), "known once decoded")
}

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

// sums returns the data points of the counter or up-down counter named
// name, keyed by their attributes.
func sums(t *testing.T, rm metricdata.ResourceMetrics, name string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			sum, ok := m.Data.(metricdata.Sum[int64])
			require.True(t, ok, "%s is a sum", name)
			for _, dp := range sum.DataPoints {
				out[dp.Attributes.Encoded(attribute.DefaultEncoder())] += dp.Value
			}
		}
	}
	return out
}

func TestMetrics(t *testing.T) {
	tel := newTelemetry(t)
	m := tel.receiver(t, "bankhub")
	cfg := bankhub.Config{Handler: func(context.Context, *bankhub.Webhook) error { return nil }}
	cfg.Observer = m
	cfg.Middleware = []bankhook.Middleware{m.Middleware}
	cfg.Dedupe.Store = failingStore{} // fails open: handled, counted
	cfg.Logger = slog.New(slog.DiscardHandler)
	h, err := bankhub.NewReceiver(cfg)
	require.NoError(t, err)
	body, _ := samples.Bankhub("GRANT_ERROR")
	require.Equal(t, http.StatusOK, deliver(h, bankhubSender, body))
	require.Equal(t, http.StatusForbidden, deliver(h, stranger, body))

	var rm metricdata.ResourceMetrics
	require.NoError(t, tel.reader.Collect(context.Background(), &rm))
	assert.Equal(t, map[string]int64{
		"reason=,receiver=bankhub,status=200":          1,
		"reason=ip_denied,receiver=bankhub,status=403": 1,
	}, sums(t, rm, "bankhook.requests"))
	assert.Equal(t, map[string]int64{"outcome=handled,receiver=bankhub": 1}, sums(t, rm, "bankhook.events"))
	assert.Equal(t, map[string]int64{"receiver=bankhub": 1}, sums(t, rm, "bankhook.store.errors"), "the reserve failed; the handler ran without dedupe")
	assert.Equal(t, map[string]int64{"receiver=bankhub": 0}, sums(t, rm, "bankhook.requests.in_flight"), "both finished")

	var found bool
	for _, sm := range rm.ScopeMetrics {
		for _, metric := range sm.Metrics {
			if metric.Name != "bankhook.request.duration" {
				continue
			}
			found = true
			assert.Equal(t, "s", metric.Unit)
			hist := metric.Data.(metricdata.Histogram[float64])
			require.Len(t, hist.DataPoints, 2, "handled and rejected")
			assert.Equal(t, bankhookotel.DefaultBuckets, hist.DataPoints[0].Bounds, "reaching past bankHub's 30 s")
		}
	}
	assert.True(t, found)
}

// TestPrometheusNames checks that OpenTelemetry's Prometheus exporter
// writes the metrics under bankhookprom's names and labels.
func TestPrometheusNames(t *testing.T) {
	reg := prometheus.NewRegistry()
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithoutScopeInfo(), otelprom.WithoutTargetInfo())
	require.NoError(t, err)
	tel := newTelemetry(t, exporter)
	m := tel.receiver(t, "bunq")
	cfg := bunq.Config{Handler: func(context.Context, *bunq.Notification) error { return nil }}
	cfg.Observer = m
	cfg.Middleware = []bankhook.Middleware{m.Middleware}
	h, err := bunq.NewReceiver(cfg)
	require.NoError(t, err)
	body, _ := samples.Bunq("MUTATION")
	require.Equal(t, http.StatusOK, deliver(h, bunqSender, body))
	require.Equal(t, http.StatusForbidden, deliver(h, stranger, body))
	m.StoreFailed(httptest.NewRequest(http.MethodPost, "/", nil), bankhook.StoreFailure{Op: "reserve", Err: errDown})

	families, err := reg.Gather()
	require.NoError(t, err)
	names := map[string][]string{}
	for _, f := range families {
		for _, l := range f.GetMetric()[0].GetLabel() {
			names[f.GetName()] = append(names[f.GetName()], l.GetName())
		}
	}
	assert.Equal(t, map[string][]string{
		"bankhook_requests_total":           {"reason", "receiver", "status"},
		"bankhook_events_total":             {"outcome", "receiver"},
		"bankhook_request_duration_seconds": {"outcome", "receiver"},
		"bankhook_store_errors_total":       {"receiver"},
		"bankhook_requests_in_flight":       {"receiver"},
	}, names)
	const want = `
# HELP bankhook_requests_total Requests answered by a bankhook receiver, by status and rejection reason (empty for an acknowledged event).
# TYPE bankhook_requests_total counter
bankhook_requests_total{reason="",receiver="bunq",status="200"} 1
bankhook_requests_total{reason="ip_denied",receiver="bunq",status="403"} 1
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(want), "bankhook_requests_total"))
}

func TestNew(t *testing.T) {
	_, err := bankhookotel.New("", bankhookotel.Options{})
	assert.Error(t, err)
	r, err := bankhookotel.New("bunq", bankhookotel.Options{}) // the global, no-op providers
	require.NoError(t, err)
	// With no-op providers nothing is recorded, and nothing breaks.
	h := r.Middleware(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.Rejected(req, bankhook.Rejection{Status: 503, Reason: bankhook.ReasonTimeout, Err: errDown})
	}))
	assert.NotPanics(t, func() { h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/", nil)) })
}
