package bankhook_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
)

// stallingStore is an LRUStore whose Complete fails while failures is
// above zero, counting down, as a Redis that stalls for a while does.
type stallingStore struct {
	*bankhook.LRUStore
	failures  atomic.Int32
	completes atomic.Int32
}

var errStalled = errors.New("store: i/o timeout")

func (s *stallingStore) Complete(ctx context.Context, key, token string, status int, ttl time.Duration) error {
	s.completes.Add(1)
	if s.failures.Add(-1) >= 0 {
		return errStalled
	}
	return s.LRUStore.Complete(ctx, key, token, status, ttl)
}

// TestDedupeCompleteRetried: a store that fails Complete for a while is
// retried until it records the key, before the 2xx goes out; the retry of
// the event is then a replay. Both for a handler that writes its 2xx and
// for one that writes nothing.
func TestDedupeCompleteRetried(t *testing.T) {
	for _, tc := range []struct {
		name string
		do   func(http.ResponseWriter, *http.Request)
	}{
		{"writes_200", answer(http.StatusOK)},
		{"writes_nothing", func(http.ResponseWriter, *http.Request) {}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := &stallingStore{LRUStore: bankhook.NewLRUStore(bankhook.LRUStoreOptions{})}
			store.failures.Store(3)
			app := &dedupeApp{do: tc.do}
			h := dedupeChain(bankhook.DedupeOptions{Store: store, FailClosed: true}, app)
			assert.Equal(t, http.StatusOK, deliver(h, dedupeBody("a")).Code)
			assert.Equal(t, int32(4), store.completes.Load(), "three failed calls, then one that succeeded")
			assertReplayed(t, deliver(h, dedupeBody("a")), http.StatusOK)
			assert.Len(t, app.ids(), 1)
		})
	}
}

// TestDedupeCompleteFailsPastDeadline: when the store does not record a
// handled event before the handler's deadline, the 2xx goes out all the
// same (the event was handled), the failure is logged with the key and
// reported, and the key stays reserved (a retry meets 409 in_flight)
// until its lease ends; a delivery after that is handled again. It runs
// in a synctest bubble: the deadline, the retries' pauses and the store's
// lease are on its clock, which the test moves to just before the lease
// ends, then past it.
func TestDedupeCompleteFailsPastDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := &stallingStore{LRUStore: bankhook.NewLRUStore(bankhook.LRUStoreOptions{})}
		store.failures.Store(1 << 30)
		var failed []string
		var calls atomic.Int32
		var logs lockedBuffer
		const deadline, lease = 100 * time.Millisecond, 300 * time.Millisecond
		allow, err := bankhook.NewIPAllowlist("192.0.2.0/24") // httptest's sender
		require.NoError(t, err)
		h, err := bankhook.NewReceiver(decodeDedupeEvent, func(context.Context, *dedupeEvent) error {
			calls.Add(1)
			return nil
		}, bankhook.ReceiverOptions{
			Allow:    allow,
			Observer: bankhook.ObserverFuncs{OnStoreFailed: func(_ *http.Request, f bankhook.StoreFailure) { failed = append(failed, f.Op) }},
			Dedupe:   bankhook.DedupeOptions{Store: store, FailClosed: true, Lease: lease, Logger: slog.New(slog.NewTextHandler(&logs, nil))},
			Deadline: deadline,
		})
		require.NoError(t, err)
		start := time.Now() // the key is reserved now, when no time has passed
		assert.Equal(t, http.StatusOK, deliver(h, dedupeBody("a")).Code)
		assert.GreaterOrEqual(t, time.Since(start), deadline, "Complete retried until the deadline")
		assert.Greater(t, store.completes.Load(), int32(2))
		assert.Equal(t, []string{"complete"}, failed)
		assert.Contains(t, logs.String(), "bankhook: dedupe complete failed; a retry may be handled again")
		assert.Contains(t, logs.String(), "key=evt:a")

		problemOf(t, deliver(h, dedupeBody("a")), http.StatusConflict, bankhook.ReasonInFlight)
		store.failures.Store(0)
		// A millisecond before the lease ends, the key is still reserved.
		time.Sleep(lease - time.Since(start) - time.Millisecond)
		problemOf(t, deliver(h, dedupeBody("a")), http.StatusConflict, bankhook.ReasonInFlight)
		time.Sleep(time.Millisecond) // the lease ends: the key can be taken again
		assert.Equal(t, http.StatusOK, deliver(h, dedupeBody("a")).Code)
		assert.Equal(t, int32(2), calls.Load(), "handled again once the lease ended, as logged")
	})
}

// TestPostpone: a handler that cannot tell yet whether it handled the
// event postpones; the key stays reserved whatever it answered, until
// settle says: true makes the retry a replay, false lets it be handled
// again.
func TestPostpone(t *testing.T) {
	for _, handled := range []bool{true, false} {
		t.Run(map[bool]string{true: "handled", false: "not_handled"}[handled], func(t *testing.T) {
			var (
				mu     sync.Mutex // guards settle
				settle func(bool)
			)
			calls := 0
			app := &dedupeApp{do: func(w http.ResponseWriter, r *http.Request) {
				calls++
				if calls > 1 {
					return
				}
				s, ok := bankhook.Postpone(r.Context())
				require.True(t, ok)
				_, again := bankhook.Postpone(r.Context())
				assert.False(t, again, "postponed once")
				mu.Lock()
				settle = s
				mu.Unlock()
				w.WriteHeader(http.StatusServiceUnavailable)
			}}
			h := dedupeChain(bankhook.DedupeOptions{}, app)
			assert.Equal(t, http.StatusServiceUnavailable, deliver(h, dedupeBody("a")).Code)
			problemOf(t, deliver(h, dedupeBody("a")), http.StatusConflict, bankhook.ReasonInFlight)

			mu.Lock()
			settle(handled)
			settle(!handled) // a second call does nothing
			mu.Unlock()
			if handled {
				assertReplayed(t, deliver(h, dedupeBody("a")), http.StatusOK)
				assert.Equal(t, 1, calls)
			} else {
				assert.Equal(t, http.StatusOK, deliver(h, dedupeBody("a")).Code)
				assert.Equal(t, 2, calls)
			}
		})
	}
}

// TestPostponeWithoutReservation: outside a Dedupe stage there is nothing
// to settle.
func TestPostponeWithoutReservation(t *testing.T) {
	_, ok := bankhook.Postpone(context.Background())
	assert.False(t, ok)
}

// TestReservationFrom: the handler behind a Dedupe stage that holds a
// reservation sees the stage's store, the key and a token that holds it,
// before and after Postpone; without a reservation there is none.
func TestReservationFrom(t *testing.T) {
	t.Run("reserved", func(t *testing.T) {
		store := bankhook.NewLRUStore(bankhook.LRUStoreOptions{})
		var after context.Context
		app := &dedupeApp{do: func(w http.ResponseWriter, r *http.Request) {
			ctx := r.Context()
			after = ctx
			s, key, token, ok := bankhook.ReservationFrom(ctx)
			require.True(t, ok)
			assert.Same(t, store, s, "the stage's store")
			assert.Equal(t, "evt:a", key)
			settle, ok := bankhook.Postpone(ctx)
			require.True(t, ok)
			_, key2, token2, ok := bankhook.ReservationFrom(ctx)
			require.True(t, ok, "still held once postponed")
			assert.Equal(t, key, key2)
			assert.Equal(t, token, token2)
			// What a transactional handler does in its store: mark the key
			// done with the token (fenced), then settle.
			require.NoError(t, s.Complete(ctx, key, token, http.StatusOK, time.Hour))
			// settle(true) would complete it a second time, which an
			// LRUStore refuses (ErrLeaseLost) and pgstore's Store accepts
			// for the same token and status: here it is left unsettled.
			_ = settle
		}}
		h := dedupeChain(bankhook.DedupeOptions{Store: store}, app)
		assert.Equal(t, http.StatusOK, deliver(h, dedupeBody("a")).Code)
		assertReplayed(t, deliver(h, dedupeBody("a")), http.StatusOK)
		assert.Equal(t, []string{"a"}, app.ids())
		_, _, _, ok := bankhook.ReservationFrom(after)
		assert.False(t, ok, "none once the handler returned")
	})

	errDown := errors.New("store: connection refused")
	for _, tc := range []struct {
		name string
		h    func(app http.Handler) http.Handler
	}{
		{"no_dedupe", func(app http.Handler) http.Handler {
			return bankhook.Chain(app, bankhook.ReadBody(bankhook.BodyOptions{}), bankhook.Decode(decodeDedupeEvent))
		}},
		{"fail_open", func(app http.Handler) http.Handler {
			return dedupeChain(bankhook.DedupeOptions{Store: failingStore{err: errDown}}, app)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			called := false
			app := http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
				called = true
				s, key, token, ok := bankhook.ReservationFrom(r.Context())
				assert.False(t, ok)
				assert.Nil(t, s)
				assert.Empty(t, key)
				assert.Empty(t, token)
			})
			assert.Equal(t, http.StatusOK, deliver(tc.h(app), dedupeBody("a")).Code)
			assert.True(t, called)
		})
	}
	t.Run("no_request", func(t *testing.T) {
		_, _, _, ok := bankhook.ReservationFrom(context.Background())
		assert.False(t, ok)
	})
}

// timeoutStore is an LRUStore that says each of its calls may take d.
type timeoutStore struct {
	*bankhook.LRUStore
	d time.Duration
}

func (s timeoutStore) Timeout() time.Duration { return s.d }

// TestNewReceiverLeaseCoversStoreTimeout: the lease must outlast the
// handler's deadline plus one call of a store that names its timeout.
func TestNewReceiverLeaseCoversStoreTimeout(t *testing.T) {
	handle := func(context.Context, *dedupeEvent) error { return nil }
	for _, tc := range []struct {
		name    string
		timeout time.Duration
		wantErr bool
	}{
		{"fits", 30 * time.Second, false},
		{"too_long", 35 * time.Second, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := bankhook.NewReceiver(decodeDedupeEvent, handle, bankhook.ReceiverOptions{
				Tokens: []string{"t"},
				Dedupe: bankhook.DedupeOptions{Store: timeoutStore{bankhook.NewLRUStore(bankhook.LRUStoreOptions{}), tc.timeout}},
			})
			if tc.wantErr {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "plus the store's call timeout 35s")
			} else {
				require.NoError(t, err)
			}
		})
	}
}
