package bankhook

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// LRUStore is the embedded [Store]: one process, bounded memory. It keeps
// at most its capacity of keys and evicts the least recently used when
// full. Leases and TTLs expire per key and are checked on every read; no
// goroutine sweeps.
//
// An evicted key is forgotten: if the bank retries it, it is handled
// again. Size the capacity to hold every key of the retry window (see the
// README's sizing rule): the default, 100,000 keys, covers about 23 events
// a minute for 72 h. [LRUStore.Evictions] counts the keys evicted before
// they expired, and LRUStoreOptions.OnEvict reports each one, so that a
// store too small for its traffic shows.
//
// The store holds no pointers, so a full store costs the garbage collector
// nothing to mark: it keeps a 128-bit digest of each key (not the key),
// its state, and the links of the LRU list as indexes into one flat slice.
// The digest is SHA-256 of a random per-store seed and the key, cut to
// 128 bits. Two keys that share a digest would be one event to the store
// — the second answered as a duplicate of the first without being handled
// — so the digest must be one whose collisions nobody can arrange: SHA-256
// is collision-resistant, and the secret seed (32 bytes from crypto/rand,
// never exposed) keeps anyone from even searching for a 128-bit collision
// offline, which the generic 2^64 birthday search would otherwise allow.
// By chance, two of 100,000 keys collide with a probability below 10^-28.
//
// An LRUStore is safe for concurrent use. Use [NewLRUStore]; the zero
// value is not usable.
type LRUStore struct {
	now     func() time.Time
	onEvict func(total uint64) // LRUStoreOptions.OnEvict; never called under mu
	seed    [32]byte           // salts every key digest; secret, fixed for the store's life
	cap     int                // most keys kept

	mu        sync.Mutex          // guards everything below; every transition happens under it
	evictions uint64              // keys evicted before they expired
	index     map[keyDigest]int32 // the slot of each key held
	slots     []lruSlot           // the entries, in no order; grows up to cap
	head      int32               // the most recently used slot; noSlot when empty
	tail      int32               // the least recently used slot; noSlot when empty
	free      int32               // a released slot to reuse, chained through next; noSlot when none
	next      uint64              // the last token handed out
}

// keyDigest identifies a key in an LRUStore (see LRUStore).
type keyDigest [16]byte

// lruSlot is one key's entry: what simplelru.LRU would keep behind a
// pointer, flattened so that the collector has nothing to follow.
type lruSlot struct {
	key        keyDigest
	prev, next int32 // LRU list neighbours, towards head and tail; noSlot at the ends
	state      State
	status     int32
	token      uint64 // for Reserved: the holder's token
	expires    int64  // unix nanoseconds
}

// noSlot ends the LRU list and the free list.
const noSlot = -1

// LRUStoreOptions configures [NewLRUStore]. The zero value keeps
// 100,000 keys on the wall clock.
type LRUStoreOptions struct {
	// Capacity is the number of keys kept. Default 100,000.
	Capacity int
	// Now is the clock leases and TTLs are measured on. Default time.Now.
	Now func() time.Time
	// OnEvict is called after each eviction that [LRUStore.Evictions]
	// counts (a key evicted before it expired), with that count including
	// this eviction, for example to log the first one as a warning. It
	// is called on the goroutine of the Reserve that evicted the key,
	// after the store's lock is released, so it may call the store; it
	// should return quickly, as that Reserve waits for it. Calls from
	// concurrent Reserves may overlap and arrive out of order, but each
	// total is passed exactly once: one call, and one only, sees 1.
	// Default none.
	OnEvict func(total uint64)
}

// NewLRUStore returns an in-memory store configured by o. Its memory
// grows with the keys it holds: about 60 bytes a key (6 MB for the default
// 100,000, measured by bench's BenchmarkDedupeMemory).
func NewLRUStore(o LRUStoreOptions) *LRUStore {
	if o.Capacity <= 0 {
		o.Capacity = DefaultLRUCapacity
	}
	// Slot indexes are int32; no process holds 2^31 keys in memory anyway.
	o.Capacity = min(o.Capacity, 1<<31-1)
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &LRUStore{
		now:     o.Now,
		onEvict: o.OnEvict,
		cap:     o.Capacity,
		index:   make(map[keyDigest]int32),
		head:    noSlot,
		tail:    noSlot,
		free:    noSlot,
	}
	rand.Read(s.seed[:]) // never fails (crypto/rand panics rather than return an error)
	return s
}

// digest returns the key's digest; see LRUStore for why it is safe.
func (s *LRUStore) digest(key string) keyDigest {
	var buf [len(s.seed) + 128]byte // keys are about 80 bytes; longer ones are copied to the heap
	sum := sha256.Sum256(append(append(buf[:0], s.seed[:]...), key...))
	return keyDigest(sum[:16])
}

// Len is the number of keys held, expired ones included until they are
// read or evicted.
func (s *LRUStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.index)
}

// Evictions is the number of keys the store has evicted before they
// expired, to make room for new ones: done keys still within their TTL,
// and reserved keys whose lease had not ended. A retry of the event of
// such a key is handled again, so a count that grows means the capacity
// is too small for the traffic and the TTL. Keys that had expired when
// they were evicted are not counted.
func (s *LRUStore) Evictions() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.evictions
}

// Reserve implements [Store].
func (s *LRUStore) Reserve(_ context.Context, key string, lease time.Duration) (Reservation, error) {
	d := s.digest(key)
	now := s.now().UnixNano()
	s.mu.Lock() // not deferred: OnEvict is called after the unlock
	i, ok := s.index[d]
	if ok {
		s.touch(i)
		if e := &s.slots[i]; now < e.expires {
			res := Reservation{State: InFlight}
			if e.state == Done {
				res = Reservation{State: Done, Status: int(e.status)}
			}
			s.mu.Unlock()
			return res, nil
		}
	}
	var evicted uint64 // the count of early evictions, when this call made one
	if !ok {
		var early bool
		if i, early = s.add(d, now); early {
			s.evictions++
			evicted = s.evictions
		}
	}
	s.next++
	tok := s.next
	s.slots[i].state, s.slots[i].status = Reserved, 0
	s.slots[i].token, s.slots[i].expires = tok, now+int64(lease)
	s.mu.Unlock()
	if evicted != 0 && s.onEvict != nil {
		s.onEvict(evicted)
	}
	return Reservation{State: Reserved, Token: strconv.FormatUint(tok, 36)}, nil
}

// Complete implements [Store].
func (s *LRUStore) Complete(_ context.Context, key, token string, status int, ttl time.Duration) error {
	return s.holding(key, token, func(i int32, now int64) {
		s.touch(i)
		s.slots[i].state, s.slots[i].status = Done, int32(status)
		s.slots[i].token, s.slots[i].expires = 0, now+int64(ttl)
	})
}

// Release implements [Store].
func (s *LRUStore) Release(_ context.Context, key, token string) error {
	return s.holding(key, token, func(i int32, _ int64) { s.remove(i) })
}

// holding runs f, under s.mu, on the slot of key if token holds it with a
// live lease, and otherwise returns an error wrapping ErrLeaseLost.
func (s *LRUStore) holding(key, token string, f func(i int32, now int64)) error {
	d := s.digest(key)
	now := s.now().UnixNano()
	tok, err := strconv.ParseUint(token, 36, 64)
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.index[d]
	if !ok || err != nil {
		return fmt.Errorf("%w: key %q", ErrLeaseLost, key)
	}
	if e := &s.slots[i]; e.state != Reserved || e.token != tok || now >= e.expires {
		return fmt.Errorf("%w: key %q", ErrLeaseLost, key)
	}
	f(i, now)
	return nil
}

// add returns a slot for a key not held, at the front of the list: a
// free slot, a new one while below capacity, else the least recently used
// one, whose key is evicted; early reports that key had not expired at
// now. s.mu must be held.
func (s *LRUStore) add(d keyDigest, now int64) (i int32, early bool) {
	switch {
	case s.free != noSlot:
		i = s.free
		s.free = s.slots[i].next
	case len(s.slots) < s.cap:
		if len(s.slots) == cap(s.slots) {
			// Grow by doubling, but never past capacity.
			grown := make([]lruSlot, len(s.slots), min(max(2*cap(s.slots), 64), s.cap))
			copy(grown, s.slots)
			s.slots = grown
		}
		i = int32(len(s.slots))
		s.slots = s.slots[:i+1]
	default:
		i = s.tail
		early = now < s.slots[i].expires
		s.unlink(i)
		delete(s.index, s.slots[i].key)
	}
	s.slots[i] = lruSlot{key: d, prev: noSlot, next: noSlot}
	s.index[d] = i
	s.pushFront(i)
	return i, early
}

// remove forgets the key in slot i and frees the slot. s.mu must be held.
func (s *LRUStore) remove(i int32) {
	s.unlink(i)
	delete(s.index, s.slots[i].key)
	s.slots[i] = lruSlot{prev: noSlot, next: s.free}
	s.free = i
}

// touch moves slot i to the front of the list. s.mu must be held.
func (s *LRUStore) touch(i int32) {
	if s.head != i {
		s.unlink(i)
		s.pushFront(i)
	}
}

func (s *LRUStore) unlink(i int32) {
	e := &s.slots[i]
	if e.prev != noSlot {
		s.slots[e.prev].next = e.next
	} else {
		s.head = e.next
	}
	if e.next != noSlot {
		s.slots[e.next].prev = e.prev
	} else {
		s.tail = e.prev
	}
	e.prev, e.next = noSlot, noSlot
}

func (s *LRUStore) pushFront(i int32) {
	e := &s.slots[i]
	e.prev, e.next = noSlot, s.head
	if s.head != noSlot {
		s.slots[s.head].prev = i
	}
	s.head = i
	if s.tail == noSlot {
		s.tail = i
	}
}
