package bankhook

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// State is the state of an idempotency key in a [Store].
type State uint8

// The states a [Reservation] reports.
const (
	// Reserved: the caller now holds the key and must Complete or Release
	// it with the reservation's Token before its lease ends.
	Reserved State = iota + 1
	// InFlight: another caller holds the key; its lease has not ended.
	InFlight
	// Done: the event was handled; Status is what was answered.
	Done
)

// String returns "reserved", "in_flight" or "done".
func (s State) String() string {
	switch s {
	case Reserved:
		return "reserved"
	case InFlight:
		return "in_flight"
	case Done:
		return "done"
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// Reservation is the answer of [Store.Reserve].
type Reservation struct {
	State  State  // Reserved, InFlight or Done
	Status int    // for Done: the status that was answered
	Token  string // for Reserved: fences the holder's Complete and Release
}

// Store remembers idempotency keys for [Dedupe]. A key is absent, reserved
// (held by one caller for a lease, so a crashed process cannot block it
// forever) or done (the answered status, kept for a TTL).
//
// Implementations must make each method atomic per key and safe for
// concurrent use from several goroutines (and, for shared stores, several
// processes). Expiry must be checked on read.
//
// A store that bounds each of its calls by a timeout of its own
// (redisstore's does) reports it with a method Timeout() time.Duration.
// NewReceiver then checks that the dedupe lease outlasts the handler's
// deadline plus one such call, the longest a delivery can hold its key
// before the store records its outcome.
type Store interface {
	// Reserve takes the key for lease if it is absent or its lease or TTL
	// has ended (State Reserved, with a fresh Token), and otherwise reports
	// InFlight or Done.
	Reserve(ctx context.Context, key string, lease time.Duration) (Reservation, error)
	// Complete marks a key the caller holds as done with status for ttl. It
	// returns an error wrapping ErrLeaseLost when token no longer holds the
	// key (the lease ended, or another caller took it over).
	Complete(ctx context.Context, key, token string, status int, ttl time.Duration) error
	// Release forgets a key the caller holds, so the next delivery runs the
	// handler again. It returns an error wrapping ErrLeaseLost when token no
	// longer holds the key.
	Release(ctx context.Context, key, token string) error
}

// DedupeOptions configures [Dedupe]. The zero value is ready to use.
type DedupeOptions struct {
	// Store remembers keys. Default: a new LRUStore of 100,000 keys, for
	// this middleware alone.
	Store Store
	// TTL is how long a handled event is remembered. Default 72 h.
	TTL time.Duration
	// Lease is how long a delivery being handled blocks its key; a crashed
	// holder blocks it no longer than this. Make it longer than the
	// handler's deadline. Default 60 s.
	Lease time.Duration
	// FailClosed answers 503 store_unavailable while the store fails to
	// reserve keys, so the bank retries later. By default (false) the
	// handler runs anyway: delivery stays at-least-once while the store is
	// down, and the failure is logged.
	FailClosed bool
	// Key derives the idempotency key. Default: the decoded event's
	// IdempotencyKey (see Decode), else "sha256:" and the hex SHA-256 of
	// the body kept by ReadBody. An error is answered 400 bad_payload;
	// ErrNoBody (no ReadBody before Dedupe) is answered 500 handler_failed.
	Key func(*http.Request) (string, error)
	// Logger receives store failures and lost leases. Default slog.Default().
	Logger *slog.Logger

	// checkReplay, when set, must accept a duplicate of key before it is
	// answered from the store; its error is answered 400 bad_payload, or
	// 500 handler_failed when it wraps ErrKeyMismatch. NewReceiver sets it
	// when the key was read from a body that was not decoded.
	checkReplay func(r *http.Request, key string) error
	// deadline is the handler deadline of the receiver Dedupe is part of
	// (set by NewReceiver): completing a handled event is retried until
	// it has passed. Zero: half the lease.
	deadline time.Duration
	// fallback is the Observer of requests without Observe in their chain.
	fallback fallbackObserver
}

// Dedupe runs the wrapped handler at most once per event, as far as its
// store remembers: the first delivery reserves the event's key and runs
// the handler; a 2xx answer (a handler that writes nothing answers 200)
// marks the key done, anything else, a panic before any answer (released,
// then re-panicked) or a cancelled request releases it so the bank's
// retry runs it again.
//
// A store that fails to mark a handled event done is retried with
// backoff until the handler's deadline (the receiver's Deadline, or half
// the lease for a Dedupe used on its own) before the answer goes out; if
// it still fails, the 2xx goes out (the event was handled) and the
// failure is logged with the key and reported, since a later delivery of
// the event may then be handled again. A handler that cannot know its
// outcome before it must answer settles its key later through [Postpone].
//
// A delivery whose key is held by another in-flight delivery is answered
// 409 in_flight with Retry-After; one whose key is done is answered with
// the stored status and Idempotent-Replayed: true, without calling the
// handler. A handler that returns without writing anything after its
// request was cancelled has not handled the event: its key is released.
// When the store fails, the handler runs anyway (at-least-once) unless
// FailClosed is set (503 store_unavailable). No delivery is ever answered
// 2xx without its event having been handled.
func Dedupe(o DedupeOptions) Middleware {
	if o.Store == nil {
		o.Store = NewLRUStore(LRUStoreOptions{})
	}
	if o.TTL <= 0 {
		o.TTL = DefaultDedupeTTL
	}
	if o.Lease <= 0 {
		o.Lease = DefaultLease
	}
	if o.Key == nil {
		o.Key = DefaultKey
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	retryAfter := strconv.FormatInt(int64((o.Lease+time.Second-1)/time.Second), 10)
	o.fallback = newFallbackObserver()
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			key, err := o.Key(r)
			if err == nil && key == "" {
				err = ErrNoKey
			}
			if errors.Is(err, ErrNoBody) { // ReadBody is missing: the receiver's mistake, not the sender's
				reject(o.fallback, w, r, http.StatusInternalServerError, ReasonHandlerFailed, err)
				return
			}
			if err != nil {
				reject(o.fallback, w, r, http.StatusBadRequest, ReasonBadPayload, err)
				return
			}
			st, r := withState(r)
			st.key = key
			ctx := r.Context()

			res, err := o.Store.Reserve(ctx, key, o.Lease)
			if err != nil {
				storeFailed(o.fallback, r, "reserve", key, err)
				if o.FailClosed {
					w.Header().Set("Retry-After", retryAfter)
					reject(o.fallback, w, r, http.StatusServiceUnavailable, ReasonStoreUnavailable, err)
					return
				}
				o.Logger.LogAttrs(ctx, slog.LevelError, "bankhook: dedupe store failed; handling without dedupe",
					slog.String("key", key), slog.String("error", err.Error()))
				next.ServeHTTP(w, r)
				return
			}
			switch res.State {
			case Done:
				replay(&o, w, r, key, res.Status)
				return
			case InFlight:
				w.Header().Set("Retry-After", retryAfter)
				reject(o.fallback, w, r, http.StatusConflict, ReasonInFlight, fmt.Errorf("bankhook: key %q is being handled", key))
				return
			case Reserved:
			default:
				err := fmt.Errorf("bankhook: store answered unknown state %v for key %q", res.State, key)
				storeFailed(o.fallback, r, "reserve", key, err)
				reject(o.fallback, w, r, http.StatusInternalServerError, ReasonStoreUnavailable, err)
				return
			}
			runReserved(o, next, w, r, st, key, res.Token)
		})
	}
}

// replay answers a duplicate of the handled event of key with status, once
// o.checkReplay (when set) accepts it.
func replay(o *DedupeOptions, w http.ResponseWriter, r *http.Request, key string, status int) {
	if o.checkReplay != nil {
		if err := o.checkReplay(r, key); err != nil {
			if errors.Is(err, ErrKeyMismatch) {
				reject(o.fallback, w, r, http.StatusInternalServerError, ReasonHandlerFailed, err)
				return
			}
			reject(o.fallback, w, r, http.StatusBadRequest, ReasonBadPayload, err)
			return
		}
	}
	h := w.Header()
	h[HeaderIdempotentReplayed] = headerTrue
	h["Content-Length"] = headerZero
	w.WriteHeader(status)
	obs, st := observerOf(r, o.fallback)
	obs.Handled(r, Outcome{Status: status, Key: key, Replayed: true, Elapsed: elapsed(st)})
}

// Header values Dedupe writes, shared so that a replay allocates nothing.
// Header values are never modified in place, only replaced.
var (
	headerTrue = []string{"true"}
	headerZero = []string{"0"}
)

func runReserved(o DedupeOptions, next http.Handler, w http.ResponseWriter, r *http.Request, st *reqState, key, token string) {
	// The result must be recorded even when the request is cancelled.
	ctx := context.WithoutCancel(r.Context())
	// The recorder lives in the request's state, which is allocated once
	// per request anyway; a second Dedupe in one chain gets its own.
	rec := &st.rec
	if rec.ResponseWriter != nil {
		rec = &statusRecorder{}
	}
	*rec = statusRecorder{ResponseWriter: w}
	h := &holding{o: &o, r: r, key: key, token: token}
	st.hold = h
	start := time.Now()
	defer func() { *rec = statusRecorder{}; st.hold = nil }()
	done := false
	defer func() {
		if done {
			return
		}
		p := recover()
		if !h.postponed {
			release(ctx, o, r, key, token)
		}
		if p != nil {
			panic(p)
		}
	}()
	next.ServeHTTP(rec, r)
	done = true
	if h.postponed { // the handler settles the key itself
		return
	}
	status := rec.statusOr200()
	// A handler that wrote nothing because its request was cancelled has
	// not handled the event, whatever net/http answers for it.
	if !Acknowledged(status) || (rec.status == 0 && r.Context().Err() != nil) {
		release(ctx, o, r, key, token)
		return
	}
	// The event was handled. Until the store records it, a retry would be
	// handled again: retry a failing store until the handler's deadline
	// (the answer waits, buffered, for this handler to return). Past it,
	// the answer stays 2xx — the event was handled, and a 503 would only
	// make the bank send it again — and the failure is logged and
	// reported.
	if err := completeRetrying(ctx, &o, key, token, status, start.Add(o.completeWithin())); err != nil {
		o.Logger.LogAttrs(ctx, slog.LevelError, "bankhook: dedupe complete failed; a retry may be handled again",
			slog.String("key", key), slog.String("error", err.Error()))
		storeFailed(o.fallback, r, "complete", key, err)
	}
}

// holding is the reservation Dedupe holds while its handler runs, which
// the handler may take over (Postpone).
type holding struct {
	o         *DedupeOptions
	r         *http.Request
	key       string
	token     string
	postponed bool // the handler settles the key itself, through Postpone's settle
}

// completeWithin is how long Complete may be retried after the handler
// started: the receiver's handler deadline, or half the lease for a
// Dedupe used on its own.
func (o *DedupeOptions) completeWithin() time.Duration {
	if o.deadline > 0 {
		return o.deadline
	}
	return o.Lease / 2
}

// Backoff of Complete's retries: the first retry after completeBackoff,
// doubling up to completeMaxBackoff.
const (
	completeBackoff    = 25 * time.Millisecond
	completeMaxBackoff = time.Second
)

// completeRetrying calls Complete until it succeeds, it reports the lease
// lost, or until passes; the first call is made whatever the time. Each
// later call is bounded by the store's own timeout and by until.
func completeRetrying(ctx context.Context, o *DedupeOptions, key, token string, status int, until time.Time) error {
	err := o.Store.Complete(ctx, key, token, status, o.TTL)
	backoff := completeBackoff
	for err != nil && !errors.Is(err, ErrLeaseLost) {
		wait := time.Until(until)
		if wait <= 0 {
			break
		}
		t := time.NewTimer(min(backoff, wait))
		<-t.C
		backoff = min(2*backoff, completeMaxBackoff)
		cctx, cancel := context.WithDeadline(ctx, until)
		if e := o.Store.Complete(cctx, key, token, status, o.TTL); e == nil || cctx.Err() == nil || errors.Is(e, ErrLeaseLost) {
			err = e // a call cut short by until keeps the error before it
		}
		cancel()
	}
	return err
}

// Postpone tells the Dedupe stage serving the request in ctx that its
// handler cannot tell yet whether the event was handled — its write is
// still on its way to the disk, say — and will settle the reservation
// itself. Dedupe then neither completes nor releases the key when the
// handler returns, whatever it answered; the key stays reserved, and a
// retry meanwhile is answered 409 in_flight. The handler should answer
// non-2xx (the bank retries): the event is not known to be handled.
//
// settle must be called once the outcome is known, from any goroutine,
// after the request was answered too: settle(true) marks the key done
// (status 200, so a retry is answered as a replay; a failing store is
// retried for half the lease), settle(false) releases it (a retry is
// handled again). Later calls do nothing. A settle that never comes
// leaves the key to its lease.
//
// ok is false when the request holds no reservation (no Dedupe stage, or
// the store failed and Dedupe fails open): there is nothing to settle.
func Postpone(ctx context.Context) (settle func(handled bool), ok bool) {
	st := stateFrom(ctx)
	if st == nil || st.hold == nil || st.hold.postponed {
		return nil, false
	}
	h := st.hold
	h.postponed = true
	o, r, key, token := h.o, h.r, h.key, h.token
	bg := context.WithoutCancel(ctx)
	var once sync.Once
	return func(handled bool) {
		once.Do(func() {
			if !handled {
				release(bg, *o, r, key, token)
				return
			}
			if err := completeRetrying(bg, o, key, token, http.StatusOK, time.Now().Add(o.Lease/2)); err != nil {
				o.Logger.LogAttrs(bg, slog.LevelError, "bankhook: dedupe complete failed; a retry may be handled again",
					slog.String("key", key), slog.String("error", err.Error()))
				storeFailed(o.fallback, r, "complete", key, err)
			}
		})
	}, true
}

// ReservationFrom returns the reservation held for the request in ctx by
// the Dedupe stage serving it: the stage's store, the event's key and the
// token that fences the reservation. It is there for a handler whose own
// writes and the key's "done" mark must commit together, in one
// transaction of the store's database (pgstore.Handle does this): the
// handler takes the settling over with [Postpone], writes its effects and
// marks key done in one transaction, fenced by token (so that a holder
// whose lease ended cannot mark it), and then calls settle(true), which the
// store must accept as a success that writes nothing. It may use the store
// only if it recognises it (compare s with its own).
//
// ok is false when the request holds no reservation: outside a Dedupe
// stage, when the store failed and Dedupe fails open, for a duplicate, and
// once the handler has returned. A handler that needs the reservation must
// then refuse the event (the bank retries) rather than handle it unmarked.
func ReservationFrom(ctx context.Context) (s Store, key, token string, ok bool) {
	st := stateFrom(ctx)
	if st == nil || st.hold == nil {
		return nil, "", "", false
	}
	return st.hold.o.Store, st.hold.key, st.hold.token, true
}

// release gives key back so that the bank's retry runs the handler again,
// logging and reporting a failure. ctx outlives the request.
func release(ctx context.Context, o DedupeOptions, r *http.Request, key, token string) {
	if err := o.Store.Release(ctx, key, token); err != nil {
		o.Logger.LogAttrs(ctx, slog.LevelError, "bankhook: dedupe release failed",
			slog.String("key", key), slog.String("error", err.Error()))
		storeFailed(o.fallback, r, "release", key, err)
	}
}

// DefaultKey is the default [DedupeOptions.Key]: the decoded event's
// IdempotencyKey, else "sha256:" and the hex SHA-256 of the kept body.
func DefaultKey(r *http.Request) (string, error) {
	s := stateFrom(r.Context())
	if s == nil {
		return "", ErrNoBody
	}
	if s.eventSet {
		if e, ok := s.event.(Event); ok {
			if k := e.IdempotencyKey(); k != "" {
				return k, nil
			}
			return "", ErrNoKey
		}
	}
	body, ok := borrowedBody(s)
	if !ok {
		return "", ErrNoBody
	}
	sum := sha256.Sum256(body)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// IdempotencyKeyFrom returns the key Dedupe computed for the request.
func IdempotencyKeyFrom(ctx context.Context) (string, bool) {
	s := stateFrom(ctx)
	if s == nil || s.key == "" {
		return "", false
	}
	return s.key, true
}

func elapsed(s *reqState) time.Duration {
	if s == nil || s.start.IsZero() {
		return 0
	}
	return time.Since(s.start)
}

// statusRecorder remembers the status the wrapped handler answered.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 && code >= 200 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (s *statusRecorder) statusOr200() int {
	if s.status == 0 {
		return http.StatusOK
	}
	return s.status
}
