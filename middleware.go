package bankhook

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/bankhook/bankhook/internal/logsample"
	"github.com/go-json-experiment/json/jsontext"
)

// Middleware is the shape of every bankhook stage: it wraps a handler and
// returns a handler, so it drops into chi's Use, alice, or plain wrapping.
type Middleware = func(http.Handler) http.Handler

// Chain wraps h in the given middleware, m[0] outermost: Chain(h, a, b)
// is a(b(h)), so a request meets a first.
func Chain(h http.Handler, m ...Middleware) http.Handler {
	for i := len(m) - 1; i >= 0; i-- {
		h = m[i](h)
	}
	return h
}

// Reason is the stable, machine-readable cause of a rejection. It is the
// "reason" member of every problem+json answer and is what an [Observer]
// and the logs receive; its values never change between releases.
type Reason string

// The reasons a request is rejected for.
const (
	ReasonIPDenied             Reason = "ip_denied"              // 403: the sender is not on the allowlist
	ReasonRateLimited          Reason = "rate_limited"           // 429: the sender exceeded its rate
	ReasonMethodNotAllowed     Reason = "method_not_allowed"     // 405: not a POST (or configured method)
	ReasonUnsupportedMediaType Reason = "unsupported_media_type" // 415: not JSON (or configured type)
	ReasonBodyTooLarge         Reason = "body_too_large"         // 413: body over the configured limit
	ReasonBadToken             Reason = "bad_token"              // 401: URL token missing or wrong
	ReasonBadSignature         Reason = "bad_signature"          // 401: the Verifier refused the request
	ReasonBadPayload           Reason = "bad_payload"            // 400: the body is not a valid event
	ReasonInFlight             Reason = "in_flight"              // 409: the same event is being handled elsewhere
	ReasonStoreUnavailable     Reason = "store_unavailable"      // 503: the dedupe store failed and FailClosed is set
	ReasonHandlerFailed        Reason = "handler_failed"         // 500: the application handler failed or panicked
	ReasonTimeout              Reason = "timeout"                // 503: the handler ran out of time
)

// detail is the fixed, safe text sent for each reason. Internal error text
// is never sent.
var detail = map[Reason]string{
	ReasonIPDenied:             "the sender's address is not allowed",
	ReasonRateLimited:          "too many requests from this address; retry later",
	ReasonMethodNotAllowed:     "method not allowed",
	ReasonUnsupportedMediaType: "unsupported content type",
	ReasonBodyTooLarge:         "request body too large",
	ReasonBadToken:             "missing or invalid token",
	ReasonBadSignature:         "invalid signature",
	ReasonBadPayload:           "the body is not a valid event",
	ReasonInFlight:             "the same event is being handled; retry later",
	ReasonStoreUnavailable:     "temporarily unable to accept events; retry later",
	ReasonHandlerFailed:        "the event could not be handled; retry later",
	ReasonTimeout:              "the event could not be handled in time; retry later",
}

// Rejection describes one request answered by [Reject].
type Rejection struct {
	Status  int           // the HTTP status answered
	Reason  Reason        // why
	Err     error         // the internal cause, for logs only; may be nil
	Elapsed time.Duration // since the request entered Observe; 0 without Observe
}

// Outcome describes one delivery that was acknowledged: handled by the
// application, or answered from the dedupe store as a duplicate.
type Outcome struct {
	Status   int           // the status answered (2xx)
	Key      string        // the idempotency key, "" when there is no Dedupe stage
	Replayed bool          // answered from the dedupe store; the handler was not called
	Elapsed  time.Duration // since the request entered Observe; 0 without Observe
}

// Observer is told of every rejection and every acknowledged event. It
// is called on the request's goroutine after the decision is made, never
// under a bankhook lock; implementations must be safe for concurrent use
// and should return quickly.
//
// An Observer that also wants to hear of every failed call to the dedupe
// store has a method StoreFailed(r *http.Request, f StoreFailure), as
// ObserverFuncs and the adapters in extra/ have: [Dedupe] calls it for each
// failure, whether the delivery is then refused (FailClosed: 503
// store_unavailable, also reported to Rejected) or handled without dedupe
// (at-least-once).
type Observer interface {
	Rejected(r *http.Request, rej Rejection)
	Handled(r *http.Request, o Outcome)
}

// StoreFailure describes one failed call to the dedupe store.
type StoreFailure struct {
	Op  string // "reserve", "complete" or "release"
	Key string // the idempotency key
	Err error  // the store's error; wraps ErrLeaseLost when a lease ended before Complete or Release
}

// storeObserver is an Observer's optional method (see [Observer]).
type storeObserver interface {
	StoreFailed(r *http.Request, f StoreFailure)
}

// ObserverFuncs adapts functions to an [Observer], StoreFailed included.
// A nil field ignores that kind of report; the zero value ignores
// everything.
type ObserverFuncs struct {
	OnRejected    func(r *http.Request, rej Rejection)  // called by Rejected
	OnHandled     func(r *http.Request, o Outcome)      // called by Handled
	OnStoreFailed func(r *http.Request, f StoreFailure) // called by StoreFailed
}

// Rejected calls OnRejected if it is set.
func (f ObserverFuncs) Rejected(r *http.Request, rej Rejection) {
	if f.OnRejected != nil {
		f.OnRejected(r, rej)
	}
}

// Handled calls OnHandled if it is set.
func (f ObserverFuncs) Handled(r *http.Request, o Outcome) {
	if f.OnHandled != nil {
		f.OnHandled(r, o)
	}
}

// StoreFailed calls OnStoreFailed if it is set.
func (f ObserverFuncs) StoreFailed(r *http.Request, sf StoreFailure) {
	if f.OnStoreFailed != nil {
		f.OnStoreFailed(r, sf)
	}
}

// MultiObserver returns an Observer that tells each of os, in order, of
// every report: logs, metrics and traces side by side. Nil entries are
// skipped. Its StoreFailed tells those of os that have the method.
func MultiObserver(os ...Observer) Observer {
	var m multiObserver
	for _, o := range os {
		if o != nil {
			m = append(m, o)
		}
	}
	return m
}

type multiObserver []Observer

func (m multiObserver) Rejected(r *http.Request, rej Rejection) {
	for _, o := range m {
		o.Rejected(r, rej)
	}
}

func (m multiObserver) Handled(r *http.Request, o Outcome) {
	for _, obs := range m {
		obs.Handled(r, o)
	}
}

func (m multiObserver) StoreFailed(r *http.Request, f StoreFailure) {
	for _, obs := range m {
		if so, ok := obs.(storeObserver); ok {
			so.StoreFailed(r, f)
		}
	}
}

// storeFailed tells the request's Observer of a failed store call, if it
// wants to know.
func storeFailed(fallback fallbackObserver, r *http.Request, op, key string, err error) {
	o, _ := observerOf(r, fallback)
	if so, ok := o.(storeObserver); ok {
		so.StoreFailed(r, StoreFailure{Op: op, Key: key, Err: err})
	}
}

// SlogObserverOptions configures [NewSlogObserver]. The zero value logs
// through slog.Default() with sampled rejections.
//
// Each observer samples on its own: lines about rejections below 500 are
// grouped by reason and by sender network (the /24 of an IPv4 address, the
// /48 of an IPv6 one). The first line of each reason is always written;
// after that a group writes at most one line a second, and the observer at
// most 10 a second in all. A line written after others were held back
// carries their count as "suppressed" and the network as "network".
type SlogObserverOptions struct {
	// Logger receives the lines. Default slog.Default(), looked up for
	// each line.
	Logger *slog.Logger
	// Now is the clock that spaces the sampled lines. Default time.Now.
	Now func() time.Time
	// LogEveryRejection writes a line for every rejection, unsampled: a
	// flood of rejected requests then writes a line per request. Default
	// false.
	LogEveryRejection bool
}

// NewSlogObserver returns an Observer that logs rejections at Warn (Error
// for 5xx) and handled events at Info through o.Logger. Rejections below
// 500 are sampled (see [SlogObserverOptions]) unless o.LogEveryRejection, so a
// flood of rejected requests writes about one line a second per reason
// and sender network; acknowledged events and 5xx answers are always
// logged. The query string is never logged: it may hold the URL token.
func NewSlogObserver(o SlogObserverOptions) Observer {
	s := &slogObserver{l: o.Logger}
	if !o.LogEveryRejection {
		s.sampler = logsample.Must(logsample.Options{Now: o.Now})
	}
	return s
}

type slogObserver struct {
	l       *slog.Logger
	sampler *logsample.Sampler // nil: every rejection is logged
}

func (s *slogObserver) logger() *slog.Logger {
	if s.l != nil {
		return s.l
	}
	return slog.Default()
}

func (s *slogObserver) Rejected(r *http.Request, rej Rejection) {
	level := slog.LevelWarn
	if rej.Status >= 500 {
		level = slog.LevelError
	}
	ctx := r.Context()
	l := s.logger()
	if !l.Enabled(ctx, level) {
		return
	}
	ip, ipOK := ClientIPFrom(ctx)
	var d logsample.Decision
	if s.sampler != nil && rej.Status < 500 {
		if !ipOK {
			ip = remoteAddr(r.RemoteAddr)
		}
		if d = s.sampler.Sample(string(rej.Reason), ip); !d.Write {
			return
		}
	}
	attrs := make([]slog.Attr, 0, 8)
	attrs = append(attrs,
		slog.Int("status", rej.Status),
		slog.String("reason", string(rej.Reason)),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.String("remote", r.RemoteAddr),
	)
	if ipOK {
		attrs = append(attrs, slog.String("client_ip", ip.String()))
	}
	if rej.Err != nil {
		attrs = append(attrs, slog.String("error", rej.Err.Error()))
	}
	if d.Suppressed > 0 {
		attrs = append(attrs, slog.Uint64("suppressed", d.Suppressed), slog.String("network", d.NetworkString()))
	}
	l.LogAttrs(ctx, level, "bankhook: request rejected", attrs...)
}

func (s *slogObserver) Handled(r *http.Request, o Outcome) {
	s.logger().LogAttrs(r.Context(), slog.LevelInfo, "bankhook: event acknowledged",
		slog.Int("status", o.Status),
		slog.String("key", o.Key),
		slog.Bool("replayed", o.Replayed),
		slog.Duration("elapsed", o.Elapsed),
		slog.String("path", r.URL.Path),
	)
}

// Observe attaches o to every request it wraps and starts the request's
// clock, so that every later stage reports to o. Put it outermost. A nil o
// means NewSlogObserver(SlogObserverOptions{}).
func Observe(o Observer) Middleware {
	if o == nil {
		o = NewSlogObserver(SlogObserverOptions{})
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s, r := withState(r)
			s.observer = o
			s.start = time.Now()
			next.ServeHTTP(w, r)
		})
	}
}

// fallbackObserver is the Observer a stage reports to for requests without
// Observe in their chain: NewSlogObserver(SlogObserverOptions{}), built on its first use. Each
// stage (each call of AllowIPs, RateLimit, ReadBody, …) has one of its
// own, so that its sampler sees every such request of the stage and no
// state is shared between the stages of unrelated receivers. It is safe
// for concurrent use.
type fallbackObserver func() Observer

func newFallbackObserver() fallbackObserver {
	return sync.OnceValue(func() Observer { return NewSlogObserver(SlogObserverOptions{}) })
}

// observerOf returns the request's Observer, or else the stage's fallback,
// or else (for Reject called outside the stages, with a nil fallback) a
// new NewSlogObserver(SlogObserverOptions{}).
func observerOf(r *http.Request, fallback fallbackObserver) (Observer, *reqState) {
	s := stateFrom(r.Context())
	if s != nil && s.observer != nil {
		return s.observer, s
	}
	if fallback != nil {
		return fallback(), s
	}
	return NewSlogObserver(SlogObserverOptions{}), s
}

// Reject answers the request with status as an RFC 9457
// application/problem+json document carrying reason in its "reason" member,
// and tells the request's Observer (see [Observe]). Without Observe in
// the chain, the rejection is logged through log/slog by a new
// NewSlogObserver(SlogObserverOptions{}) for each call, so unsampled; the stages (AllowIPs,
// RateLimit, ReadBody, …) each keep a NewSlogObserver(SlogObserverOptions{}) of their own for
// that case, whose sampler sees every rejection of the stage. Put Observe
// outermost to report every stage, and a handler's own Reject, to one
// Observer.
//
// err is the internal cause. It is given to the Observer and never sent to
// the client, with one exception: for a [*DecodeError] the JSON Pointer of
// the offending field is sent as the "field" member, so a sender can see
// which part of its payload was refused. Headers set on w before the call
// (Retry-After, Allow) are kept.
func Reject(w http.ResponseWriter, r *http.Request, status int, reason Reason, err error) {
	reject(nil, w, r, status, reason, err)
}

// reject is Reject for a stage, which reports to its fallback Observer
// when the request has none.
func reject(fallback fallbackObserver, w http.ResponseWriter, r *http.Request, status int, reason Reason, err error) {
	writeProblem(w, status, reason, err)
	o, s := observerOf(r, fallback)
	o.Rejected(r, Rejection{Status: status, Reason: reason, Err: err, Elapsed: elapsed(s)})
}

// appendJSONString appends s as a JSON string. Invalid UTF-8 (a sender's
// field name can hold anything) becomes U+FFFD, so the document stays
// valid JSON.
func appendJSONString(b []byte, s string) []byte {
	b, _ = jsontext.AppendQuote(b, s)
	return b
}

func writeProblem(w http.ResponseWriter, status int, reason Reason, err error) {
	b := make([]byte, 0, 256)
	b = append(b, `{"type":"about:blank","title":`...)
	b = appendJSONString(b, http.StatusText(status))
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(status), 10)
	if d, ok := detail[reason]; ok {
		b = append(b, `,"detail":`...)
		b = appendJSONString(b, d)
	}
	b = append(b, `,"reason":`...)
	b = appendJSONString(b, string(reason))
	var de *DecodeError
	if errors.As(err, &de) {
		b = append(b, `,"field":`...)
		b = appendJSONString(b, de.Path)
	}
	b = append(b, "}\n"...)

	h := w.Header()
	h.Set("Content-Type", ProblemContentType)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
