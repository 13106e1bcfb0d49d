package hooktest

import (
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
)

// StoreHarness adapts a [bankhook.Store] implementation to [TestStore].
type StoreHarness struct {
	// New returns a new, empty store for the test t. Required.
	//
	// TestStore's subtests run in parallel, each with its own store, so
	// stores from different calls must not see each other's keys: give
	// each one a fresh key prefix when they share a server.
	New func(t *testing.T) bankhook.Store
	// Advance lets at least d pass on the clock of the stores New returned
	// to t: a fake clock moves forward (keep one clock per t), a real
	// one sleeps. Required.
	Advance func(t *testing.T, d time.Duration)
}

// Durations the suite uses. Waits are [ShortLease] twice over, so a
// store on a real clock (Redis: millisecond expiry) runs the whole suite
// in well under a second; states that must not expire during a subtest
// use a lease or TTL of a minute.
const (
	// ShortLease is the lease and TTL the suite waits out.
	ShortLease = 100 * time.Millisecond
	longLease  = time.Minute
	// concurrentReservers is how many goroutines race for one key.
	concurrentReservers = 64
)

// TestStore checks that a [bankhook.Store] implements the contract
// [bankhook.Dedupe] relies on: every transition between absent, reserved
// and done; leases that end, so a crashed holder blocks a key only until
// its lease is over; fencing, so a holder whose lease ended can neither
// complete nor release the key, before or after another caller took it
// over; done keys that keep their status for the TTL and are forgotten
// after it; and exactly one winner when many goroutines reserve one key at
// once. Each check is a parallel subtest.
func TestStore(t *testing.T, h StoreHarness) {
	t.Helper()
	require.NotNil(t, h.New, "hooktest: StoreHarness.New is required")
	require.NotNil(t, h.Advance, "hooktest: StoreHarness.Advance is required")
	for _, c := range storeChecks {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.check(t, h, h.New(t))
		})
	}
}

var storeChecks = []struct {
	name  string
	check func(t *testing.T, h StoreHarness, s bankhook.Store)
}{
	{"absent_reserves", checkAbsentReserves},
	{"reserved_is_in_flight", checkReservedIsInFlight},
	{"complete_then_done", checkCompleteThenDone},
	{"done_keeps_status", checkDoneKeepsStatus},
	{"release_then_absent", checkReleaseThenAbsent},
	{"wrong_token", checkWrongToken},
	{"unknown_key", checkUnknownKey},
	{"done_is_final", checkDoneIsFinal},
	{"old_token_after_release", checkOldTokenAfterRelease},
	{"lease_expiry", checkLeaseExpiry},
	{"fencing_before_takeover", checkFencingBeforeTakeover},
	{"fencing_after_takeover", checkFencingAfterTakeover},
	{"ttl_expiry", checkTTLExpiry},
	{"keys_independent", checkKeysIndependent},
	{"concurrent_reserve", checkConcurrentReserve},
	{"concurrent_keys", checkConcurrentKeys},
}

// reserve reserves key and requires the store to answer want.
func reserve(t *testing.T, s bankhook.Store, key string, lease time.Duration, want bankhook.State) bankhook.Reservation {
	t.Helper()
	res, err := s.Reserve(t.Context(), key, lease)
	require.NoError(t, err, "Reserve(%q)", key)
	require.Equal(t, want, res.State, "Reserve(%q): state", key)
	switch want {
	case bankhook.Reserved:
		require.NotEmpty(t, res.Token, "Reserve(%q): a reservation needs a token", key)
	default:
		require.Empty(t, res.Token, "Reserve(%q): only a reservation carries a token", key)
	}
	return res
}

// leaseLost requires err to wrap bankhook.ErrLeaseLost.
func leaseLost(t *testing.T, err error, op string) {
	t.Helper()
	require.ErrorIs(t, err, bankhook.ErrLeaseLost, "%s must report the lost lease", op)
}

func checkAbsentReserves(t *testing.T, _ StoreHarness, s bankhook.Store) {
	res := reserve(t, s, "evt-1", longLease, bankhook.Reserved)
	assert.Zero(t, res.Status, "a reservation has no status")
}

func checkReservedIsInFlight(t *testing.T, _ StoreHarness, s bankhook.Store) {
	reserve(t, s, "evt-1", longLease, bankhook.Reserved)
	for range 3 {
		res := reserve(t, s, "evt-1", longLease, bankhook.InFlight)
		assert.Zero(t, res.Status, "an in-flight key has no status")
	}
}

func checkCompleteThenDone(t *testing.T, _ StoreHarness, s bankhook.Store) {
	res := reserve(t, s, "evt-1", longLease, bankhook.Reserved)
	require.NoError(t, s.Complete(t.Context(), "evt-1", res.Token, 200, longLease))
	for range 3 {
		done := reserve(t, s, "evt-1", longLease, bankhook.Done)
		assert.Equal(t, 200, done.Status)
	}
}

func checkDoneKeepsStatus(t *testing.T, _ StoreHarness, s bankhook.Store) {
	for _, status := range []int{200, 201, 202, 204, 299} {
		key := "evt-status-" + strconv.Itoa(status)
		res := reserve(t, s, key, longLease, bankhook.Reserved)
		require.NoError(t, s.Complete(t.Context(), key, res.Token, status, longLease))
		done := reserve(t, s, key, longLease, bankhook.Done)
		assert.Equal(t, status, done.Status, "status of %q", key)
	}
}

func checkReleaseThenAbsent(t *testing.T, _ StoreHarness, s bankhook.Store) {
	first := reserve(t, s, "evt-1", longLease, bankhook.Reserved)
	require.NoError(t, s.Release(t.Context(), "evt-1", first.Token))
	second := reserve(t, s, "evt-1", longLease, bankhook.Reserved)
	assert.NotEqual(t, first.Token, second.Token, "a new reservation needs a new token")
	require.NoError(t, s.Complete(t.Context(), "evt-1", second.Token, 200, longLease))
	reserve(t, s, "evt-1", longLease, bankhook.Done)
}

func checkWrongToken(t *testing.T, _ StoreHarness, s bankhook.Store) {
	res := reserve(t, s, "evt-1", longLease, bankhook.Reserved)
	for _, tok := range []string{"", res.Token + "x", "not-" + res.Token} {
		leaseLost(t, s.Complete(t.Context(), "evt-1", tok, 200, longLease), "Complete with a wrong token")
		leaseLost(t, s.Release(t.Context(), "evt-1", tok), "Release with a wrong token")
	}
	// The holder is unaffected.
	reserve(t, s, "evt-1", longLease, bankhook.InFlight)
	require.NoError(t, s.Complete(t.Context(), "evt-1", res.Token, 202, longLease))
	assert.Equal(t, 202, reserve(t, s, "evt-1", longLease, bankhook.Done).Status)
}

func checkUnknownKey(t *testing.T, _ StoreHarness, s bankhook.Store) {
	res := reserve(t, s, "evt-held", longLease, bankhook.Reserved)
	// A token is good for its own key only.
	leaseLost(t, s.Complete(t.Context(), "evt-absent", res.Token, 200, longLease), "Complete of an absent key")
	leaseLost(t, s.Release(t.Context(), "evt-absent", res.Token), "Release of an absent key")
	reserve(t, s, "evt-absent", longLease, bankhook.Reserved)
}

func checkDoneIsFinal(t *testing.T, _ StoreHarness, s bankhook.Store) {
	res := reserve(t, s, "evt-1", longLease, bankhook.Reserved)
	require.NoError(t, s.Complete(t.Context(), "evt-1", res.Token, 200, longLease))
	leaseLost(t, s.Complete(t.Context(), "evt-1", res.Token, 201, longLease), "a second Complete")
	leaseLost(t, s.Release(t.Context(), "evt-1", res.Token), "Release after Complete")
	assert.Equal(t, 200, reserve(t, s, "evt-1", longLease, bankhook.Done).Status, "the first status stays")
}

func checkOldTokenAfterRelease(t *testing.T, _ StoreHarness, s bankhook.Store) {
	old := reserve(t, s, "evt-1", longLease, bankhook.Reserved)
	require.NoError(t, s.Release(t.Context(), "evt-1", old.Token))
	cur := reserve(t, s, "evt-1", longLease, bankhook.Reserved)
	leaseLost(t, s.Complete(t.Context(), "evt-1", old.Token, 200, longLease), "Complete with a released token")
	leaseLost(t, s.Release(t.Context(), "evt-1", old.Token), "Release with a released token")
	reserve(t, s, "evt-1", longLease, bankhook.InFlight)
	require.NoError(t, s.Complete(t.Context(), "evt-1", cur.Token, 200, longLease))
}

func checkLeaseExpiry(t *testing.T, h StoreHarness, s bankhook.Store) {
	// A holder that crashed: it never completes nor releases.
	crashed := reserve(t, s, "evt-1", ShortLease, bankhook.Reserved)
	reserve(t, s, "evt-1", longLease, bankhook.InFlight)
	h.Advance(t, 2*ShortLease)
	next := reserve(t, s, "evt-1", longLease, bankhook.Reserved)
	assert.NotEqual(t, crashed.Token, next.Token, "a takeover needs a new token")
	require.NoError(t, s.Complete(t.Context(), "evt-1", next.Token, 200, longLease))
	reserve(t, s, "evt-1", longLease, bankhook.Done)
}

func checkFencingBeforeTakeover(t *testing.T, h StoreHarness, s bankhook.Store) {
	slow := reserve(t, s, "evt-complete", ShortLease, bankhook.Reserved)
	slow2 := reserve(t, s, "evt-release", ShortLease, bankhook.Reserved)
	h.Advance(t, 2*ShortLease)
	// The lease ended and nobody took the key over yet: still too late.
	leaseLost(t, s.Complete(t.Context(), "evt-complete", slow.Token, 200, longLease), "Complete after the lease")
	leaseLost(t, s.Release(t.Context(), "evt-release", slow2.Token), "Release after the lease")
	reserve(t, s, "evt-complete", longLease, bankhook.Reserved)
	reserve(t, s, "evt-release", longLease, bankhook.Reserved)
}

func checkFencingAfterTakeover(t *testing.T, h StoreHarness, s bankhook.Store) {
	slow := reserve(t, s, "evt-1", ShortLease, bankhook.Reserved)
	h.Advance(t, 2*ShortLease)
	next := reserve(t, s, "evt-1", longLease, bankhook.Reserved)

	// The slow holder wakes up: it must not touch the new holder's key.
	leaseLost(t, s.Complete(t.Context(), "evt-1", slow.Token, 500, longLease), "Complete by a holder taken over")
	leaseLost(t, s.Release(t.Context(), "evt-1", slow.Token), "Release by a holder taken over")
	reserve(t, s, "evt-1", longLease, bankhook.InFlight)

	require.NoError(t, s.Complete(t.Context(), "evt-1", next.Token, 201, longLease))
	leaseLost(t, s.Complete(t.Context(), "evt-1", slow.Token, 500, longLease), "Complete of a done key by a holder taken over")
	leaseLost(t, s.Release(t.Context(), "evt-1", slow.Token), "Release of a done key by a holder taken over")
	assert.Equal(t, 201, reserve(t, s, "evt-1", longLease, bankhook.Done).Status)
}

func checkTTLExpiry(t *testing.T, h StoreHarness, s bankhook.Store) {
	short := reserve(t, s, "evt-short", longLease, bankhook.Reserved)
	long := reserve(t, s, "evt-long", longLease, bankhook.Reserved)
	require.NoError(t, s.Complete(t.Context(), "evt-short", short.Token, 200, ShortLease))
	require.NoError(t, s.Complete(t.Context(), "evt-long", long.Token, 204, longLease))
	h.Advance(t, 2*ShortLease)
	again := reserve(t, s, "evt-short", longLease, bankhook.Reserved)
	assert.NotEqual(t, short.Token, again.Token)
	assert.Equal(t, 204, reserve(t, s, "evt-long", longLease, bankhook.Done).Status, "a TTL is per key")
}

func checkKeysIndependent(t *testing.T, _ StoreHarness, s bankhook.Store) {
	// Keys that are prefixes of each other, or carry separators, braces
	// (Redis Cluster hash tags), a NUL byte or non-ASCII text.
	keys := []string{"a", "a:b", "a:b:c", "{a}", "a}b{c", "{}", "a\x00b", "bunq:PAYMENT:€", "sha256:" + strings.Repeat("0f", 32)}
	tokens := make(map[string]string, len(keys))
	for _, k := range keys {
		tokens[k] = reserve(t, s, k, longLease, bankhook.Reserved).Token
	}
	for i, k := range keys {
		if i%2 == 0 {
			require.NoError(t, s.Complete(t.Context(), k, tokens[k], 200+i, longLease), "Complete(%q)", k)
		} else {
			require.NoError(t, s.Release(t.Context(), k, tokens[k]), "Release(%q)", k)
		}
	}
	for i, k := range keys {
		if i%2 == 0 {
			assert.Equal(t, 200+i, reserve(t, s, k, longLease, bankhook.Done).Status, "status of %q", k)
		} else {
			reserve(t, s, k, longLease, bankhook.Reserved)
		}
	}
}

func checkConcurrentReserve(t *testing.T, _ StoreHarness, s bankhook.Store) {
	race := func() map[bankhook.State][]bankhook.Reservation {
		var (
			mu    sync.Mutex // guards byState
			wg    sync.WaitGroup
			start = make(chan struct{})
		)
		byState := make(map[bankhook.State][]bankhook.Reservation)
		for range concurrentReservers {
			wg.Go(func() {
				<-start
				res, err := s.Reserve(t.Context(), "evt-1", longLease)
				assert.NoError(t, err)
				mu.Lock()
				byState[res.State] = append(byState[res.State], res)
				mu.Unlock()
			})
		}
		close(start)
		wg.Wait()
		return byState
	}

	first := race()
	require.Len(t, first[bankhook.Reserved], 1, "exactly one of %d reservers wins: %v", concurrentReservers, first)
	require.Len(t, first[bankhook.InFlight], concurrentReservers-1)
	require.NoError(t, s.Complete(t.Context(), "evt-1", first[bankhook.Reserved][0].Token, 200, longLease))

	second := race()
	require.Len(t, second[bankhook.Done], concurrentReservers, "every reserver sees the key done: %v", second)
}

func checkConcurrentKeys(t *testing.T, _ StoreHarness, s bankhook.Store) {
	var (
		mu     sync.Mutex // guards tokens
		wg     sync.WaitGroup
		tokens = make(map[string]bool)
	)
	for i := range concurrentReservers {
		wg.Go(func() {
			key := "evt-" + strconv.Itoa(i)
			res, err := s.Reserve(t.Context(), key, longLease)
			if assert.NoError(t, err) && assert.Equal(t, bankhook.Reserved, res.State, "key %q", key) {
				assert.NoError(t, s.Complete(t.Context(), key, res.Token, 200, longLease))
				mu.Lock()
				tokens[res.Token] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	assert.Len(t, tokens, concurrentReservers, "every reservation has its own token")
}
