package bench

import (
	"context"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/bench/workload"
	"github.com/bankhook/bankhook/bunq"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dedupeKeys is the number of keys the memory figure is for: the
// LRUStore's default capacity.
const dedupeKeys = bankhook.DefaultLRUCapacity

// dedupeMemoryTargetMB is the most the in-memory store may take for
// dedupeKeys keys.
const dedupeMemoryTargetMB = 30

// bunqKeys returns n distinct idempotency keys made by
// (*bunq.Notification).IdempotencyKey for Payments of the sample callback
// with ids and update times of their own, so they have the shape and
// length of real keys
// ("bunq:MUTATION:MUTATION_CREATED:Payment:100000000042@2025-03-14T09:12:44.118272Z",
// 75 to 79 bytes).
func bunqKeys(tb testing.TB, n int) []string {
	tb.Helper()
	events, err := workload.LoadPaymentEvents(workload.SamplePayment)
	require.NoError(tb, err)
	notif, err := bunq.Decode(events.Body())
	require.NoError(tb, err)
	p := notif.Object.(*bunq.Payment)
	id, updated := p.ID, p.Updated
	keys := make([]string, n)
	for i := range keys {
		p.ID = id + int64(i)
		p.Updated = bunq.Time{Time: updated.Add(time.Duration(i) * time.Microsecond)}
		keys[i] = notif.IdempotencyKey()
	}
	return keys
}

// liveHeap returns the bytes of live heap after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// dedupeStoreMB fills a new LRUStore with len(keys) handled events
// (reserved, then completed with 200, as Dedupe leaves them) and returns
// the heap it holds in MB (10^6 bytes): the live heap after minus before,
// the keys' own bytes included, since the store is what keeps them alive.
func dedupeStoreMB(tb testing.TB, keys []string) float64 {
	tb.Helper()
	// The keys are made fresh from a template per measurement, so that
	// the store holds the only reference to them once the slice is gone.
	fresh := make([]string, len(keys))
	before := liveHeap()
	for i, k := range keys {
		fresh[i] = string([]byte(k))
	}
	s := bankhook.NewLRUStore(len(keys))
	ctx := context.Background()
	for _, k := range fresh {
		res, err := s.Reserve(ctx, k, bankhook.DefaultLease)
		require.NoError(tb, err)
		require.NoError(tb, s.Complete(ctx, k, res.Token, http.StatusOK, bankhook.DefaultDedupeTTL))
	}
	clear(fresh)
	after := liveHeap()
	runtime.KeepAlive(s)
	require.Equal(tb, len(keys), s.Len())
	if after < before {
		return 0
	}
	return float64(after-before) / 1e6
}

// BenchmarkDedupeMemory reports the heap an LRUStore takes for 100,000
// handled bunq events as the metric heapMB/100k-keys. The time per op is the
// time to fill the store and collect garbage twice; only the metric is
// the figure.
func BenchmarkDedupeMemory(b *testing.B) {
	keys := bunqKeys(b, dedupeKeys)
	var mb float64
	for b.Loop() {
		mb = dedupeStoreMB(b, keys)
	}
	b.ReportMetric(mb, "heapMB/100k-keys")
}

// TestDedupeMemory holds the in-memory store to its budget: 100,000 keys
// in at most 30 MB.
func TestDedupeMemory(t *testing.T) {
	keys := bunqKeys(t, dedupeKeys)
	distinct := make(map[string]bool, len(keys))
	for _, k := range keys {
		distinct[k] = true
	}
	require.Len(t, distinct, len(keys))
	mb := dedupeStoreMB(t, keys)
	t.Logf("LRUStore: %.1f MB for %d keys of %d bytes", mb, len(keys), len(keys[0]))
	assert.LessOrEqual(t, mb, float64(dedupeMemoryTargetMB))
	assert.Positive(t, mb)
}
