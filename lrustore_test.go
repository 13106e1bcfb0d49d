package bankhook

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
	"github.com/stretchr/testify/require"
)

// refStore is the LRUStore as it was built on golang-lru's simplelru,
// with the keys themselves in a map: the reference the flat store must
// behave like, transition for transition and eviction for eviction.
type refStore struct {
	now   func() time.Time
	next  uint64
	cache *simplelru.LRU[string, refEntry]
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
	s.cache.Remove(key)
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
			got := NewLRUStoreWith(LRUStoreOptions{Capacity: capacity, Now: now})
			c, err := simplelru.NewLRU[string, refEntry](capacity, nil)
			require.NoError(t, err)
			want := &refStore{now: now, cache: c}
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
			}
			checkLRUList(t, got)
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
	a, b := NewLRUStore(1), NewLRUStore(1)
	require.NotEqual(t, a.digest("bunq:MUTATION:x"), b.digest("bunq:MUTATION:x"))
	require.Equal(t, a.digest("bunq:MUTATION:x"), a.digest("bunq:MUTATION:x"))
	require.NotEqual(t, a.digest("bunq:MUTATION:x"), a.digest("bunq:MUTATION:y"))
	long := string(make([]byte, 1000))
	require.NotEqual(t, a.digest(long), a.digest(long[1:]), "keys longer than the stack buffer")
}
