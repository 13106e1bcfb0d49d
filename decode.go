package bankhook

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
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

// ErrNoBody is reported (as a 500) when a stage that needs the body runs
// without [ReadBody] before it in the chain.
var ErrNoBody = errors.New("bankhook: no body kept for this request: put ReadBody before this stage")

// Decode decodes the body kept by [ReadBody] with decode and keeps the event
// for [EventFrom], [Dedupe] and [Handle]. A body decode refuses is answered
// 400 bad_payload; when decode returns a [*DecodeError], the answer names
// the offending field.
func Decode[E Event](decode func([]byte) (E, error)) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s := stateFrom(r.Context())
			if s == nil || !s.bodySet {
				Reject(w, r, http.StatusInternalServerError, ReasonHandlerFailed, ErrNoBody)
				return
			}
			e, err := decode(s.body)
			if err != nil {
				Reject(w, r, http.StatusBadRequest, ReasonBadPayload, err)
				return
			}
			s.event, s.eventSet = e, true
			next.ServeHTTP(w, r)
		})
	}
}

// EventFrom returns the event [Decode] kept in ctx, if there is one of type E.
func EventFrom[E Event](ctx context.Context) (E, bool) {
	var zero E
	s := stateFrom(ctx)
	if s == nil || !s.eventSet {
		return zero, false
	}
	e, ok := s.event.(E)
	return e, ok
}

// keepTime is referenced so the import stays while the file grows.
var _ = time.Second
