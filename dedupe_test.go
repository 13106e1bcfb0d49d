package bankhook_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/hooktest"
)

func TestLRUStoreConformance(t *testing.T) {
	var clocks sync.Map // *testing.T → *hooktest.Clock
	hooktest.TestStore(t, hooktest.StoreHarness{
		New: func(t *testing.T) bankhook.Store {
			c := hooktest.NewClock(hooktest.Epoch())
			clocks.Store(t, c)
			return bankhook.NewLRUStore(bankhook.LRUStoreOptions{Now: c.Now})
		},
		Advance: func(t *testing.T, d time.Duration) {
			c, ok := clocks.Load(t)
			require.True(t, ok, "Advance for a test without a store")
			c.(*hooktest.Clock).Advance(d)
		},
	})
}

// completeKey reserves key in s and marks it done with 200.
func completeKey(t *testing.T, s bankhook.Store, key string) {
	t.Helper()
	res, err := s.Reserve(t.Context(), key, time.Minute)
	require.NoError(t, err)
	require.Equal(t, bankhook.Reserved, res.State, "key %q", key)
	require.NoError(t, s.Complete(t.Context(), key, res.Token, http.StatusOK, time.Hour))
}

func stateOf(t *testing.T, s bankhook.Store, key string) bankhook.State {
	t.Helper()
	res, err := s.Reserve(t.Context(), key, time.Minute)
	require.NoError(t, err)
	return res.State
}

func TestLRUStoreEviction(t *testing.T) {
	s := bankhook.NewLRUStore(bankhook.LRUStoreOptions{Capacity: 2})
	completeKey(t, s, "a")
	completeKey(t, s, "b")
	completeKey(t, s, "c") // evicts a, the least recently used
	assert.Equal(t, 2, s.Len())
	assert.Equal(t, bankhook.Done, stateOf(t, s, "b"))
	assert.Equal(t, bankhook.Reserved, stateOf(t, s, "a"), "an evicted key is forgotten")
	assert.Equal(t, bankhook.Reserved, stateOf(t, s, "c"), "a, reserved again, evicted c")
	assert.Equal(t, 2, s.Len())
}

// TestLRUStoreEvictionRedelivery: an event whose key was evicted is
// handled again when the bank delivers it once more.
func TestLRUStoreEvictionRedelivery(t *testing.T) {
	app := &dedupeApp{}
	h := dedupeChain(bankhook.DedupeOptions{Store: bankhook.NewLRUStore(bankhook.LRUStoreOptions{Capacity: 1})}, app)
	for _, id := range []string{"a", "b", "a"} {
		require.Equal(t, http.StatusOK, deliver(h, dedupeBody(id)).Code)
	}
	assert.Equal(t, []string{"a", "b", "a"}, app.ids())
}

func TestLRUStoreDefaultCapacity(t *testing.T) {
	for _, tc := range []struct {
		name string
		new  func() *bankhook.LRUStore
	}{
		{"zero", func() *bankhook.LRUStore { return bankhook.NewLRUStore(bankhook.LRUStoreOptions{}) }},
		{"negative", func() *bankhook.LRUStore { return bankhook.NewLRUStore(bankhook.LRUStoreOptions{Capacity: -1}) }},
		{"options", func() *bankhook.LRUStore { return bankhook.NewLRUStore(bankhook.LRUStoreOptions{}) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.new()
			ctx := t.Context()
			for i := range bankhook.DefaultLRUCapacity + 1 {
				key := strconv.Itoa(i)
				res, err := s.Reserve(ctx, key, time.Minute)
				require.NoError(t, err)
				require.NoError(t, s.Complete(ctx, key, res.Token, http.StatusOK, time.Hour))
			}
			assert.Equal(t, bankhook.DefaultLRUCapacity, s.Len())
			assert.Equal(t, bankhook.Done, stateOf(t, s, "1"), "the newest 100,000 keys are kept")
			assert.Equal(t, bankhook.Reserved, stateOf(t, s, "0"), "the oldest key was evicted")
		})
	}
}

// dedupeEvent is the event of the Dedupe tests: {"id":"…"}.
type dedupeEvent struct {
	ID string `json:"id"`
}

// IdempotencyKey is "evt:" and the id; "" (no key) without an id.
func (e *dedupeEvent) IdempotencyKey() string {
	if e.ID == "" {
		return ""
	}
	return "evt:" + e.ID
}

func decodeDedupeEvent(body []byte) (*dedupeEvent, error) {
	var e dedupeEvent
	if err := json.Unmarshal(body, &e); err != nil {
		return nil, &bankhook.DecodeError{Provider: "test", Err: err}
	}
	return &e, nil
}

func dedupeBody(id string) string { return `{"id":"` + id + `"}` }

// dedupeApp is the application behind Dedupe: it records every call and
// answers with do (200 when do is nil). It is safe for concurrent use.
type dedupeApp struct {
	do func(w http.ResponseWriter, r *http.Request)

	mu    sync.Mutex // guards calls
	calls []string   // the idempotency key of each call, or the body
}

func (a *dedupeApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := ""
	if e, ok := bankhook.EventFrom[*dedupeEvent](r.Context()); ok {
		id = e.ID
	}
	a.mu.Lock()
	a.calls = append(a.calls, id)
	a.mu.Unlock()
	if a.do != nil {
		a.do(w, r)
	}
}

func (a *dedupeApp) ids() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.calls...)
}

func answer(status int) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(status) }
}

// dedupeChain is outer → ReadBody → Decode → Dedupe(o) → app. It reports
// to no one unless outer has an Observe stage and o.Logger is set.
func dedupeChain(o bankhook.DedupeOptions, app http.Handler, outer ...bankhook.Middleware) http.Handler {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if len(outer) == 0 {
		outer = []bankhook.Middleware{bankhook.Observe(bankhook.ObserverFuncs{})}
	}
	mw := append(outer,
		bankhook.ReadBody(bankhook.BodyOptions{}),
		bankhook.Decode(decodeDedupeEvent),
		bankhook.Dedupe(o))
	return bankhook.Chain(app, mw...)
}

func deliver(h http.Handler, body string) *httptest.ResponseRecorder {
	return deliverCtx(context.Background(), h, body)
}

func deliverCtx(ctx context.Context, h http.Handler, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequestWithContext(ctx, http.MethodPost, "/hook", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

func assertReplayed(t *testing.T, rec *httptest.ResponseRecorder, status int) {
	t.Helper()
	assert.Equal(t, status, rec.Code)
	assert.Equal(t, "true", rec.Header().Get(bankhook.HeaderIdempotentReplayed))
	assert.Empty(t, rec.Body.String())
}

func TestDedupeHandledThenReplayed(t *testing.T) {
	for _, status := range []int{http.StatusOK, http.StatusAccepted, http.StatusNoContent} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			var seen observed
			store := bankhook.NewLRUStore(bankhook.LRUStoreOptions{})
			app := &dedupeApp{do: answer(status)}
			h := dedupeChain(bankhook.DedupeOptions{Store: store}, app, seen.observer())

			first := deliver(h, dedupeBody("a"))
			assert.Equal(t, status, first.Code)
			assert.Empty(t, first.Header().Get(bankhook.HeaderIdempotentReplayed))
			res, err := store.Reserve(t.Context(), "evt:a", time.Minute)
			require.NoError(t, err)
			assert.Equal(t, bankhook.Reservation{State: bankhook.Done, Status: status}, res)

			for range 2 {
				assertReplayed(t, deliver(h, dedupeBody("a")), status)
			}
			assert.Len(t, app.ids(), 1, "a duplicate never reaches the application")
			require.Len(t, seen.handled, 2)
			assert.Equal(t, bankhook.Outcome{Status: status, Key: "evt:a", Replayed: true, Elapsed: seen.handled[0].Elapsed}, seen.handled[0])
		})
	}
}

// TestDedupeNotHandledIsReleased: every answer but a 2xx, a panic and a
// cancelled request with nothing written release the key, so the bank's
// retry runs the application again; a 2xx after that is kept.
func TestDedupeNotHandledIsReleased(t *testing.T) {
	for _, tc := range []struct {
		name  string
		first func(w http.ResponseWriter, r *http.Request, cancel context.CancelFunc)
		// wantPanic is the value the first delivery re-panics with.
		wantPanic any
	}{
		{"status_500", func(w http.ResponseWriter, _ *http.Request, _ context.CancelFunc) {
			w.WriteHeader(http.StatusInternalServerError)
		}, nil},
		{"status_503", func(w http.ResponseWriter, _ *http.Request, _ context.CancelFunc) {
			http.Error(w, "later", http.StatusServiceUnavailable)
		}, nil},
		{"status_302", func(w http.ResponseWriter, r *http.Request, _ context.CancelFunc) {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		}, nil},
		{"status_400", func(w http.ResponseWriter, _ *http.Request, _ context.CancelFunc) {
			w.WriteHeader(http.StatusBadRequest)
		}, nil},
		{"panic", func(http.ResponseWriter, *http.Request, context.CancelFunc) {
			panic("application bug")
		}, "application bug"},
		{"abort", func(w http.ResponseWriter, _ *http.Request, _ context.CancelFunc) {
			w.WriteHeader(http.StatusOK) // written, then the connection is dropped
			panic(http.ErrAbortHandler)
		}, http.ErrAbortHandler},
		{"cancelled_nothing_written", func(_ http.ResponseWriter, _ *http.Request, cancel context.CancelFunc) {
			cancel() // the bank hung up; the application gave up
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			calls := 0
			app := &dedupeApp{do: func(w http.ResponseWriter, r *http.Request) {
				calls++
				if calls == 1 {
					tc.first(w, r, cancel)
					return
				}
				w.WriteHeader(http.StatusOK)
			}}
			h := dedupeChain(bankhook.DedupeOptions{}, app)

			if tc.wantPanic != nil {
				assert.PanicsWithValue(t, tc.wantPanic, func() { deliverCtx(ctx, h, dedupeBody("a")) })
			} else {
				assert.NotEqual(t, "true", deliverCtx(ctx, h, dedupeBody("a")).Header().Get(bankhook.HeaderIdempotentReplayed))
			}
			assert.Equal(t, http.StatusOK, deliver(h, dedupeBody("a")).Code, "the retry runs the application again")
			assertReplayed(t, deliver(h, dedupeBody("a")), http.StatusOK)
			assert.Equal(t, 2, calls)
		})
	}
}

// TestDedupeCancelledAfterAnswer: a request cancelled after the
// application answered 2xx was handled; the key is done.
func TestDedupeCancelledAfterAnswer(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	app := &dedupeApp{do: func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		cancel()
	}}
	h := dedupeChain(bankhook.DedupeOptions{}, app)
	assert.Equal(t, http.StatusAccepted, deliverCtx(ctx, h, dedupeBody("a")).Code)
	assertReplayed(t, deliver(h, dedupeBody("a")), http.StatusAccepted)
	assert.Len(t, app.ids(), 1)
}

func TestDedupeNothingWrittenIsHandled(t *testing.T) {
	app := &dedupeApp{do: func(http.ResponseWriter, *http.Request) {}}
	h := dedupeChain(bankhook.DedupeOptions{}, app)
	assert.Equal(t, http.StatusOK, deliver(h, dedupeBody("a")).Code)
	assertReplayed(t, deliver(h, dedupeBody("a")), http.StatusOK)
	assert.Len(t, app.ids(), 1)
}

// TestDedupeInFlight: a delivery of an event being handled is answered 409
// with Retry-After (the lease, in whole seconds rounded up), and the
// first delivery still completes.
func TestDedupeInFlight(t *testing.T) {
	for _, tc := range []struct {
		name       string
		lease      time.Duration
		retryAfter string
	}{
		{"default_lease", 0, "60"},
		{"whole_seconds", 90 * time.Second, "90"},
		{"rounded_up", 1500 * time.Millisecond, "2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			entered, release := make(chan struct{}), make(chan struct{})
			app := &dedupeApp{do: func(w http.ResponseWriter, _ *http.Request) {
				close(entered)
				<-release
				w.WriteHeader(http.StatusOK)
			}}
			h := dedupeChain(bankhook.DedupeOptions{Lease: tc.lease}, app)

			first := make(chan *httptest.ResponseRecorder)
			go func() { first <- deliver(h, dedupeBody("a")) }()
			<-entered

			rec := deliver(h, dedupeBody("a"))
			problemOf(t, rec, http.StatusConflict, bankhook.ReasonInFlight)
			assert.Equal(t, tc.retryAfter, rec.Header().Get("Retry-After"))

			close(release)
			assert.Equal(t, http.StatusOK, (<-first).Code)
			assertReplayed(t, deliver(h, dedupeBody("a")), http.StatusOK)
			assert.Len(t, app.ids(), 1)
		})
	}
}

// TestDedupeLeaseAndTTLExpiry: a holder that crashed blocks the event
// only until its lease ends; a handled event is remembered for the TTL.
func TestDedupeLeaseAndTTLExpiry(t *testing.T) {
	clock := hooktest.NewClock(hooktest.Epoch())
	store := bankhook.NewLRUStore(bankhook.LRUStoreOptions{Now: clock.Now})
	app := &dedupeApp{}
	h := dedupeChain(bankhook.DedupeOptions{Store: store, Lease: time.Minute, TTL: time.Hour}, app)

	// Another process reserved the event and crashed.
	_, err := store.Reserve(t.Context(), "evt:a", time.Minute)
	require.NoError(t, err)
	problemOf(t, deliver(h, dedupeBody("a")), http.StatusConflict, bankhook.ReasonInFlight)
	clock.Advance(time.Minute)
	assert.Equal(t, http.StatusOK, deliver(h, dedupeBody("a")).Code)

	clock.Advance(time.Hour - time.Nanosecond)
	assertReplayed(t, deliver(h, dedupeBody("a")), http.StatusOK)
	clock.Advance(time.Nanosecond)
	rec := deliver(h, dedupeBody("a"))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Empty(t, rec.Header().Get(bankhook.HeaderIdempotentReplayed), "forgotten after the TTL")
	assert.Equal(t, []string{"a", "a"}, app.ids())
}

// failingStore fails every call with err, or only Complete and Release
// when reserve is set.
type failingStore struct {
	err     error
	reserve bankhook.Store
}

func (s failingStore) Reserve(ctx context.Context, key string, lease time.Duration) (bankhook.Reservation, error) {
	if s.reserve != nil {
		return s.reserve.Reserve(ctx, key, lease)
	}
	return bankhook.Reservation{}, s.err
}

func (s failingStore) Complete(context.Context, string, string, int, time.Duration) error {
	return s.err
}
func (s failingStore) Release(context.Context, string, string) error { return s.err }

// unknownStateStore answers every Reserve with a state Dedupe does not know.
type unknownStateStore struct{ failingStore }

func (unknownStateStore) Reserve(context.Context, string, time.Duration) (bankhook.Reservation, error) {
	return bankhook.Reservation{State: 42}, nil
}

func TestDedupeStoreFailure(t *testing.T) {
	errDown := errors.New("store: connection refused")
	for _, tc := range []struct {
		name       string
		store      bankhook.Store
		failClosed bool
		app        func(http.ResponseWriter, *http.Request)
		want       int
		reason     bankhook.Reason // for a rejection
		calls      int
		log        string   // what the logger is told
		failed     []string // the operations reported to the Observer's StoreFailed
	}{
		{"reserve_fails_open", failingStore{err: errDown}, false, nil, http.StatusOK, "", 1,
			"bankhook: dedupe store failed; handling without dedupe", []string{"reserve"}},
		{"reserve_fails_open_app_fails", failingStore{err: errDown}, false, answer(http.StatusInternalServerError),
			http.StatusInternalServerError, "", 1, "bankhook: dedupe store failed; handling without dedupe", []string{"reserve"}},
		{"reserve_fails_closed", failingStore{err: errDown}, true, nil, http.StatusServiceUnavailable,
			bankhook.ReasonStoreUnavailable, 0, "", []string{"reserve"}},
		{"complete_fails_open", failingStore{err: errDown, reserve: bankhook.NewLRUStore(bankhook.LRUStoreOptions{})}, false, nil, http.StatusOK, "", 1,
			"bankhook: dedupe complete failed; a retry may be handled again", []string{"complete"}},
		{"complete_fails_closed", failingStore{err: errDown, reserve: bankhook.NewLRUStore(bankhook.LRUStoreOptions{})}, true, nil, http.StatusOK, "", 1,
			"bankhook: dedupe complete failed; a retry may be handled again", []string{"complete"}},
		{"release_fails", failingStore{err: errDown, reserve: bankhook.NewLRUStore(bankhook.LRUStoreOptions{})}, true, answer(http.StatusBadGateway),
			http.StatusBadGateway, "", 1, "bankhook: dedupe release failed", []string{"release"}},
		{"unknown_state", unknownStateStore{}, false, nil, http.StatusInternalServerError,
			bankhook.ReasonStoreUnavailable, 0, "", []string{"reserve"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			var failed []string
			app := &dedupeApp{do: tc.app}
			h := dedupeChain(bankhook.DedupeOptions{
				Store:      tc.store,
				FailClosed: tc.failClosed,
				Lease:      100 * time.Millisecond, // a failing Complete is retried for half of it
				Logger:     slog.New(slog.NewTextHandler(&logs, nil)),
			}, app, bankhook.Observe(bankhook.ObserverFuncs{
				OnStoreFailed: func(_ *http.Request, f bankhook.StoreFailure) {
					assert.Equal(t, "evt:a", f.Key)
					assert.Error(t, f.Err)
					failed = append(failed, f.Op)
				},
			}))
			rec := deliver(h, dedupeBody("a"))
			assert.Equal(t, tc.failed, failed, "reported to the Observer's StoreFailed")
			if tc.reason != "" {
				problemOf(t, rec, tc.want, tc.reason)
			} else {
				assert.Equal(t, tc.want, rec.Code)
			}
			if tc.want == http.StatusServiceUnavailable {
				assert.Equal(t, "1", rec.Header().Get("Retry-After"))
			}
			assert.Len(t, app.ids(), tc.calls)
			if tc.log != "" {
				assert.Contains(t, logs.String(), tc.log)
				assert.Contains(t, logs.String(), "key=evt:a")
				assert.Contains(t, logs.String(), errDown.Error())
			} else {
				assert.Empty(t, logs.String())
			}
		})
	}
}

func TestDedupeCustomKey(t *testing.T) {
	errNoHeader := errors.New("no X-Event-Id")
	key := func(r *http.Request) (string, error) {
		if _, ok := r.Header["X-Event-Id"]; !ok {
			return "", errNoHeader
		}
		return r.Header.Get("X-Event-Id"), nil
	}
	var keys []string
	app := &dedupeApp{do: func(w http.ResponseWriter, r *http.Request) {
		k, _ := bankhook.IdempotencyKeyFrom(r.Context())
		keys = append(keys, k)
	}}
	h := dedupeChain(bankhook.DedupeOptions{Key: key}, app)
	send := func(id, body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, "/hook", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		if id != "-" {
			r.Header.Set("X-Event-Id", id)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec
	}

	assert.Equal(t, http.StatusOK, send("k1", dedupeBody("a")).Code)
	assertReplayed(t, send("k1", dedupeBody("b")), http.StatusOK) // the key decides, not the event
	assert.Equal(t, http.StatusOK, send("k2", dedupeBody("a")).Code)
	problemOf(t, send("-", dedupeBody("a")), http.StatusBadRequest, bankhook.ReasonBadPayload)
	problemOf(t, send("", dedupeBody("a")), http.StatusBadRequest, bankhook.ReasonBadPayload)
	assert.Equal(t, []string{"k1", "k2"}, keys)
}

// TestDedupeEventKey: the decoded event's key decides, whatever the
// body's formatting.
func TestDedupeEventKey(t *testing.T) {
	app := &dedupeApp{}
	h := dedupeChain(bankhook.DedupeOptions{}, app)
	assert.Equal(t, http.StatusOK, deliver(h, `{"id":"a"}`).Code)
	assertReplayed(t, deliver(h, "{ \"id\" : \"a\", \"extra\": 1 }\n"), http.StatusOK)
	problemOf(t, deliver(h, `{"id":""}`), http.StatusBadRequest, bankhook.ReasonBadPayload) // an empty key
	assert.Equal(t, []string{"a"}, app.ids())
}

// TestDedupeBodyKey: without a decoded event, the key is the SHA-256 of
// the body.
func TestDedupeBodyKey(t *testing.T) {
	var keys []string
	app := http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		k, ok := bankhook.IdempotencyKeyFrom(r.Context())
		assert.True(t, ok)
		keys = append(keys, k)
	})
	h := bankhook.Chain(app, bankhook.Observe(bankhook.ObserverFuncs{}), bankhook.ReadBody(bankhook.BodyOptions{}), bankhook.Dedupe(bankhook.DedupeOptions{}))
	bodyKey := func(body string) string {
		sum := sha256.Sum256([]byte(body))
		return "sha256:" + hex.EncodeToString(sum[:])
	}

	assert.Equal(t, http.StatusOK, deliver(h, `{"id":"a"}`).Code)
	assertReplayed(t, deliver(h, `{"id":"a"}`), http.StatusOK)
	assert.Equal(t, http.StatusOK, deliver(h, `{"id": "a"}`).Code, "another body is another event")
	assert.Equal(t, []string{bodyKey(`{"id":"a"}`), bodyKey(`{"id": "a"}`)}, keys)
}

// TestDedupeWithoutBody: Dedupe with the default key and no ReadBody
// before it is a configuration mistake: 500, as for every stage that
// needs the body, never a 2xx.
func TestDedupeWithoutBody(t *testing.T) {
	var seen observed
	app := &dedupeApp{}
	h := bankhook.Chain(app, seen.observer(), bankhook.Dedupe(bankhook.DedupeOptions{}))
	problemOf(t, deliver(h, dedupeBody("a")), http.StatusInternalServerError, bankhook.ReasonHandlerFailed)
	require.Len(t, seen.rejected, 1)
	assert.ErrorIs(t, seen.rejected[0].Err, bankhook.ErrNoBody)
	assert.Empty(t, app.ids())
}

// BenchmarkDedupe measures the Dedupe middleware on the LRU store: a
// first delivery (reserve, application, complete) and a duplicate
// (answered from the store). Observe is outermost, as in a receiver, so
// the request state exists; the key comes from a header, so neither
// ReadBody nor Decode is measured.
func BenchmarkDedupe(b *testing.B) {
	for _, tc := range []struct {
		name string
		key  func() func(*http.Request) (string, error)
	}{
		{"new_key", func() func(*http.Request) (string, error) {
			var n atomic.Uint64
			return func(*http.Request) (string, error) { return strconv.FormatUint(n.Add(1), 36), nil }
		}},
		{"duplicate", func() func(*http.Request) (string, error) {
			return func(*http.Request) (string, error) { return "evt:dup", nil }
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			app := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
			h := bankhook.Dedupe(bankhook.DedupeOptions{Key: tc.key()})(app)
			// In a chain the outer stages (Observe, ReadBody) attach the
			// request's state once; take a request that carries it, so
			// that this measures the dedupe step alone.
			var r *http.Request
			bankhook.Observe(bankhook.ObserverFuncs{})(http.HandlerFunc(func(_ http.ResponseWriter, in *http.Request) { r = in })).
				ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/hook", http.NoBody))
			w := &benchWriter{h: make(http.Header)}
			h.ServeHTTP(w, r) // the duplicate's first delivery
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				h.ServeHTTP(w, r)
			}
			if w.status != http.StatusOK {
				b.Fatalf("status %d", w.status)
			}
		})
	}
}

// BenchmarkLRUStore measures the store calls alone: Reserve and Complete
// of a new key, Reserve of a done one.
func BenchmarkLRUStore(b *testing.B) {
	ctx := context.Background()
	b.Run("new_key", func(b *testing.B) {
		s := bankhook.NewLRUStore(bankhook.LRUStoreOptions{})
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			key := strconv.Itoa(i)
			res, _ := s.Reserve(ctx, key, time.Minute)
			if err := s.Complete(ctx, key, res.Token, http.StatusOK, time.Hour); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("duplicate", func(b *testing.B) {
		s := bankhook.NewLRUStore(bankhook.LRUStoreOptions{})
		res, _ := s.Reserve(ctx, "evt:dup", time.Minute)
		if err := s.Complete(ctx, "evt:dup", res.Token, http.StatusOK, time.Hour); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if res, _ := s.Reserve(ctx, "evt:dup", time.Minute); res.State != bankhook.Done {
				b.Fatalf("state %v", res.State)
			}
		}
	})
}

// benchWriter is a ResponseWriter that keeps only the header map and the
// status.
type benchWriter struct {
	h      http.Header
	status int
}

func (w *benchWriter) Header() http.Header         { return w.h }
func (w *benchWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *benchWriter) WriteHeader(status int)      { w.status = status }
