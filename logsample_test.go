package bankhook_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
)

func newTestSampler(t *testing.T, clock *stepClock, o bankhook.LogSamplerOptions) *bankhook.LogSampler {
	t.Helper()
	o.Now = clock.Now
	s, err := bankhook.NewLogSampler(o)
	require.NoError(t, err)
	return s
}

func TestSenderNetwork(t *testing.T) {
	for _, tc := range []struct{ addr, want string }{
		{"203.0.113.77", "203.0.113.0/24"},
		{"::ffff:203.0.113.77", "203.0.113.0/24"},
		{"2001:db8:1:2:3::4", "2001:db8:1::/48"},
		{"fe80::1%eth0", "fe80::/48"},
	} {
		t.Run(tc.addr, func(t *testing.T) {
			assert.Equal(t, netip.MustParsePrefix(tc.want), bankhook.SenderNetwork(netip.MustParseAddr(tc.addr)))
		})
	}
	assert.False(t, bankhook.SenderNetwork(netip.Addr{}).IsValid(), "no address, no network")
}

func TestLogSamplerPerNetwork(t *testing.T) {
	clock := newStepClock()
	s := newTestSampler(t, clock, bankhook.LogSamplerOptions{})
	a := netip.MustParseAddr("203.0.113.1")
	sameNet := netip.MustParseAddr("203.0.113.200")

	d := s.Sample(bankhook.ReasonIPDenied, a)
	assert.Equal(t, bankhook.LogDecision{Write: true, Network: netip.MustParsePrefix("203.0.113.0/24")}, d, "the first of a kind is written")
	for range 99 {
		assert.False(t, s.Sample(bankhook.ReasonIPDenied, a).Write)
	}
	assert.False(t, s.Sample(bankhook.ReasonIPDenied, sameNet).Write, "the same /24 is one group")
	// Another reason is another kind: its first line is written at once.
	assert.True(t, s.Sample(bankhook.ReasonBadToken, a).Write)

	clock.Advance(999 * time.Millisecond)
	assert.False(t, s.Sample(bankhook.ReasonIPDenied, a).Write, "not before a second has passed")
	clock.Advance(time.Millisecond)
	d = s.Sample(bankhook.ReasonIPDenied, a)
	assert.True(t, d.Write)
	assert.Equal(t, uint64(101), d.Suppressed, "carries every line held back since the last one")
	assert.Equal(t, "203.0.113.0/24", d.NetworkString())

	clock.Advance(time.Second)
	d = s.Sample(bankhook.ReasonIPDenied, a)
	assert.True(t, d.Write)
	assert.Zero(t, d.Suppressed, "the count starts again after each line")

	// Another network of the same kind is a group of its own, due at once.
	d = s.Sample(bankhook.ReasonIPDenied, netip.MustParseAddr("198.51.100.9"))
	assert.True(t, d.Write)
	assert.Zero(t, d.Suppressed)
}

func TestLogSamplerIPv6Networks(t *testing.T) {
	clock := newStepClock()
	s := newTestSampler(t, clock, bankhook.LogSamplerOptions{})
	require.True(t, s.Sample(bankhook.ReasonIPDenied, netip.MustParseAddr("2001:db8:1::1")).Write)
	// Every address of the /48, however many, is one group.
	for i := range 1000 {
		addr := netip.MustParseAddr(fmt.Sprintf("2001:db8:1:%x::%x", i, i+1))
		assert.False(t, s.Sample(bankhook.ReasonIPDenied, addr).Write, addr)
	}
	clock.Advance(time.Second)
	d := s.Sample(bankhook.ReasonIPDenied, netip.MustParseAddr("2001:db8:1:ffff::1"))
	assert.True(t, d.Write)
	assert.Equal(t, uint64(1000), d.Suppressed)
	assert.Equal(t, "2001:db8:1::/48", d.NetworkString())
}

func TestLogSamplerRateInAll(t *testing.T) {
	clock := newStepClock()
	s := newTestSampler(t, clock, bankhook.LogSamplerOptions{Rate: 5})
	require.True(t, s.Sample(bankhook.ReasonIPDenied, netip.MustParseAddr("10.0.0.1")).Write, "first of its kind")
	// A sender spread over 100 networks: each network is due, but only 5
	// lines a second are written in all.
	written := 0
	for second := range 3 {
		for i := range 100 {
			addr := netip.AddrFrom4([4]byte{10, 1, byte(i), 1})
			if s.Sample(bankhook.ReasonIPDenied, addr).Write {
				written++
			}
		}
		assert.LessOrEqual(t, written, 5*(second+1), "second %d", second)
		clock.Advance(time.Second)
	}
	assert.Equal(t, 15, written)
}

func TestLogSamplerBoundedTable(t *testing.T) {
	clock := newStepClock()
	s := newTestSampler(t, clock, bankhook.LogSamplerOptions{MaxNetworks: 2, Rate: 1000})
	a, b, c := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("198.51.100.1"), netip.MustParseAddr("203.0.113.1")

	require.True(t, s.Sample(bankhook.ReasonRateLimited, a).Write)
	require.True(t, s.Sample(bankhook.ReasonRateLimited, b).Write)
	// The table is full and both groups are busy: c is counted as "other".
	d := s.Sample(bankhook.ReasonRateLimited, c)
	assert.True(t, d.Other)
	assert.True(t, d.Write, "other is a group of its own, due at once")
	assert.Equal(t, "other", d.NetworkString())
	for range 5 {
		assert.False(t, s.Sample(bankhook.ReasonRateLimited, c).Write)
		assert.False(t, s.Sample(bankhook.ReasonRateLimited, a).Write)
	}

	// a and c stay busy, b goes idle: a newcomer takes b's place, and b's
	// held-back lines are carried by the next "other" line.
	clock.Advance(600 * time.Millisecond)
	assert.False(t, s.Sample(bankhook.ReasonRateLimited, a).Write)
	assert.False(t, s.Sample(bankhook.ReasonRateLimited, b).Write, "b holds one line back")
	clock.Advance(1500 * time.Millisecond)
	assert.True(t, s.Sample(bankhook.ReasonRateLimited, a).Write)
	d = s.Sample(bankhook.ReasonRateLimited, netip.MustParseAddr("100.64.0.1"))
	assert.False(t, d.Other, "b's idle place was taken")
	assert.True(t, d.Write)
	d = s.Sample(bankhook.ReasonRateLimited, c)
	assert.True(t, d.Other, "the table is full with a and the newcomer, both busy")
	require.True(t, d.Write)
	assert.Equal(t, uint64(5+1), d.Suppressed, "other's five, and the line b held back")
}

func TestLogSamplerOptions(t *testing.T) {
	for _, o := range []bankhook.LogSamplerOptions{{Interval: -1}, {Rate: -1}, {MaxNetworks: -1}} {
		_, err := bankhook.NewLogSampler(o)
		assert.Error(t, err, "%+v", o)
	}
}

func TestLogSamplerConcurrent(t *testing.T) {
	s := newTestSampler(t, newStepClock(), bankhook.LogSamplerOptions{MaxNetworks: 16}) // time stands still
	var wg sync.WaitGroup
	var mu sync.Mutex // guards written
	written := 0
	for g := range 8 {
		wg.Go(func() {
			n := 0
			for i := range 2000 {
				if s.Sample(bankhook.ReasonIPDenied, netip.AddrFrom4([4]byte{10, byte(g), byte(i % 64), 1})).Write {
					n++
				}
			}
			mu.Lock()
			written += n
			mu.Unlock()
		})
	}
	wg.Wait()
	// 16,000 rejections from 512 networks within one instant: the first
	// line, then the burst of 10.
	assert.Equal(t, 11, written)
}

// TestSlogObserverFlood checks that a flood of rejections writes a few
// lines that account for every request, while 5xx answers and
// acknowledged events are all logged.
func TestSlogObserverFlood(t *testing.T) {
	var buf bytes.Buffer
	clock := newStepClock()
	obs := bankhook.NewSlogObserver(bankhook.SlogObserverOptions{
		Logger:  captureLog(&buf),
		Sampler: newTestSampler(t, clock, bankhook.LogSamplerOptions{}),
	})
	reject := func(remote string, status int, reason bankhook.Reason) {
		h := bankhook.Chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			bankhook.Reject(w, r, status, reason, nil)
		}), bankhook.Observe(obs), bankhook.ClientIP(nil))
		r := httptest.NewRequest(http.MethodPost, "/bunq", nil)
		r.RemoteAddr = remote
		serveGuard(h, r)
	}
	for range 10_000 {
		reject("203.0.113.9:4000", http.StatusForbidden, bankhook.ReasonIPDenied)
	}
	for range 3 {
		reject("185.40.108.1:4000", http.StatusServiceUnavailable, bankhook.ReasonTimeout)
	}
	for range 3 {
		obs.Handled(httptest.NewRequest(http.MethodPost, "/bunq", nil), bankhook.Outcome{Status: 200, Key: "k"})
	}
	clock.Advance(time.Second)
	reject("203.0.113.10:4000", http.StatusForbidden, bankhook.ReasonIPDenied)

	recs := logRecords(t, &buf)
	counts := map[string]int{}
	var suppressed float64
	for _, r := range recs {
		counts[fmt.Sprint(r["msg"], " ", r["reason"])]++
		if n, ok := r["suppressed"].(float64); ok {
			suppressed += n
		}
	}
	assert.Equal(t, map[string]int{
		"bankhook: request rejected ip_denied": 2, // the first, then one a second later
		"bankhook: request rejected timeout":   3, // 5xx: every one
		"bankhook: event acknowledged <nil>":   3,
	}, counts)
	assert.Equal(t, 9_999.0, suppressed, "the second ip_denied line accounts for the rest of the flood")
}

func TestSlogObserverSampledLine(t *testing.T) {
	clock := newStepClock()
	var buf bytes.Buffer
	sampler := newTestSampler(t, clock, bankhook.LogSamplerOptions{})
	obs := bankhook.NewSlogObserver(bankhook.SlogObserverOptions{Logger: captureLog(&buf), Sampler: sampler})
	h := bankhook.Chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bankhook.Reject(w, r, http.StatusTooManyRequests, bankhook.ReasonRateLimited, nil)
	}), bankhook.Observe(obs))
	for range 42 {
		r := httptest.NewRequest(http.MethodPost, "/bankhub", nil)
		r.RemoteAddr = "[2001:db8:7::1]:443"
		serveGuard(h, r)
	}
	clock.Advance(time.Second)
	r := httptest.NewRequest(http.MethodPost, "/bankhub", nil)
	r.RemoteAddr = "[2001:db8:7::2]:443"
	serveGuard(h, r)

	recs := logRecords(t, &buf)
	require.Len(t, recs, 2)
	assert.NotContains(t, recs[0], "suppressed", "nothing held back before the first line")
	assert.Equal(t, 41.0, recs[1]["suppressed"])
	assert.Equal(t, "2001:db8:7::/48", recs[1]["network"])
	assert.Equal(t, "[2001:db8:7::2]:443", recs[1]["remote"], "the line is the one that was due")
}

func TestSlogObserverEveryRejection(t *testing.T) {
	var buf bytes.Buffer
	obs := bankhook.NewSlogObserver(bankhook.SlogObserverOptions{Logger: captureLog(&buf), LogEveryRejection: true})
	for range 50 {
		r := httptest.NewRequest(http.MethodPost, "/bunq", nil)
		obs.Rejected(r, bankhook.Rejection{Status: http.StatusForbidden, Reason: bankhook.ReasonIPDenied})
	}
	assert.Len(t, logRecords(t, &buf), 50)
}
