package metrics

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
)

// TestDedupeEvictions scrapes a metrics server over loopback and finds the
// evictions of a real LRUStore, read at each scrape.
func TestDedupeEvictions(t *testing.T) {
	s, err := Start("127.0.0.1:0", slog.New(slog.DiscardHandler), nil)
	require.NoError(t, err)
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		assert.NoError(t, s.Shutdown(ctx))
	}()

	store := bankhook.NewLRUStore(bankhook.LRUStoreOptions{Capacity: 1})
	s.DedupeEvictions("bunq", store.Evictions)
	scrape := func() string {
		t.Helper()
		client := &http.Client{Timeout: 10 * time.Second}
		resp, err := client.Get("http://" + s.ln.Addr().String() + Path)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return string(b)
	}
	assert.Contains(t, scrape(), "\nbankhook_dedupe_evictions_total{receiver=\"bunq\"} 0\n")

	ctx := context.Background()
	for _, key := range []string{"a", "b", "c"} {
		res, err := store.Reserve(ctx, key, time.Minute)
		require.NoError(t, err)
		require.NoError(t, store.Complete(ctx, key, res.Token, http.StatusOK, time.Hour))
	}
	body := scrape()
	assert.Contains(t, body, "\n# TYPE bankhook_dedupe_evictions_total counter\n")
	assert.Contains(t, body, "\nbankhook_dedupe_evictions_total{receiver=\"bunq\"} 2\n")
	assert.False(t, strings.Contains(body, `bankhook_dedupe_evictions_total{receiver="bankhub"}`), "no store exported for bankhub")
}

// TestPprofOnlyInProfilingBuild checks that the metrics listener serves
// net/http/pprof only in a build with -tags bankhook_pprof.
func TestPprofOnlyInProfilingBuild(t *testing.T) {
	s, err := Start("127.0.0.1:0", slog.New(slog.DiscardHandler), nil)
	require.NoError(t, err)
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		assert.NoError(t, s.Shutdown(ctx))
	}()
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get("http://" + s.ln.Addr().String() + "/debug/pprof/")
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	require.NoError(t, resp.Body.Close())
	want := http.StatusNotFound
	if pprofBuild {
		want = http.StatusOK
	}
	assert.Equal(t, want, resp.StatusCode)
}
