package bankhook

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"strconv"
)

// Event is a decoded webhook event. Provider packages implement it
// (*bunq.Notification, *bankhub.Webhook).
type Event interface {
	// IdempotencyKey identifies the event: the same for every retry of one
	// delivery, different for distinct events (another object, another
	// update of the same object). It must not depend on the body's
	// formatting. It is what Dedupe remembers.
	IdempotencyKey() string
}

// DecodeError is the error a provider's Decode returns for a body it
// cannot accept. Path is the RFC 6901 JSON Pointer of the offending value
// ("/NotificationUrl/object/Payment/amount/value"; "" for the body as a
// whole). [Reject] sends Path to the sender as the problem's "field"
// member; Err stays internal.
type DecodeError struct {
	Provider string // "bunq", "bankhub": the message's prefix
	Path     string // JSON Pointer of the bad value; "" for the whole body
	Err      error  // the cause
}

// Error returns "provider: decode /path: cause".
func (e *DecodeError) Error() string {
	p := e.Provider
	if p == "" {
		p = "bankhook"
	}
	path := e.Path
	if path == "" {
		path = "body"
	}
	return fmt.Sprintf("%s: decode %s: %v", p, path, e.Err)
}

// Unwrap returns the cause.
func (e *DecodeError) Unwrap() error { return e.Err }

// Decode decodes the body kept by [ReadBody] with decode and keeps the event
// for [EventFrom], [Dedupe] and [Handle]. A body decode refuses is answered
// 400 bad_payload; when decode returns a [*DecodeError], the answer names
// the offending field.
//
// decode gets a copy of the body of its own (see [BodyFrom]), which it may
// keep.
func Decode[E Event](decode func([]byte) (E, error)) Middleware {
	return decodeStage(decode, false, false)
}

// decodeStage is Decode; with borrow, decode reads the pooled body itself.
// An event of type E already decoded for the request (by the dedupe key
// of a receiver with a key reader) is not decoded again. With verifyKey
// (after a Dedupe whose key a key reader gave), an event whose key is not
// the request's idempotency key is answered 500 handler_failed.
func decodeStage[E Event](decode func([]byte) (E, error), borrow, verifyKey bool) Middleware {
	fallback := newFallbackObserver()
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s := stateFrom(r.Context())
			if s != nil && s.eventSet {
				if _, ok := s.event.(E); ok {
					next.ServeHTTP(w, r)
					return
				}
			}
			body, ok := decodeInput(r, s, borrow)
			if !ok {
				reject(fallback, w, r, http.StatusInternalServerError, ReasonHandlerFailed, ErrNoBody)
				return
			}
			e, err := decode(body)
			if err != nil {
				reject(fallback, w, r, http.StatusBadRequest, ReasonBadPayload, err)
				return
			}
			if verifyKey {
				if err := sameKey(s.key, e); err != nil {
					reject(fallback, w, r, http.StatusInternalServerError, ReasonHandlerFailed, err)
					return
				}
			}
			s.event, s.eventSet = e, true
			next.ServeHTTP(w, r)
		})
	}
}

// decodeInput is the body a decode function is given: the pooled body
// itself with borrow, else BodyFrom's copy.
func decodeInput(r *http.Request, s *reqState, borrow bool) ([]byte, bool) {
	if borrow {
		return borrowedBody(s)
	}
	return BodyFrom(r.Context())
}

// EventFrom returns the event [Decode] kept in ctx, if there is one of type E.
// A receiver that answered a duplicate from its store without decoding it
// (a bank preset's) decodes it on the first call, while the
// request is being served.
func EventFrom[E Event](ctx context.Context) (E, bool) {
	var zero E
	s := stateFrom(ctx)
	if s != nil && !s.eventSet && s.decodeLater != nil {
		later := s.decodeLater
		s.decodeLater = nil
		s.event, s.eventSet = later(s)
	}
	if s == nil || !s.eventSet {
		return zero, false
	}
	e, ok := s.event.(E)
	return e, ok
}

// StatusError is an error a [Handle] function returns to choose the
// answer: Status 503 asks the bank to retry later, a 2xx status
// acknowledges the event with that status. Err is kept for the logs.
type StatusError struct {
	Status int   // the HTTP status to answer
	Err    error // the cause, for the Observer and the logs; never sent
}

// Error returns "bankhook: status 503: cause".
func (e *StatusError) Error() string {
	if e.Err == nil {
		return "bankhook: status " + strconv.Itoa(e.Status)
	}
	return "bankhook: status " + strconv.Itoa(e.Status) + ": " + e.Err.Error()
}

// Unwrap returns Err.
func (e *StatusError) Unwrap() error { return e.Err }

// PanicError is what [Handle] reports to the Observer for a handler that
// panicked.
type PanicError struct {
	Value any    // the value passed to panic
	Stack []byte // the goroutine's stack at the panic
}

// Error returns "bankhook: handler panicked: value".
func (e *PanicError) Error() string { return fmt.Sprintf("bankhook: handler panicked: %v", e.Value) }

// Handle turns a typed function into the chain's final handler. The event
// is the one [Decode] kept. The answer follows fn's result:
//
//   - nil: 200, and the Observer is told the event was handled;
//   - a [*StatusError] (anywhere in the chain of wrapped errors): its
//     Status — 2xx acknowledges, anything else is refused as handler_failed;
//   - the request's deadline passed (see [Deadline]): 503 timeout;
//   - any other error: 500 handler_failed;
//   - a panic: recovered, 500 handler_failed, reported to the Observer
//     as a [*PanicError] with the stack.
//
// Every non-2xx answer makes the bank deliver the event again.
func Handle[E Event](fn func(ctx context.Context, e E) error) http.Handler {
	fallback := newFallbackObserver()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e, ok := EventFrom[E](r.Context())
		if !ok {
			reject(fallback, w, r, http.StatusInternalServerError, ReasonHandlerFailed, ErrNoEvent)
			return
		}
		ctx := r.Context()
		err := callHandler(ctx, fn, e)
		if err == nil {
			acknowledge(fallback, w, r, http.StatusOK)
			return
		}
		var se *StatusError
		var pe *PanicError
		switch {
		case errors.As(err, &pe):
			reject(fallback, w, r, http.StatusInternalServerError, ReasonHandlerFailed, err)
		case errors.As(err, &se) && se.Status >= 100 && se.Status <= 999:
			if Acknowledged(se.Status) {
				acknowledge(fallback, w, r, se.Status)
				return
			}
			reject(fallback, w, r, se.Status, ReasonHandlerFailed, err)
		case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
			reject(fallback, w, r, http.StatusServiceUnavailable, ReasonTimeout, err)
		default:
			reject(fallback, w, r, http.StatusInternalServerError, ReasonHandlerFailed, err)
		}
	})
}

func callHandler[E Event](ctx context.Context, fn func(context.Context, E) error, e E) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &PanicError{Value: p, Stack: debug.Stack()}
		}
	}()
	return fn(ctx, e)
}

func acknowledge(fallback fallbackObserver, w http.ResponseWriter, r *http.Request, status int) {
	w.Header()["Content-Length"] = headerZero
	w.WriteHeader(status)
	obs, s := observerOf(r, fallback)
	var key string
	if s != nil {
		key = s.key
	}
	obs.Handled(r, Outcome{Status: status, Key: key, Elapsed: elapsed(s)})
}
