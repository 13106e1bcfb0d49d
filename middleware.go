package bankhook

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

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
	Status int    // the HTTP status answered
	Reason Reason // why
	Err    error  // the internal cause, for logs only; may be nil
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
type Observer interface {
	Rejected(r *http.Request, rej Rejection)
	Handled(r *http.Request, o Outcome)
}

// ObserverFuncs adapts two functions to an [Observer]. A nil field ignores
// that kind of report; the zero value ignores everything.
type ObserverFuncs struct {
	OnRejected func(r *http.Request, rej Rejection) // called by Rejected
	OnHandled  func(r *http.Request, o Outcome)     // called by Handled
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

// MultiObserver returns an Observer that tells each of os, in order, of
// every report: logs, metrics and traces side by side. Nil entries are
// skipped.
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

// SlogObserver returns an Observer that logs rejections at Warn (Error for
// 5xx) and handled events at Info through l, or through slog.Default()
// when l is nil. The query string is never logged: it may hold the URL
// token.
func SlogObserver(l *slog.Logger) Observer { return slogObserver{l} }

type slogObserver struct{ l *slog.Logger }

func (s slogObserver) logger() *slog.Logger {
	if s.l != nil {
		return s.l
	}
	return slog.Default()
}

func (s slogObserver) Rejected(r *http.Request, rej Rejection) {
	level := slog.LevelWarn
	if rej.Status >= 500 {
		level = slog.LevelError
	}
	attrs := []slog.Attr{
		slog.Int("status", rej.Status),
		slog.String("reason", string(rej.Reason)),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.String("remote", r.RemoteAddr),
	}
	if ip, ok := ClientIPFrom(r.Context()); ok {
		attrs = append(attrs, slog.String("client_ip", ip.String()))
	}
	if rej.Err != nil {
		attrs = append(attrs, slog.String("error", rej.Err.Error()))
	}
	s.logger().LogAttrs(r.Context(), level, "bankhook: request rejected", attrs...)
}

func (s slogObserver) Handled(r *http.Request, o Outcome) {
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
// means [SlogObserver](nil).
func Observe(o Observer) Middleware {
	if o == nil {
		o = SlogObserver(nil)
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

// observerOf returns the request's Observer, or the default one.
func observerOf(r *http.Request) (Observer, *reqState) {
	if s := stateFrom(r.Context()); s != nil {
		if s.observer != nil {
			return s.observer, s
		}
		return SlogObserver(nil), s
	}
	return SlogObserver(nil), nil
}

// Reject answers the request with status as an RFC 9457
// application/problem+json document carrying reason in its "reason" member,
// and tells the request's Observer (see [Observe]; without one, the
// rejection is logged through log/slog).
//
// err is the internal cause. It is given to the Observer and never sent to
// the client, with one exception: for a [*DecodeError] the JSON Pointer of
// the offending field is sent as the "field" member, so a sender can see
// which part of its payload was refused. Headers set on w before the call
// (Retry-After, Allow) are kept.
func Reject(w http.ResponseWriter, r *http.Request, status int, reason Reason, err error) {
	writeProblem(w, status, reason, err)
	o, _ := observerOf(r)
	o.Rejected(r, Rejection{Status: status, Reason: reason, Err: err})
}

// ProblemContentType is the media type of every rejection body.
const ProblemContentType = "application/problem+json"

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
