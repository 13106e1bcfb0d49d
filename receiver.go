package bankhook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/bankhook/bankhook/internal/fastpath"
	"github.com/go-json-experiment/json/jsontext"
)

// ReceiverOptions configures [NewReceiver]: the whole pipeline in one
// value. It is also the pipeline part of every bank preset's
// configuration (bunq.Config and bankhub.Config embed it), so an option
// added here reaches every receiver.
//
// For NewReceiver there is no unauthenticated zero value: at least one of
// Allow, Tokens or Verifier must be set, so a receiver never accepts
// events from anyone. The bank presets fill Allow with the bank's
// published sender addresses when it is nil.
type ReceiverOptions struct {
	// Observer is told of every rejection and every acknowledged event
	// (and of dedupe store failures, when it has a StoreFailed method).
	// Default: NewSlogObserver(SlogObserverOptions{Logger: Logger}).
	Observer Observer
	// Middleware wraps the whole pipeline, Middleware[0] outermost: it
	// sees each request arrive before any check, and the context it hands
	// on reaches every stage, the Observer and the handler. This is where
	// a gauge of requests in flight or a trace span starts (the adapters
	// in extra/ provide both). Default none.
	Middleware []Middleware
	// TrustedProxies are your load balancers or reverse proxies (CIDRs or
	// addresses): only from them is X-Forwarded-For believed. Default none.
	TrustedProxies []string
	// Allow is the senders' allowlist. It may be replaced at run time with
	// (*IPAllowlist).Replace. Nil means no address check (then Tokens or
	// Verifier must be set).
	Allow *IPAllowlist
	// RateLimit limits requests per sender. The zero value is RateLimit's
	// defaults (50/s, burst 100, 10,000 senders).
	RateLimit RateLimitOptions
	// Body limits method, content type and size. The zero value accepts
	// POST application/json up to 1 MiB.
	Body BodyOptions
	// TokenParam is the query parameter holding the URL token. Default
	// "token".
	TokenParam string
	// Tokens, when not empty, are the accepted URL tokens (several during
	// a rotation). Default: no token check.
	Tokens []string
	// Verifier, when set, checks each request (a bank's signature).
	Verifier Verifier
	// Dedupe configures the dedupe stage. The zero value is an in-memory
	// LRUStore of 100,000 keys, TTL 72 h, lease 60 s, fail open.
	Dedupe DedupeOptions
	// Deadline bounds each handler call. Default 25 s (bankHub gives up
	// after 30 s). Negative means none.
	Deadline time.Duration
	// Logger receives what the pipeline logs: rejections and acknowledged
	// events when Observer is nil, dedupe store failures when
	// Dedupe.Logger is nil, and (in the bank presets) events no handler
	// takes. Default slog.Default().
	Logger *slog.Logger

	// fast is the key reader of NewKeyedReceiver or of a bank preset.
	fast fastPath
}

// fastPath is a receiver's key reader: the key of each delivery read from
// its body, so that the dedupe store is asked before the body is decoded.
type fastPath struct {
	bodyKey func(body []byte) (key string, ok bool) // nil: decode, then ask the store
	// trusted: bodyKey is known to agree with decode (a bank preset's), and
	// decode copies whatever it keeps. A duplicate is then answered
	// without being decoded, and decode reads ReadBody's pooled buffer.
	trusted bool
}

func init() {
	fastpath.Register(func(options any, bodyKey func([]byte) (string, bool)) any {
		o := options.(ReceiverOptions)
		o.fast = fastPath{bodyKey: bodyKey, trusted: true}
		return o
	})
}

// NewReceiver assembles the whole pipeline — Middleware, Observe,
// ClientIP, AllowIPs, RateLimit, RequireToken, ReadBody, Verify, Decode,
// Dedupe, Deadline, Handle — around handle, with decode turning bodies
// into events. Stages
// that are not configured (no allowlist, no tokens, no verifier) are left
// out. The token is checked before the body is read: it is in the URL.
func NewReceiver[E Event](decode func([]byte) (E, error), handle func(context.Context, E) error, o ReceiverOptions) (http.Handler, error) {
	if decode == nil || handle == nil {
		return nil, errors.New("bankhook: NewReceiver needs a decode and a handle function")
	}
	trusted, err := o.prepare()
	if err != nil {
		return nil, err
	}
	m := o.checks(trusted)
	if f := o.fast; f.bodyKey != nil && o.Dedupe.Key == nil {
		dd := o.Dedupe
		dd.Key = keyBeforeDecode(decode, f.bodyKey, f.trusted)
		dd.checkReplay = checkReplay(decode, f.trusted)
		m = append(m, Dedupe(dd), decodeStage(decode, f.trusted, !f.trusted), Deadline(o.Deadline))
	} else {
		m = append(m, decodeStage(decode, false, false), Dedupe(o.Dedupe), Deadline(o.Deadline))
	}
	return Chain(Handle(handle), m...), nil
}

// NewKeyedReceiver is [NewReceiver] with a key reader: bodyKey reads the
// idempotency key straight from a body, without decoding it, and reports
// false when it cannot tell. It is for receivers whose events are costly
// to decode, or that see many concurrent retries; most receivers do not
// need it.
//
// The receiver asks the dedupe store before it decodes: a new event is
// decoded once its key is reserved, and a delivery whose key is still in
// flight is answered 409 without being decoded. A duplicate (its key is
// done) is decoded, and answered from the store only when its event's
// IdempotencyKey is the key bodyKey read. A body bodyKey cannot read is
// decoded first, as by NewReceiver.
//
// bodyKey must return exactly the IdempotencyKey of the event decode
// returns for the body, whenever decode accepts it. A reader that
// disagrees is caught, never trusted: a new event whose decoded key
// differs is answered 500 handler_failed and its reservation released,
// and a duplicate whose decoded key differs is answered 500 too (both
// errors wrap [ErrKeyMismatch] and name both keys), so the bank retries
// and nothing is answered 2xx as a duplicate of another event. bodyKey
// is not used when o.Dedupe.Key is set. (The bank presets use readers of
// their own, checked against their decoders field by field, and trust
// them: they answer a duplicate without decoding it.)
func NewKeyedReceiver[E Event](decode func([]byte) (E, error), bodyKey func(body []byte) (key string, ok bool), handle func(context.Context, E) error, o ReceiverOptions) (http.Handler, error) {
	if bodyKey == nil {
		return nil, errors.New("bankhook: NewKeyedReceiver needs a bodyKey function")
	}
	o.fast = fastPath{bodyKey: bodyKey}
	return NewReceiver(decode, handle, o)
}

// prepare checks o for NewReceiver and fills in its defaults: the empty
// tokens dropped, the Deadline, the Observer, the dedupe stage's logger
// and deadline. It returns the allowlist of the trusted proxies, nil when
// there are none.
func (o *ReceiverOptions) prepare() (trusted *IPAllowlist, err error) {
	if o.Allow == nil && len(o.Tokens) == 0 && o.Verifier == nil {
		return nil, ErrNoSenderCheck
	}
	tokens := o.Tokens[:0:0]
	for _, t := range o.Tokens {
		if t != "" {
			tokens = append(tokens, t)
		}
	}
	if len(o.Tokens) > 0 && len(tokens) == 0 {
		return nil, errors.New("bankhook: every configured token is empty")
	}
	o.Tokens = tokens
	if len(o.TrustedProxies) > 0 {
		if trusted, err = NewIPAllowlist(o.TrustedProxies...); err != nil {
			return nil, fmt.Errorf("bankhook: trusted proxies: %w", err)
		}
	}
	if o.RateLimit.Rate < 0 || o.RateLimit.Burst < 0 || o.RateLimit.MaxClients < 0 {
		return nil, fmt.Errorf("bankhook: negative rate limit setting %+v", o.RateLimit)
	}
	if o.Body.MaxBytes < 0 {
		return nil, fmt.Errorf("bankhook: negative body limit %d", o.Body.MaxBytes)
	}
	if err := o.prepareDeadline(); err != nil {
		return nil, err
	}
	for i, mw := range o.Middleware {
		if mw == nil {
			return nil, fmt.Errorf("bankhook: ReceiverOptions.Middleware[%d] is nil", i)
		}
	}
	if o.Observer == nil {
		o.Observer = NewSlogObserver(SlogObserverOptions{Logger: o.Logger})
	}
	if o.Dedupe.Logger == nil {
		o.Dedupe.Logger = o.Logger
	}
	return trusted, nil
}

// prepareDeadline sets the handler deadline's default and hands the
// deadline to the dedupe stage, after checking that the dedupe lease
// outlasts it.
func (o *ReceiverOptions) prepareDeadline() error {
	if o.Deadline == 0 {
		o.Deadline = DefaultDeadline
	}
	if o.Deadline <= 0 {
		return nil
	}
	lease := o.Dedupe.Lease
	if lease <= 0 {
		lease = DefaultLease
	}
	// Otherwise a slow first delivery could lose its key to a retry while
	// it is still being handled: the handler runs until the deadline,
	// completing its key is retried until then too, and the last call may
	// take the store's own timeout.
	var call time.Duration
	if ts, ok := o.Dedupe.Store.(interface{ Timeout() time.Duration }); ok {
		call = max(ts.Timeout(), 0)
	}
	if lease <= o.Deadline+call {
		return fmt.Errorf("bankhook: dedupe lease %v must be longer than the handler deadline %v plus the store's call timeout %v", lease, o.Deadline, call)
	}
	o.Dedupe.deadline = o.Deadline
	return nil
}

// checks returns the stages of a prepared receiver that come before
// decoding, outermost first: the user's Middleware, Observe, ClientIP,
// AllowIPs when there is an allowlist, RateLimit, RequireToken when there
// are tokens, ReadBody, and Verify when there is a verifier.
func (o *ReceiverOptions) checks(trusted *IPAllowlist) []Middleware {
	m := append(slices.Clip(o.Middleware), Observe(o.Observer), ClientIP(trusted))
	if o.Allow != nil {
		m = append(m, AllowIPs(o.Allow))
	}
	m = append(m, RateLimit(o.RateLimit))
	if len(o.Tokens) > 0 {
		m = append(m, RequireToken(o.TokenParam, o.Tokens...))
	}
	m = append(m, ReadBody(o.Body))
	if o.Verifier != nil {
		m = append(m, Verify(o.Verifier))
	}
	return m
}

// keyBeforeDecode is the dedupe key of a receiver with a key reader: the key
// read from the body, or else the key of the event decoded from it, which
// is kept for the decode stage after Dedupe. A body decode refuses is
// answered by Dedupe as the decode stage would answer it: 400
// bad_payload, naming the field.
//
// A key read from the body leaves the event undecoded; EventFrom decodes
// it if it is asked for it (an Observer of a duplicate may be).
func keyBeforeDecode[E Event](decode func([]byte) (E, error), bodyKey func([]byte) (string, bool), borrow bool) func(*http.Request) (string, error) {
	later := func(s *reqState) (Event, bool) {
		body, ok := borrowedBody(s) // only while the request is served
		if !ok {
			return nil, false
		}
		if !borrow {
			body = s.kept.stable()
		}
		e, err := decode(body)
		return e, err == nil
	}
	return func(r *http.Request) (string, error) {
		s := stateFrom(r.Context())
		body, ok := decodeInput(r, s, borrow)
		if !ok {
			return "", ErrNoBody
		}
		if k, ok := bodyKey(body); ok {
			s.decodeLater = later
			return k, nil
		}
		e, err := decode(body)
		if err != nil {
			return "", err
		}
		s.event, s.eventSet = e, true
		return e.IdempotencyKey(), nil // "" is ErrNoKey to Dedupe
	}
}

// checkReplay accepts a duplicate whose key was read from its body. With
// a trusted key reader, the body must be well-formed JSON or accepted by
// decode; otherwise decode must accept it and give its event key, else the
// error wraps ErrKeyMismatch. It returns the decode error of a body decode
// refuses. A body decoded for its key was accepted then.
func checkReplay[E Event](decode func([]byte) (E, error), trusted bool) func(r *http.Request, key string) error {
	return func(r *http.Request, key string) error {
		s := stateFrom(r.Context())
		if s != nil && s.eventSet {
			return nil
		}
		body, ok := decodeInput(r, s, trusted)
		if !ok {
			return ErrNoBody
		}
		if trusted && jsontext.Value(body).IsValid() {
			return nil
		}
		e, err := decode(body)
		if err != nil {
			return err
		}
		if !trusted {
			if err := sameKey(key, e); err != nil {
				return err
			}
			s.event, s.eventSet = e, true
		}
		return nil
	}
}

// sameKey checks that the key a body's key reader gave is the key of the
// event decoded from it.
func sameKey(read string, e Event) error {
	if decoded := e.IdempotencyKey(); decoded != read {
		return fmt.Errorf("%w: the body's key reader gave %q, the decoded event's key is %q", ErrKeyMismatch, read, decoded)
	}
	return nil
}
