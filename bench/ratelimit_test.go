package bench

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/bench/workload"
	"github.com/go-chi/httprate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
)

// rateClients is the number of distinct senders the limiters track; the
// requests go to them round-robin.
const rateClients = 1000

// rateVariant is one per-IP rate limiting middleware around a handler that
// writes nothing.
type rateVariant struct {
	name string
	h    http.Handler
}

// rateVariants builds the limiters with limits no benchmark run reaches,
// so that every request passes and both measure the bookkeeping of a
// passing request:
//
//   - bankhook: RateLimit with Rate 1e9/s and Burst 1e9 per client (a token
//     bucket from golang.org/x/time/rate per client, in a 16-shard LRU of
//     10,000 clients, the default), keyed by RemoteAddr parsed with
//     netip. Rate is finite, so the limiter does its full work (rate.Inf
//     would skip it).
//   - httprate: LimitByIP with 1<<40 requests per hour per client (a
//     sliding-window counter keyed by the RemoteAddr's host, IPv6 by /64),
//     which also sets its X-RateLimit-Limit, -Remaining and -Reset headers
//     on every answer, as it does by default.
func rateVariants() []rateVariant {
	noop := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	bh := bankhook.RateLimit(bankhook.RateLimitOptions{Rate: 1e9, Burst: 1e9})
	//lint:ignore SA1019 LimitByIP is httprate's own per-RemoteAddr limiter, the one compared here.
	hr := httprate.LimitByIP(1<<40, time.Hour)
	return []rateVariant{
		{"bankhook", bh(noop)},
		{"httprate", hr(noop)},
	}
}

// rateRequests returns one prebuilt request per client.
func rateRequests() []*http.Request {
	reqs := make([]*http.Request, rateClients)
	for i, addr := range workload.RemoteAddrs(rateClients) {
		r := httptest.NewRequest(http.MethodPost, "/bunq", http.NoBody)
		r.RemoteAddr = addr
		reqs[i] = r
	}
	return reqs
}

// BenchmarkRateLimit sends one prebuilt request per iteration through the
// limiter, the clients taking turns, into a reused ResponseWriter.
func BenchmarkRateLimit(b *testing.B) {
	reqs := rateRequests()
	for _, v := range rateVariants() {
		b.Run(v.name, func(b *testing.B) {
			b.ReportAllocs()
			w := newDiscardWriter()
			i := 0
			for b.Loop() {
				w.reset()
				v.h.ServeHTTP(w, reqs[i%rateClients])
				i++
			}
			if w.refused > 0 {
				b.Fatalf("%d of %d requests refused (last %d): the limits are meant to pass every request", w.refused, i, w.last)
			}
		})
	}
}

// TestRateLimitVariantsPass checks that both limiters pass every request
// of several rounds over all clients, so the benchmark measures passing
// requests only, and that each still limits: a low limit refuses.
func TestRateLimitVariantsPass(t *testing.T) {
	reqs := rateRequests()
	for _, v := range rateVariants() {
		t.Run(v.name, func(t *testing.T) {
			w := newDiscardWriter()
			for i := range 5 * rateClients {
				w.reset()
				v.h.ServeHTTP(w, reqs[i%rateClients])
			}
			assert.Zero(t, w.refused)
		})
	}

	noop := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	low := map[string]http.Handler{
		"bankhook": bankhook.Chain(noop, bankhook.Observe(bankhook.ObserverFuncs{}),
			bankhook.RateLimit(bankhook.RateLimitOptions{Rate: rate.Every(time.Hour), Burst: 2})),
		//lint:ignore SA1019 LimitByIP is httprate's own per-RemoteAddr limiter, the one compared here.
		"httprate": httprate.LimitByIP(2, time.Hour)(noop),
	}
	for name, h := range low {
		t.Run(name+"_refuses_over_limit", func(t *testing.T) {
			codes := make([]int, 3)
			for i := range codes {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, reqs[0])
				codes[i] = rec.Code
			}
			require.Equal(t, []int{200, 200, http.StatusTooManyRequests}, codes)
		})
	}
}
