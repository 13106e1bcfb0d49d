package bankhook_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
)

// TestSlogObserverFlood checks that a flood of rejections writes a few
// lines that account for every request, while 5xx answers and
// acknowledged events are all logged.
func TestSlogObserverFlood(t *testing.T) {
	var buf bytes.Buffer
	clock := newStepClock()
	obs := bankhook.NewSlogObserver(bankhook.SlogObserverOptions{
		Logger: captureLog(&buf),
		Now:    clock.Now,
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
	obs := bankhook.NewSlogObserver(bankhook.SlogObserverOptions{Logger: captureLog(&buf), Now: clock.Now})
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
