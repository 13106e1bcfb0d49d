// Package bankhookotel traces and measures bankhook receivers with
// OpenTelemetry. It is a module of its own, so that a service importing
// only bankhook never compiles OpenTelemetry.
//
// A [Receiver] is a [bankhook.Middleware] that starts one span per
// delivery and hands it on in the request's context, so that the
// handler's own calls (a database, an HTTP client) join the trace; and a
// [bankhook.Observer] that records on that span what the receiver
// decided — status, reason, idempotency key, replayed — and counts it
// through an OpenTelemetry meter. Wire it into each receiver both ways:
//
//	m, err := bankhookotel.New("bunq", bankhookotel.Options{})
//	cfg := bunq.Config{Handler: handle}
//	cfg.Observer = bankhook.MultiObserver(bankhook.NewSlogObserver(bankhook.SlogObserverOptions{}), m)
//	cfg.Middleware = []bankhook.Middleware{m.Middleware}
//
// The span, named "bankhook RECEIVER" (kind server), carries
// bankhook.receiver, http.request.method, url.path, client.address,
// http.response.status_code, bankhook.reason (for a rejection),
// bankhook.idempotency_key (once known) and bankhook.replayed; a 5xx
// answer sets its status to Error. A trace context sent in the request's
// headers is not followed: a delivery comes from a bank, and a sender
// must not be able to attach its spans to your traces.
//
// The metrics are those of bankhookprom, named after OpenTelemetry's
// conventions, with the same attributes (receiver, status, reason,
// outcome); OpenTelemetry's Prometheus exporter writes them under the
// same names:
//
//	bankhook.requests           counter   → bankhook_requests_total
//	bankhook.events             counter   → bankhook_events_total
//	bankhook.request.duration   histogram → bankhook_request_duration_seconds
//	bankhook.store.errors       counter   → bankhook_store_errors_total
//	bankhook.requests.in_flight up-down   → bankhook_requests_in_flight
package bankhookotel

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/bankhook/bankhook"
)

// ScopeName is the instrumentation scope of the tracer and meter.
const ScopeName = "github.com/bankhook/bankhook/extra/bankhookotel"

// DefaultBuckets are the duration histogram's bucket boundaries, in
// seconds: they reach past bankHub's 30 s timeout and mark bankhook's 25 s
// handler deadline, as bankhookprom's do.
var DefaultBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 30, 60}

// Outcomes, the values of the outcome attribute.
const (
	OutcomeHandled  = "handled"  // the handler ran and the event was acknowledged
	OutcomeReplayed = "replayed" // a duplicate, answered from the dedupe store
	OutcomeRejected = "rejected" // any answer that is not an acknowledgement
)

// Span attribute keys bankhook sets besides OpenTelemetry's HTTP ones.
const (
	AttrReceiver       = attribute.Key("bankhook.receiver")
	AttrReason         = attribute.Key("bankhook.reason")
	AttrIdempotencyKey = attribute.Key("bankhook.idempotency_key")
	AttrReplayed       = attribute.Key("bankhook.replayed")
)

// Options configures [New]. The zero value uses the global providers.
type Options struct {
	// TracerProvider creates the spans. Default otel.GetTracerProvider().
	TracerProvider trace.TracerProvider
	// MeterProvider creates the instruments. Default
	// otel.GetMeterProvider().
	MeterProvider metric.MeterProvider
	// Buckets are the duration histogram's bucket boundaries in seconds.
	// Default DefaultBuckets.
	Buckets []float64
}

// Receiver traces and measures one receiver: see the package
// documentation for how to wire it.
//
// A Receiver is safe for concurrent use. The zero value is not usable;
// use [New].
type Receiver struct {
	name     string
	spanName string
	tracer   trace.Tracer

	requests    metric.Int64Counter
	events      metric.Int64Counter
	duration    metric.Float64Histogram
	storeErrors metric.Int64Counter
	inFlight    metric.Int64UpDownCounter

	// Attribute sets built once: the receiver's, and per outcome.
	receiverSet                      metric.MeasurementOption
	handled, replayed                metric.MeasurementOption
	durHandled, durReplayed, durRejd metric.MeasurementOption
}

var (
	_ bankhook.Observer = (*Receiver)(nil)
	_ interface {
		StoreFailed(*http.Request, bankhook.StoreFailure)
	} = (*Receiver)(nil)
)

// New returns the instrumentation of the receiver called name (the
// receiver attribute, such as "bunq" or "bankhub").
func New(name string, o Options) (*Receiver, error) {
	if name == "" {
		return nil, errors.New("bankhookotel: New needs the receiver's name")
	}
	if o.TracerProvider == nil {
		o.TracerProvider = otel.GetTracerProvider()
	}
	if o.MeterProvider == nil {
		o.MeterProvider = otel.GetMeterProvider()
	}
	if o.Buckets == nil {
		o.Buckets = DefaultBuckets
	}
	meter := o.MeterProvider.Meter(ScopeName)
	r := &Receiver{
		name:     name,
		spanName: "bankhook " + name,
		tracer:   o.TracerProvider.Tracer(ScopeName),
	}
	var errs []error
	add := func(err error) { errs = append(errs, err) }
	var err error
	r.requests, err = meter.Int64Counter("bankhook.requests", metric.WithUnit("{request}"),
		metric.WithDescription("Requests answered by a bankhook receiver, by status and rejection reason (empty for an acknowledged event)."))
	add(err)
	r.events, err = meter.Int64Counter("bankhook.events", metric.WithUnit("{event}"),
		metric.WithDescription("Events acknowledged: handled for the first time, or replayed from the dedupe store."))
	add(err)
	r.duration, err = meter.Float64Histogram("bankhook.request.duration", metric.WithUnit("s"),
		metric.WithDescription("Time from a request's arrival to its answer, by outcome (handled, replayed, rejected)."),
		metric.WithExplicitBucketBoundaries(o.Buckets...))
	add(err)
	r.storeErrors, err = meter.Int64Counter("bankhook.store.errors", metric.WithUnit("{error}"),
		metric.WithDescription("Failed calls to the dedupe store (reserve, complete, release), lost leases included."))
	add(err)
	r.inFlight, err = meter.Int64UpDownCounter("bankhook.requests.in_flight", metric.WithUnit("{request}"),
		metric.WithDescription("Requests a bankhook receiver is serving now."))
	add(err)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("bankhookotel: instruments: %w", err)
	}

	recv := attribute.String("receiver", name)
	outcome := func(o string) metric.MeasurementOption {
		return metric.WithAttributeSet(attribute.NewSet(recv, attribute.String("outcome", o)))
	}
	r.receiverSet = metric.WithAttributeSet(attribute.NewSet(recv))
	r.handled, r.replayed = outcome(OutcomeHandled), outcome(OutcomeReplayed)
	r.durHandled, r.durReplayed, r.durRejd = r.handled, r.replayed, outcome(OutcomeRejected)
	return r, nil
}

// Middleware starts the delivery's span and keeps the gauge of requests
// in flight: put it outermost, in ReceiverOptions.Middleware. The request
// handed on carries the span in its context.
func (r *Receiver) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		ctx, span := r.tracer.Start(req.Context(), r.spanName,
			trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(
				AttrReceiver.String(r.name),
				attribute.String("http.request.method", req.Method),
				attribute.String("url.path", req.URL.Path),
			))
		defer span.End()
		r.inFlight.Add(ctx, 1, r.receiverSet)
		defer r.inFlight.Add(context.WithoutCancel(ctx), -1, r.receiverSet)
		next.ServeHTTP(w, req.WithContext(ctx))
	})
}

// Rejected records the rejection on the request's span and counts it. It
// implements bankhook.Observer.
func (r *Receiver) Rejected(req *http.Request, rej bankhook.Rejection) {
	ctx := req.Context()
	span := trace.SpanFromContext(ctx)
	if span.IsRecording() {
		span.SetAttributes(
			attribute.Int("http.response.status_code", rej.Status),
			AttrReason.String(string(rej.Reason)),
		)
		r.describe(span, req)
		if rej.Status >= 500 {
			span.SetStatus(codes.Error, string(rej.Reason))
			if rej.Err != nil {
				span.RecordError(rej.Err)
			}
		}
	}
	r.requests.Add(ctx, 1, metric.WithAttributes(
		attribute.String("receiver", r.name),
		attribute.Int("status", rej.Status),
		attribute.String("reason", string(rej.Reason)),
	))
	r.duration.Record(ctx, rej.Elapsed.Seconds(), r.durRejd)
}

// Handled records the acknowledgement on the request's span and counts
// it. It implements bankhook.Observer.
func (r *Receiver) Handled(req *http.Request, o bankhook.Outcome) {
	ctx := req.Context()
	span := trace.SpanFromContext(ctx)
	if span.IsRecording() {
		span.SetAttributes(
			attribute.Int("http.response.status_code", o.Status),
			AttrReplayed.Bool(o.Replayed),
		)
		r.describe(span, req)
	}
	r.requests.Add(ctx, 1, metric.WithAttributes(
		attribute.String("receiver", r.name),
		attribute.Int("status", o.Status),
		attribute.String("reason", ""),
	))
	events, duration := r.handled, r.durHandled
	if o.Replayed {
		events, duration = r.replayed, r.durReplayed
	}
	r.events.Add(ctx, 1, events)
	r.duration.Record(ctx, o.Elapsed.Seconds(), duration)
}

// describe sets what the pipeline learnt about the request: the sender's
// address and the idempotency key.
func (r *Receiver) describe(span trace.Span, req *http.Request) {
	ctx := req.Context()
	if ip, ok := bankhook.ClientIPFrom(ctx); ok {
		span.SetAttributes(attribute.String("client.address", ip.String()))
	}
	if key, ok := bankhook.IdempotencyKeyFrom(ctx); ok {
		span.SetAttributes(AttrIdempotencyKey.String(key))
	}
}

// StoreFailed records the failure as an event of the request's span and
// counts it: the optional method of a bankhook.Observer.
func (r *Receiver) StoreFailed(req *http.Request, f bankhook.StoreFailure) {
	ctx := req.Context()
	span := trace.SpanFromContext(ctx)
	if span.IsRecording() {
		span.AddEvent("bankhook.store_failed", trace.WithAttributes(
			attribute.String("bankhook.store.operation", f.Op),
			attribute.String("exception.message", f.Err.Error()),
		))
	}
	r.storeErrors.Add(ctx, 1, r.receiverSet)
}
