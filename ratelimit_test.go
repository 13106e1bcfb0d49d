package bankhook_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/bankhook/bankhook"
)

// stepClock is a clock that moves only when told.
type stepClock struct{ t time.Time }

func newStepClock() *stepClock { return &stepClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *stepClock) Now() time.Time          { return c.t }
func (c *stepClock) Advance(d time.Duration) { c.t = c.t.Add(d) }

// rateLimited wraps a counting handler in m and RateLimit(o), behind an
// Observe that discards reports (an Observe in m replaces it).
func rateLimited(o bankhook.RateLimitOptions, m ...bankhook.Middleware) (http.Handler, *reached) {
	final := &reached{}
	m = append([]bankhook.Middleware{bankhook.Observe(bankhook.ObserverFuncs{})}, m...)
	return bankhook.Chain(final, append(m, bankhook.RateLimit(o))...), final
}

// hitLimiter sends one request from remote (with an optional
// X-Forwarded-For) and reports whether it passed; a refusal must be a
// well-formed 429, whose Retry-After is returned.
func hitLimiter(t *testing.T, h http.Handler, remote, xff string) (passed bool, retryAfter string) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.Body = unreadBody{t}
	r.RemoteAddr = remote
	if xff != "" {
		r.Header.Set(bankhook.HeaderXForwardedFor, xff)
	}
	rec := serveGuard(h, r)
	if rec.Code == http.StatusNoContent {
		assert.Empty(t, rec.Header().Get("Retry-After"))
		return true, ""
	}
	problemOf(t, rec, http.StatusTooManyRequests, bankhook.ReasonRateLimited)
	return false, rec.Header().Get("Retry-After")
}

// sendBurst sends n requests from remote and counts those that passed.
func sendBurst(t *testing.T, h http.Handler, remote string, n int) int {
	t.Helper()
	passed := 0
	for range n {
		if ok, _ := hitLimiter(t, h, remote, ""); ok {
			passed++
		}
	}
	return passed
}

func TestRateLimitRetryAfter(t *testing.T) {
	tests := []struct {
		name    string
		rate    rate.Limit
		burst   int
		advance time.Duration // after the burst is spent
		want    string
	}{
		{name: "0.5/s needs 2s", rate: 0.5, burst: 3, want: "2"},
		{name: "0.25/s needs 4s", rate: 0.25, burst: 1, want: "4"},
		{name: "10/s rounds up to 1s", rate: 10, burst: 5, want: "1"},
		{name: "1000/s rounds up to 1s", rate: 1000, burst: 1, want: "1"},
		{name: "half refilled", rate: 0.5, burst: 1, advance: time.Second, want: "1"},
		{name: "partly refilled rounds up", rate: 0.1, burst: 2, advance: 2500 * time.Millisecond, want: "8"},
		{name: "one a minute", rate: rate.Every(time.Minute), burst: 1, want: "60"},
		{name: "capped at a day", rate: rate.Every(48 * time.Hour), burst: 1, want: "86400"},
		{name: "tiny rate does not overflow", rate: 1e-12, burst: 1, want: "86400"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := newStepClock()
			var obs observed
			h, final := rateLimited(bankhook.RateLimitOptions{Rate: tc.rate, Burst: tc.burst, Now: clock.Now}, obs.observer())

			require.Equal(t, tc.burst, sendBurst(t, h, "185.40.108.1:443", tc.burst))
			clock.Advance(tc.advance)
			ok, retry := hitLimiter(t, h, "185.40.108.1:443", "")
			require.False(t, ok)
			assert.Equal(t, tc.want, retry)
			assert.Equal(t, tc.burst, final.calls)
			require.Len(t, obs.rejected, 1)
			assert.Equal(t, http.StatusTooManyRequests, obs.rejected[0].Status)
			assert.Equal(t, bankhook.ReasonRateLimited, obs.rejected[0].Reason)
			assert.ErrorContains(t, obs.rejected[0].Err, "185.40.108.1")

			// Waiting exactly Retry-After is always enough.
			secs, err := strconv.Atoi(retry)
			require.NoError(t, err)
			clock.Advance(time.Duration(secs) * time.Second)
			if secs < 86400 {
				ok, _ = hitLimiter(t, h, "185.40.108.1:443", "")
				assert.True(t, ok, "still limited after Retry-After")
			}
		})
	}
}

func TestRateLimitRefill(t *testing.T) {
	clock := newStepClock()
	h, _ := rateLimited(bankhook.RateLimitOptions{Rate: 1, Burst: 2, Now: clock.Now})
	const client = "34.87.150.47:1234"

	steps := []struct {
		name    string
		advance time.Duration
		sent    int
		passed  int
	}{
		{"initial burst", 0, 3, 2},
		{"nothing back yet", 999 * time.Millisecond, 1, 0},
		{"one token after a second", time.Millisecond, 2, 1},
		{"two after two seconds", 2 * time.Second, 3, 2},
		{"refill is capped at the burst", time.Hour, 5, 2},
	}
	for _, st := range steps {
		clock.Advance(st.advance)
		assert.Equal(t, st.passed, sendBurst(t, h, client, st.sent), st.name)
	}
}

func TestRateLimitClients(t *testing.T) {
	proxies := bankhook.MustIPAllowlist("10.0.0.0/8")
	type req struct{ remote, xff string }
	tests := []struct {
		name  string
		m     []bankhook.Middleware
		first req // spends the burst of 1
		then  req
		want  bool // whether then passes
	}{
		{name: "other client independent", first: req{"185.40.108.1:1", ""}, then: req{"185.40.108.2:1", ""}, want: true},
		{name: "ipv6 clients in other /64s independent", first: req{"[2001:db8::1]:1", ""}, then: req{"[2001:db8:0:1::1]:1", ""}, want: true},
		{name: "ipv6 addresses of one /64 are one client", first: req{"[2001:db8::1]:1", ""}, then: req{"[2001:db8::2]:1", ""}},
		{name: "same client other port", first: req{"185.40.108.1:1", ""}, then: req{"185.40.108.1:2", ""}},
		{name: "ipv4-mapped is the same client", first: req{"185.40.108.1:1", ""}, then: req{"[::ffff:185.40.108.1]:2", ""}},
		{name: "without ClientIP the proxy is the client", first: req{"10.0.0.1:1", "185.40.108.1"}, then: req{"10.0.0.1:1", "185.40.108.2"}},
		{name: "ClientIP-resolved senders independent", m: []bankhook.Middleware{bankhook.ClientIP(proxies)},
			first: req{"10.0.0.1:1", "185.40.108.1"}, then: req{"10.0.0.1:1", "185.40.108.2"}, want: true},
		{name: "ClientIP-resolved sender behind two proxies", m: []bankhook.Middleware{bankhook.ClientIP(proxies)},
			first: req{"10.0.0.1:1", "185.40.108.1"}, then: req{"10.0.0.2:1", "185.40.108.1, 10.0.0.1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := newStepClock()
			h, _ := rateLimited(bankhook.RateLimitOptions{Rate: 1, Burst: 1, Now: clock.Now}, tc.m...)
			ok, _ := hitLimiter(t, h, tc.first.remote, tc.first.xff)
			require.True(t, ok)
			ok, _ = hitLimiter(t, h, tc.then.remote, tc.then.xff)
			assert.Equal(t, tc.want, ok)
		})
	}
}

func TestRateLimitInf(t *testing.T) {
	h, final := rateLimited(bankhook.RateLimitOptions{Rate: rate.Inf, Burst: 1, Now: newStepClock().Now})
	assert.Equal(t, 10_000, sendBurst(t, h, "185.40.108.1:443", 10_000))
	assert.Equal(t, 10_000, final.calls)
}

func TestRateLimitDefaults(t *testing.T) {
	clock := newStepClock()
	h, _ := rateLimited(bankhook.RateLimitOptions{Now: clock.Now})
	assert.Equal(t, bankhook.DefaultBurst, sendBurst(t, h, "185.40.108.1:443", bankhook.DefaultBurst+1))

	_, retry := hitLimiter(t, h, "185.40.108.1:443", "")
	assert.Equal(t, "1", retry, "1/50 s rounds up")

	clock.Advance(time.Second)
	assert.Equal(t, int(bankhook.DefaultRate), sendBurst(t, h, "185.40.108.1:443", 2*int(bankhook.DefaultRate)),
		"a second refills DefaultRate tokens")

	t.Run("zero options are usable", func(t *testing.T) {
		h, _ := rateLimited(bankhook.RateLimitOptions{})
		ok, _ := hitLimiter(t, h, "185.40.108.1:443", "")
		assert.True(t, ok)
	})
}

// TestRateLimitMaxClients checks that memory is bounded: a client pushed
// out by many others starts again with a full bucket, and at most
// MaxClients clients are remembered.
func TestRateLimitMaxClients(t *testing.T) {
	const maxClients = 64 // 4 per shard
	clock := newStepClock()
	h, _ := rateLimited(bankhook.RateLimitOptions{Rate: rate.Every(time.Hour), Burst: 1, MaxClients: maxClients, Now: clock.Now})
	client := func(i int) string {
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 51, byte(i >> 8), byte(i)}), 443).String()
	}

	const first = "185.40.108.1:443"
	require.Equal(t, 1, sendBurst(t, h, first, 2), "the first client spends its burst")

	const others = 1024
	for i := range others {
		ok, _ := hitLimiter(t, h, client(i), "")
		require.True(t, ok, "client %d is new", i)
	}
	ok, _ := hitLimiter(t, h, first, "")
	assert.True(t, ok, "an evicted client starts with a fresh bucket")

	// Every client has spent its burst, so a client that is still limited
	// is one still remembered. Probing newest first only ever evicts
	// clients already counted.
	remembered := 0
	for i := others - 1; i >= 0; i-- {
		if ok, _ := hitLimiter(t, h, client(i), ""); !ok {
			remembered++
		}
	}
	assert.LessOrEqual(t, remembered, maxClients)
	assert.Greater(t, remembered, maxClients/2, "recent clients are remembered")
}

// BenchmarkRateLimit sends a prebuilt request through RateLimit from 1,000
// distinct clients in turn (RemoteAddr round robin). The rate and burst
// are 1e9 so that every request is allowed: it measures the per-request
// bookkeeping (parse RemoteAddr, find the client's limiter in its LRU
// shard, take a token), not the rejection path.
func BenchmarkRateLimit(b *testing.B) {
	remotes := make([]string, 1000)
	for i := range remotes {
		remotes[i] = fmt.Sprintf("198.51.%d.%d:%d", i/256, i%256, 1024+i)
	}
	h := bankhook.RateLimit(bankhook.RateLimitOptions{Rate: 1e9, Burst: 1e9})(
		http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	newRequest := func() *http.Request { return httptest.NewRequest(http.MethodPost, "/bunq", nil) }
	check := func(b *testing.B, w *discardWriter) {
		if len(w.h) != 0 { // Reject sets headers; an allowed request none
			b.Errorf("a request was refused: %v", w.h)
		}
	}

	b.Run("serial", func(b *testing.B) {
		r, w := newRequest(), &discardWriter{h: http.Header{}}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			r.RemoteAddr = remotes[i%len(remotes)]
			h.ServeHTTP(w, r)
			i++
		}
		check(b, w)
	})
	b.Run("parallel", func(b *testing.B) {
		var goroutines atomic.Int64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			r, w := newRequest(), &discardWriter{h: http.Header{}}
			i := int(goroutines.Add(1)) * 131 // each goroutine starts at another client
			for pb.Next() {
				r.RemoteAddr = remotes[i%len(remotes)]
				h.ServeHTTP(w, r)
				i++
			}
			check(b, w)
		})
	})
}

func TestRateLimitIPv6Slash64(t *testing.T) {
	clock := time.Unix(1_700_000_000, 0)
	h := bankhook.RateLimit(bankhook.RateLimitOptions{Rate: 1, Burst: 2, Now: func() time.Time { return clock }})(
		http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	send := func(remote string) int {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.RemoteAddr = remote
		w := httptest.NewRecorder()
		bankhook.Observe(bankhook.ObserverFuncs{})(h).ServeHTTP(w, r)
		return w.Code
	}
	// Hopping between addresses of one /64 does not earn fresh buckets.
	assert.Equal(t, http.StatusOK, send("[2001:db8:1:2::1]:1000"))
	assert.Equal(t, http.StatusOK, send("[2001:db8:1:2::2]:1000"))
	assert.Equal(t, http.StatusTooManyRequests, send("[2001:db8:1:2:ffff::3]:1000"))
	// Another /64 is another client.
	assert.Equal(t, http.StatusOK, send("[2001:db8:1:3::1]:1000"))
}
