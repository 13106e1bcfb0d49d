package bankhook

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// refStore is the LRUStore as it was built on golang-lru's simplelru,
// with the keys themselves in a map: the reference the flat store must
// behave like, transition for transition and eviction for eviction.
type refStore struct {
	now       func() time.Time
	next      uint64
	cache     *simplelru.LRU[string, refEntry]
	removing  bool   // Release is removing a key: simplelru reports it as an eviction
	evictions uint64 // keys evicted before they expired
}

// evicted is the cache's eviction callback: it counts the keys evicted
// before they expired.
func (s *refStore) evicted(_ string, e refEntry) {
	if !s.removing && s.now().UnixNano() < e.expires {
		s.evictions++
	}
}

type refEntry struct {
	state   State
	status  int
	token   string
	expires int64
}

func (s *refStore) Reserve(key string, lease time.Duration) Reservation {
	now := s.now().UnixNano()
	if e, ok := s.cache.Get(key); ok && now < e.expires {
		if e.state == Done {
			return Reservation{State: Done, Status: e.status}
		}
		return Reservation{State: InFlight}
	}
	s.next++
	tok := strconv.FormatUint(s.next, 36)
	s.cache.Add(key, refEntry{state: Reserved, token: tok, expires: now + int64(lease)})
	return Reservation{State: Reserved, Token: tok}
}

func (s *refStore) holds(key, token string) bool {
	e, ok := s.cache.Peek(key)
	return ok && e.state == Reserved && e.token == token && s.now().UnixNano() < e.expires
}

func (s *refStore) Complete(key, token string, status int, ttl time.Duration) bool {
	if !s.holds(key, token) {
		return false
	}
	s.cache.Add(key, refEntry{state: Done, status: status, expires: s.now().UnixNano() + int64(ttl)})
	return true
}

func (s *refStore) Release(key, token string) bool {
	if !s.holds(key, token) {
		return false
	}
	s.removing = true
	s.cache.Remove(key)
	s.removing = false
	return true
}

// TestLRUStoreMatchesReference runs long random sequences of operations —
// over more keys than the capacity, with leases and TTLs that end while
// the clock moves — on an LRUStore and on the reference, and requires the
// same answer to every one.
func TestLRUStoreMatchesReference(t *testing.T) {
	for seed := range uint64(20) {
		t.Run(strconv.FormatUint(seed, 10), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 42))
			capacity := 1 + rng.IntN(12)
			clock := time.Unix(1_700_000_000, 0)
			now := func() time.Time { return clock }
			var onEvict []uint64
			got := NewLRUStore(LRUStoreOptions{Capacity: capacity, Now: now,
				OnEvict: func(total uint64) { onEvict = append(onEvict, total) }})
			want := &refStore{now: now}
			c, err := simplelru.NewLRU(capacity, want.evicted)
			require.NoError(t, err)
			want.cache = c
			ctx := context.Background()
			tokens := map[string]string{} // the last token each key was given
			for step := range 5000 {
				key := "k" + strconv.Itoa(rng.IntN(3*capacity))
				where := fmt.Sprintf("step %d, capacity %d, key %s", step, capacity, key)
				switch op := rng.IntN(10); {
				case op < 4:
					lease := time.Duration(1+rng.IntN(5)) * time.Second
					g, err := got.Reserve(ctx, key, lease)
					require.NoError(t, err, where)
					require.Equal(t, want.Reserve(key, lease), g, where)
					if g.State == Reserved {
						tokens[key] = g.Token
					}
				case op < 7:
					tok := tokens[key]
					if rng.IntN(8) == 0 {
						tok = strconv.Itoa(rng.IntN(100))
					}
					ttl := time.Duration(1+rng.IntN(20)) * time.Second
					status := 200 + rng.IntN(5)
					err := got.Complete(ctx, key, tok, status, ttl)
					require.Equal(t, want.Complete(key, tok, status, ttl), err == nil, "%s: %v", where, err)
					if err != nil {
						require.True(t, errors.Is(err, ErrLeaseLost), where)
					}
				case op < 8:
					tok := tokens[key]
					err := got.Release(ctx, key, tok)
					require.Equal(t, want.Release(key, tok), err == nil, "%s: %v", where, err)
				default:
					clock = clock.Add(time.Duration(rng.IntN(3000)) * time.Millisecond)
				}
				require.Equal(t, want.cache.Len(), got.Len(), where)
				require.Equal(t, want.evictions, got.Evictions(), where)
			}
			checkLRUList(t, got)
			require.Len(t, onEvict, int(got.Evictions()), "OnEvict once per early eviction")
			for i, total := range onEvict {
				require.Equal(t, uint64(i+1), total, "OnEvict's totals, in order")
			}
		})
	}
}

// checkLRUList checks the store's internal invariants: the list runs
// from head to tail through every held slot once, in both directions,
// and the free list holds the rest.
func checkLRUList(t *testing.T, s *LRUStore) {
	t.Helper()
	seen := map[int32]bool{}
	prev := int32(noSlot)
	for i := s.head; i != noSlot; i = s.slots[i].next {
		require.False(t, seen[i], "slot %d twice in the list", i)
		seen[i] = true
		require.Equal(t, prev, s.slots[i].prev, "slot %d: prev", i)
		require.Equal(t, i, s.index[s.slots[i].key], "slot %d: index", i)
		prev = i
	}
	require.Equal(t, prev, s.tail)
	require.Len(t, seen, len(s.index))
	for i := s.free; i != noSlot; i = s.slots[i].next {
		require.False(t, seen[i], "slot %d both free and held", i)
		seen[i] = true
	}
	require.Len(t, seen, len(s.slots), "every slot is held or free")
}

// TestLRUStoreDigestSeeded checks that two stores digest the same key
// differently: the seed is per store and secret.
func TestLRUStoreDigestSeeded(t *testing.T) {
	a, b := NewLRUStore(LRUStoreOptions{Capacity: 1}), NewLRUStore(LRUStoreOptions{Capacity: 1})
	require.NotEqual(t, a.digest("bunq:MUTATION:x"), b.digest("bunq:MUTATION:x"))
	require.Equal(t, a.digest("bunq:MUTATION:x"), a.digest("bunq:MUTATION:x"))
	require.NotEqual(t, a.digest("bunq:MUTATION:x"), a.digest("bunq:MUTATION:y"))
	long := string(make([]byte, 1000))
	require.NotEqual(t, a.digest(long), a.digest(long[1:]), "keys longer than the stack buffer")
}

// lruClock is a clock that a test moves by hand.
type lruClock struct{ t time.Time }

func (c *lruClock) now() time.Time          { return c.t }
func (c *lruClock) advance(d time.Duration) { c.t = c.t.Add(d) }

// fill reserves key in s and, when ttl is not zero, completes it as done
// for ttl; otherwise it stays reserved for lease.
func fill(t *testing.T, s *LRUStore, key string, lease, ttl time.Duration) {
	t.Helper()
	ctx := context.Background()
	res, err := s.Reserve(ctx, key, lease)
	require.NoError(t, err)
	require.Equal(t, Reserved, res.State, key)
	if ttl != 0 {
		require.NoError(t, s.Complete(ctx, key, res.Token, 200, ttl))
	}
}

// TestLRUStoreEvictions fills a store, moves its clock, reserves new keys
// and checks how many of the keys they evicted Evictions counts: those
// that had not expired.
func TestLRUStoreEvictions(t *testing.T) {
	const lease, ttl = time.Minute, time.Hour
	tests := []struct {
		name    string
		setup   func(t *testing.T, s *LRUStore, c *lruClock) // fills the store of capacity 4
		newKeys int
		want    uint64
	}{
		{
			name: "done keys within their TTL: each new key counts one",
			setup: func(t *testing.T, s *LRUStore, _ *lruClock) {
				for i := range 4 {
					fill(t, s, "done"+strconv.Itoa(i), lease, ttl)
				}
			},
			newKeys: 6, want: 6, // the last two evict new keys whose lease runs
		},
		{
			name: "done keys past their TTL",
			setup: func(t *testing.T, s *LRUStore, c *lruClock) {
				for i := range 4 {
					fill(t, s, "done"+strconv.Itoa(i), lease, ttl)
				}
				c.advance(ttl)
			},
			newKeys: 4, want: 0,
		},
		{
			name: "reserved keys within their lease",
			setup: func(t *testing.T, s *LRUStore, c *lruClock) {
				for i := range 4 {
					fill(t, s, "held"+strconv.Itoa(i), lease, 0)
				}
				c.advance(lease - time.Nanosecond)
			},
			newKeys: 4, want: 4,
		},
		{
			name: "reserved keys whose lease ended",
			setup: func(t *testing.T, s *LRUStore, c *lruClock) {
				for i := range 4 {
					fill(t, s, "held"+strconv.Itoa(i), lease, 0)
				}
				c.advance(lease)
			},
			newKeys: 4, want: 0,
		},
		{
			name: "released keys leave free slots",
			setup: func(t *testing.T, s *LRUStore, _ *lruClock) {
				ctx := context.Background()
				for i := range 4 {
					key := "held" + strconv.Itoa(i)
					res, err := s.Reserve(ctx, key, lease)
					require.NoError(t, err)
					if i%2 == 0 {
						require.NoError(t, s.Release(ctx, key, res.Token))
					}
				}
			},
			newKeys: 3, want: 1, // two free slots, then held1 is evicted
		},
		{
			name: "mixed: only the live keys count",
			setup: func(t *testing.T, s *LRUStore, c *lruClock) {
				fill(t, s, "live done", lease, ttl)
				fill(t, s, "expired done", lease, 10*time.Second)
				fill(t, s, "live held", lease, 0)
				fill(t, s, "expired held", 20*time.Second, 0)
				c.advance(30 * time.Second)
			},
			newKeys: 4, want: 2,
		},
		{
			name: "an expired key reserved again is not an eviction",
			setup: func(t *testing.T, s *LRUStore, c *lruClock) {
				for i := range 4 {
					fill(t, s, "new"+strconv.Itoa(i), lease, ttl)
				}
				c.advance(ttl) // the new keys below reuse these four slots
			},
			newKeys: 4, want: 0,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := &lruClock{t: time.Unix(1_700_000_000, 0)}
			s := NewLRUStore(LRUStoreOptions{Capacity: 4, Now: clock.now})
			tc.setup(t, s, clock)
			require.Zero(t, s.Evictions(), "before the store is full")
			for i := range tc.newKeys {
				fill(t, s, "new"+strconv.Itoa(i), lease, 0)
			}
			require.Equal(t, tc.want, s.Evictions())
			require.Equal(t, 4, s.Len())
			checkLRUList(t, s)
		})
	}
}

// TestLRUStoreOnEvict checks the callback: once per early eviction with
// the count so far, outside the store's lock, also under concurrent use.
func TestLRUStoreOnEvict(t *testing.T) {
	ctx := context.Background()

	t.Run("each total in order, none for expired keys", func(t *testing.T) {
		clock := &lruClock{t: time.Unix(1_700_000_000, 0)}
		var totals []uint64
		s := NewLRUStore(LRUStoreOptions{Capacity: 2, Now: clock.now,
			OnEvict: func(total uint64) { totals = append(totals, total) }})
		fill(t, s, "a", time.Minute, time.Hour)
		fill(t, s, "b", time.Minute, time.Hour)
		fill(t, s, "c", time.Minute, 0)
		fill(t, s, "d", time.Minute, 0)
		require.Equal(t, []uint64{1, 2}, totals)
		clock.advance(time.Minute) // c's and d's leases end
		fill(t, s, "e", time.Minute, 0)
		fill(t, s, "f", time.Minute, 0)
		require.Equal(t, []uint64{1, 2}, totals, "expired keys are not reported")
		fill(t, s, "g", time.Minute, 0)
		require.Equal(t, []uint64{1, 2, 3}, totals)
		require.Equal(t, uint64(3), s.Evictions())
	})

	t.Run("the callback may call the store", func(t *testing.T) {
		var s *LRUStore
		var seen []string
		s = NewLRUStore(LRUStoreOptions{Capacity: 2, OnEvict: func(total uint64) {
			// Every method takes the lock: a call under it would deadlock.
			seen = append(seen, fmt.Sprintf("total %d, Evictions %d, Len %d", total, s.Evictions(), s.Len()))
			if total == 1 {
				res, err := s.Reserve(ctx, "from the callback", time.Minute) // evicts b: total 2
				if assert.NoError(t, err) {
					assert.NoError(t, s.Complete(ctx, "from the callback", res.Token, 200, time.Hour))
				}
			}
		}})
		done := make(chan struct{})
		go func() {
			defer close(done)
			fill(t, s, "a", time.Minute, time.Hour)
			fill(t, s, "b", time.Minute, time.Hour)
			fill(t, s, "c", time.Minute, time.Hour) // evicts a: total 1
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("Reserve did not return within 10 s: OnEvict ran under the store's lock")
		}
		require.Equal(t, []string{"total 1, Evictions 1, Len 2", "total 2, Evictions 2, Len 2"}, seen)
		for key, want := range map[string]State{"from the callback": Done, "c": Done} {
			res, err := s.Reserve(ctx, key, time.Minute)
			require.NoError(t, err)
			require.Equal(t, want, res.State, key)
		}
		require.Equal(t, uint64(2), s.Evictions())
	})

	t.Run("concurrent reserves", func(t *testing.T) {
		const capacity, workers, each = 16, 8, 200
		var mu sync.Mutex // guards totals
		totals := map[uint64]int{}
		s := NewLRUStore(LRUStoreOptions{Capacity: capacity, OnEvict: func(total uint64) {
			mu.Lock()
			totals[total]++
			mu.Unlock()
		}})
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					res, err := s.Reserve(ctx, fmt.Sprintf("w%d:%d", w, i), time.Hour)
					assert.NoError(t, err)
					assert.Equal(t, Reserved, res.State)
				}
			})
		}
		wg.Wait()
		const want = workers*each - capacity // every key but the last ones held is evicted live
		require.Equal(t, uint64(want), s.Evictions())
		require.Len(t, totals, want)
		for total := range uint64(want) {
			require.Equal(t, 1, totals[total+1], "total %d passed once", total+1)
		}
	})
}
