package bench

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/bench/workload"
	"github.com/bankhook/bankhook/bunq"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chainSender is the RemoteAddr of every chain request: inside bunq's
// production range, so the allowlist passes it.
const chainSender = "185.40.108.17:41234"

// guardChain is workload.GuardChain, failing tb on a setup error.
func guardChain(tb testing.TB) http.Handler {
	tb.Helper()
	h, err := workload.GuardChain()
	require.NoError(tb, err)
	return h
}

// fullReceiver is workload.FullReceiver, failing tb on a setup error.
func fullReceiver(tb testing.TB, store bankhook.Store, handled func(*bunq.Payment)) http.Handler {
	tb.Helper()
	h, err := workload.FullReceiver(store, handled)
	require.NoError(tb, err)
	return h
}

// fullStore returns the dedupe store of the full pipeline: an LRUStore of
// the default 100,000 keys, filled to capacity with keys of other events,
// as the store of a receiver that has been running for a while is. Every
// new event then also evicts the oldest key.
func fullStore(tb testing.TB) *bankhook.LRUStore {
	tb.Helper()
	s := bankhook.NewLRUStore(bankhook.LRUStoreOptions{Capacity: bankhook.DefaultLRUCapacity})
	ctx := context.Background()
	for i := range bankhook.DefaultLRUCapacity {
		key := "bunq:MUTATION:MUTATION_CREATED:Payment:" + strconv.Itoa(i) + "@2025-03-14T09:12:44.11823Z"
		res, err := s.Reserve(ctx, key, bankhook.DefaultLease)
		require.NoError(tb, err)
		require.NoError(tb, s.Complete(ctx, key, res.Token, http.StatusOK, bankhook.DefaultDedupeTTL))
	}
	return s
}

// chainRequest is one reusable POST from chainSender whose body can be
// rewound for the next iteration without allocating.
type chainRequest struct {
	r    *http.Request
	body *bytes.Reader
}

func newChainRequest(body []byte) *chainRequest {
	rd := bytes.NewReader(body)
	r := httptest.NewRequest(http.MethodPost, "/bunq", rd)
	r.RemoteAddr = chainSender
	r.Header.Set("Content-Type", "application/json")
	r.ContentLength = int64(len(body))
	r.Body = io.NopCloser(rd)
	return &chainRequest{r: r, body: rd}
}

// rewind makes the request carry body from its start.
func (c *chainRequest) rewind(body []byte) { c.body.Reset(body) }

// recorder is an httptest.ResponseRecorder reset in place between
// requests, keeping its header map and buffer.
type recorder struct {
	rec    httptest.ResponseRecorder
	header http.Header
	buf    bytes.Buffer
}

func (r *recorder) reset() *httptest.ResponseRecorder {
	clear(r.header)
	r.buf.Reset()
	//lint:ignore SA1019 setting HeaderMap is how a recorder is given a reused header map; NewRecorder would allocate one per request.
	r.rec = httptest.ResponseRecorder{Code: http.StatusOK, HeaderMap: r.header, Body: &r.buf}
	return &r.rec
}

// newRecorder returns a recorder to reset before each request.
func newRecorder() *recorder { return &recorder{header: make(http.Header)} }

// BenchmarkChain serves one request per iteration in-process into a
// ResponseRecorder (reset in place, not reallocated):
//
//   - bare: workload.BareHandler alone;
//   - guards: workload.BareHandler behind Observe, ClientIP, AllowIPs,
//     RateLimit and ReadBody (see workload.GuardChain);
//   - full: bunq.NewReceiver, the whole pipeline (workload.FullReceiver), where
//     every iteration is a new event: the body's Payment id is rewritten
//     in place (workload.PaymentEvents) so each request has its own
//     idempotency key and Dedupe reserves and completes it (no replays),
//     on a store kept full at 100,000 keys.
//   - replay: the same pipeline and store, where every iteration is the
//     same event, handled once before the timing starts: what a bank's
//     retry of an event already handled costs (Dedupe answers it from its
//     store, the handler is not called).
//
// Every variant gets the same body: the sample with its Payment id widened
// to 12 digits (workload.NewPaymentEvents); full changes those digits on
// every iteration.
func BenchmarkChain(b *testing.B) {
	events, err := workload.LoadPaymentEvents(workload.SamplePayment)
	require.NoError(b, err)
	body := events.Body()

	serve := func(b *testing.B, h http.Handler, next func(i uint64)) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		req := newChainRequest(body)
		rec := newRecorder()
		var i uint64
		for b.Loop() {
			next(i)
			req.rewind(body)
			w := rec.reset()
			h.ServeHTTP(w, req.r)
			if w.Code != http.StatusOK {
				b.Fatalf("request %d answered %d: %s", i, w.Code, w.Body)
			}
			i++
		}
	}
	same := func(uint64) {}

	b.Run("bare", func(b *testing.B) { serve(b, workload.BareHandler, same) })
	b.Run("guards", func(b *testing.B) { serve(b, guardChain(b), same) })
	b.Run("full", func(b *testing.B) {
		h := fullReceiver(b, fullStore(b), nil)
		serve(b, h, events.Set)
	})
	b.Run("replay", func(b *testing.B) {
		h := fullReceiver(b, fullStore(b), nil)
		events.Set(0)
		first := newChainRequest(body)
		w := newRecorder().reset()
		h.ServeHTTP(w, first.r)
		require.Equal(b, http.StatusOK, w.Code, "the event is handled once")
		require.Empty(b, w.Header().Get(bankhook.HeaderIdempotentReplayed))
		serve(b, h, same)
	})
}

// TestChainAnswers checks what BenchmarkChain relies on: every variant
// answers 200, the full pipeline handles each new event once (no
// Idempotent-Replayed) and does answer a replay from the store, so the
// benchmark measures handled events, not replays.
func TestChainAnswers(t *testing.T) {
	events, err := workload.LoadPaymentEvents(workload.SamplePayment)
	require.NoError(t, err)
	body := events.Body()

	for name, h := range map[string]http.Handler{"bare": workload.BareHandler, "guards": guardChain(t)} {
		t.Run(name, func(t *testing.T) {
			req := newChainRequest(body)
			rec := newRecorder()
			for range 3 {
				req.rewind(body)
				w := rec.reset()
				h.ServeHTTP(w, req.r)
				require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			}
		})
	}

	t.Run("full", func(t *testing.T) {
		handled := 0
		h := fullReceiver(t, bankhook.NewLRUStore(bankhook.LRUStoreOptions{Capacity: 100}), func(*bunq.Payment) { handled++ })
		req := newChainRequest(body)
		rec := newRecorder()
		send := func() *httptest.ResponseRecorder {
			req.rewind(body)
			w := rec.reset()
			h.ServeHTTP(w, req.r)
			return w
		}
		for i := range uint64(10) {
			events.Set(i)
			w := send()
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			assert.Empty(t, w.Header().Get(bankhook.HeaderIdempotentReplayed))
		}
		assert.Equal(t, 10, handled)

		w := send() // event 9 again
		assert.Equal(t, http.StatusOK, w.Code)
		assert.Equal(t, "true", w.Header().Get(bankhook.HeaderIdempotentReplayed))
		assert.Equal(t, 10, handled)
	})
}
