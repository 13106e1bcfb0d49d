package bench

import (
	"context"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"

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
	s := bankhook.NewLRUStore(bankhook.LRUStoreOptions{Capacity: len(keys)})
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

// simplelruStore is the dedupe store as LRUStore was built before it held
// no pointers, and as a Go team would build one on golang-lru: the keys
// themselves in a simplelru.LRU, with string tokens. It is here to measure
// what such a store costs the garbage collector.
type simplelruStore struct {
	mu    sync.Mutex
	next  uint64
	cache *simplelru.LRU[string, simplelruEntry]
}

type simplelruEntry struct {
	state   bankhook.State
	status  int32
	token   string
	expires int64
}

func newSimplelruStore(capacity int) *simplelruStore {
	c, err := simplelru.NewLRU[string, simplelruEntry](capacity, nil)
	if err != nil {
		panic(err)
	}
	return &simplelruStore{cache: c}
}

// Reserve implements bankhook.Store.
func (s *simplelruStore) Reserve(_ context.Context, key string, lease time.Duration) (bankhook.Reservation, error) {
	now := time.Now().UnixNano()
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.cache.Get(key); ok && now < e.expires {
		if e.state == bankhook.Done {
			return bankhook.Reservation{State: bankhook.Done, Status: int(e.status)}, nil
		}
		return bankhook.Reservation{State: bankhook.InFlight}, nil
	}
	s.next++
	tok := strconv.FormatUint(s.next, 36)
	s.cache.Add(key, simplelruEntry{state: bankhook.Reserved, token: tok, expires: now + int64(lease)})
	return bankhook.Reservation{State: bankhook.Reserved, Token: tok}, nil
}

// Complete implements bankhook.Store.
func (s *simplelruStore) Complete(_ context.Context, key, token string, status int, ttl time.Duration) error {
	now := time.Now().UnixNano()
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.cache.Peek(key); !ok || e.state != bankhook.Reserved || e.token != token || now >= e.expires {
		return bankhook.ErrLeaseLost
	}
	s.cache.Add(key, simplelruEntry{state: bankhook.Done, status: int32(status), expires: now + int64(ttl)})
	return nil
}

// Release implements bankhook.Store.
func (s *simplelruStore) Release(_ context.Context, key, token string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.cache.Peek(key); !ok || e.state != bankhook.Reserved || e.token != token {
		return bankhook.ErrLeaseLost
	}
	s.cache.Remove(key)
	return nil
}

var _ bankhook.Store = (*simplelruStore)(nil)

// BenchmarkDedupeGC measures what a full dedupe store costs the garbage
// collector: the time of one complete collection (runtime.GC) while a
// store holding 100,000 handled bunq events is live and little else is.
// bankhook is the LRUStore, which keeps a digest of each key and its LRU
// links in flat, pointer-free slices; simplelru is simplelruStore, the
// same store on golang-lru with the keys and tokens as strings, which the
// collector marks again on every cycle. A receiver's collector runs
// whenever the request garbage has doubled the live heap, so this cost
// recurs all the time under load.
func BenchmarkDedupeGC(b *testing.B) {
	for _, v := range []struct {
		name  string
		store func() bankhook.Store
	}{
		{"bankhook", func() bankhook.Store { return bankhook.NewLRUStore(bankhook.LRUStoreOptions{Capacity: dedupeKeys}) }},
		{"simplelru", func() bankhook.Store { return newSimplelruStore(dedupeKeys) }},
	} {
		b.Run(v.name, func(b *testing.B) {
			s := v.store()
			fillStore(b, s, bunqKeys(b, dedupeKeys)) // the keys are garbage once filled
			runtime.GC()
			for b.Loop() {
				runtime.GC()
			}
			runtime.KeepAlive(s)
		})
	}
}

// fillStore reserves and completes every key in s, as Dedupe leaves a
// handled event.
func fillStore(tb testing.TB, s bankhook.Store, keys []string) {
	tb.Helper()
	ctx := context.Background()
	for _, k := range keys {
		res, err := s.Reserve(ctx, k, bankhook.DefaultLease)
		require.NoError(tb, err)
		require.NoError(tb, s.Complete(ctx, k, res.Token, http.StatusOK, bankhook.DefaultDedupeTTL))
	}
}

// TestSimplelruStore checks the comparison store against the Store
// contract, so that BenchmarkDedupeGC compares two working stores.
func TestSimplelruStore(t *testing.T) {
	s := newSimplelruStore(10)
	fillStore(t, s, []string{"a", "b"})
	res, err := s.Reserve(t.Context(), "a", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, bankhook.Done, res.State)
	assert.Equal(t, http.StatusOK, res.Status)
	res, err = s.Reserve(t.Context(), "c", time.Minute)
	require.NoError(t, err)
	require.Equal(t, bankhook.Reserved, res.State)
	assert.ErrorIs(t, s.Complete(t.Context(), "c", "wrong", 200, time.Hour), bankhook.ErrLeaseLost)
	require.NoError(t, s.Release(t.Context(), "c", res.Token))
	res, err = s.Reserve(t.Context(), "c", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, bankhook.Reserved, res.State)
}
