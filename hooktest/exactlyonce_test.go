package hooktest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/bankhub"
	"github.com/bankhook/bankhook/bunq"
	"github.com/bankhook/bankhook/hooktest"
	"github.com/bankhook/bankhook/hooktest/samples"
	"github.com/bankhook/bankhook/internal/fixtures"
)

// The exactly-once suite replays thousands of distinct events through
// each bank's retry policy and the whole receiving chain (ReadBody →
// Decode → Dedupe on an LRU store → Handle), against an application
// handler that fails, panics or hangs on about 30% of its calls, with one
// event in five delivered by two senders at the same moment. It checks
// the one rule: no event handled twice, none acknowledged without being
// handled, and every event the handler would accept within the policy's
// attempts acknowledged.
//
// It runs in a testing/synctest bubble, so handlers that hang until their
// 25 s or 30 s deadline cost no real time; the retry schedule itself runs
// on a hooktest.Clock.

const (
	exactlyOnceEvents = 10_000 // per bank
	exactlyOnceSeed   = 20260323
)

// outcome is what the application handler does on one call.
type outcome uint8

const (
	succeed   outcome = iota // records the event as handled, returns nil
	fail                     // returns an error: 500
	panicking                // panics: recovered by Handle, 500
	hang                     // blocks until its context ends: 503
)

// bankSuite is one bank's policy, events and receiving chain.
type bankSuite[E bankhook.Event] struct {
	policy bankhook.RetryPolicy
	decode func([]byte) (E, error)
	// bodies returns n distinct events as the bank sends them.
	bodies func(t *testing.T, n int) [][]byte
	sender string // RemoteAddr of the deliveries
	// deadline is the Deadline stage before Handle; 0 leaves the handler
	// to the replay's per-attempt timeout (the policy's).
	deadline time.Duration
	// spacing is the time between the first deliveries of two events.
	spacing time.Duration
}

func TestExactlyOnce(t *testing.T) {
	events := exactlyOnceEvents
	if testing.Short() {
		events = 1_000
	}
	t.Run("bunq", func(t *testing.T) {
		runExactlyOnce(t, events, bankSuite[*bunq.Notification]{
			policy: bunq.RetrySchedule(),
			decode: bunq.Decode,
			bodies: bunqPayments,
			sender: hooktest.BunqAddr,
			// bunq documents no timeout: the receiver bounds its handler.
			deadline: bankhook.DefaultDeadline,
			spacing:  0, // every event at once: thousands of keys in flight together
		})
	})
	t.Run("bankhub", func(t *testing.T) {
		runExactlyOnce(t, events, bankSuite[*bankhub.Webhook]{
			policy: bankhub.RetrySchedule(),
			decode: bankhub.Decode,
			bodies: bankhubTransactions,
			sender: hooktest.BankHubAddr,
			// No Deadline stage: a hanging handler runs into bankHub's own
			// 30 s timeout, which the replay enforces.
			deadline: 0,
			spacing:  time.Second, // events arrive through the day while older ones retry
		})
	})
}

func runExactlyOnce[E bankhook.Event](t *testing.T, events int, s bankSuite[E]) {
	synctest.Test(t, func(t *testing.T) {
		bodies := s.bodies(t, events)
		index := make(map[string]int, events) // idempotency key → event
		for i, b := range bodies {
			e, err := s.decode(b)
			require.NoError(t, err)
			index[e.IdempotencyKey()] = i
		}
		require.Len(t, index, events, "every event has its own key")

		// The plan: per event, how many senders, and what the handler does
		// on its 1st, 2nd, … call for it. There are at most as many calls
		// as attempts.
		rng := rand.New(rand.NewPCG(exactlyOnceSeed, uint64(len(s.policy.Delays))))
		senders := make([]int, events)
		plans := make([][]outcome, events)
		for i := range plans {
			senders[i] = 1
			if rng.IntN(100) < 20 {
				senders[i] = 2
			}
			plans[i] = make([]outcome, s.policy.Attempts()*senders[i])
			for k := range plans[i] {
				switch r := rng.IntN(100); {
				case r < 70:
					plans[i][k] = succeed
				case r < 80:
					plans[i][k] = fail
				case r < 90:
					plans[i][k] = panicking
				default:
					plans[i][k] = hang
				}
			}
		}

		calls := make([]atomic.Int32, events)   // handler calls per event
		handled := make([]atomic.Int32, events) // successful calls per event
		var byOutcome [hang + 1]atomic.Int32
		handle := func(ctx context.Context, e E) error {
			i, ok := index[e.IdempotencyKey()]
			if !ok {
				return fmt.Errorf("test: unknown event %q", e.IdempotencyKey())
			}
			k := calls[i].Add(1) - 1
			if int(k) >= len(plans[i]) {
				return fmt.Errorf("test: event %d called %d times, more than its %d attempts", i, k+1, len(plans[i]))
			}
			o := plans[i][k]
			byOutcome[o].Add(1)
			switch o {
			case succeed:
				handled[i].Add(1)
				return nil
			case fail:
				return errors.New("test: ledger unavailable")
			case panicking:
				panic("test: ledger corrupted")
			default:
				<-ctx.Done()
				return ctx.Err()
			}
		}

		var obs counters
		clock := hooktest.NewClock(hooktest.Epoch())
		store := bankhook.NewLRUStore(bankhook.LRUStoreOptions{Capacity: 2 * events, Now: clock.Now})
		h := bankhook.Chain(bankhook.Handle(handle),
			bankhook.Observe(obs.observer()),
			bankhook.ReadBody(bankhook.BodyOptions{}),
			bankhook.Decode(s.decode),
			bankhook.Dedupe(bankhook.DedupeOptions{Store: store, Logger: slog.New(slog.DiscardHandler)}),
			bankhook.Deadline(s.deadline),
		)

		ds := make([]*hooktest.Delivery, events)
		for i, b := range bodies {
			ds[i] = hooktest.NewDelivery("/webhook", b)
			ds[i].RemoteAddr = s.sender
		}
		rep, err := hooktest.Replay(t.Context(), h, s.policy, ds, hooktest.ReplayOptions{
			Clock:   clock,
			Workers: 8,
			Senders: func(i int) int { return senders[i] },
			Spacing: s.spacing,
		})
		require.NoError(t, err)

		var handledTwice, ackedUnhandled, handledUnacked, plannedButLost, duplicated, handledTotal int
		for i, e := range rep.Events {
			n := int(handled[i].Load())
			handledTotal += n
			if e.Senders > 1 {
				duplicated++
			}
			switch {
			case n > 1:
				handledTwice++
			case e.Acknowledged && n == 0:
				ackedUnhandled++
			case !e.Acknowledged && n == 1:
				handledUnacked++
			}
			if !e.Acknowledged && slices.Contains(plans[i][:s.policy.Attempts()], succeed) {
				plannedButLost++
			}
			assert.Equal(t, !e.Acknowledged, e.GaveUp, "event %d", i)
			for _, a := range e.Attempts {
				if a.Acknowledged() {
					require.Equal(t, 1, n, "event %d acknowledged (attempt %d of sender %d, replayed %v) without being handled once", i, a.N, a.Sender, a.Replayed)
				}
			}
		}
		tot := rep.Totals
		t.Logf("%s: events=%d (duplicated %d) attempts=%d handled=%d acknowledged=%d gave_up=%d 409s=%d replays=%d timeouts=%d failed_attempts=%d",
			s.policy.Name, tot.Events, duplicated, tot.Attempts, handledTotal, tot.Acknowledged, tot.GaveUp,
			tot.InFlight, tot.Replayed, tot.TimedOut, tot.Failed)
		t.Logf("%s: handler calls: %d succeeded, %d failed, %d panicked, %d hung; fake time %v",
			s.policy.Name, byOutcome[succeed].Load(), byOutcome[fail].Load(), byOutcome[panicking].Load(),
			byOutcome[hang].Load(), rep.End.Sub(rep.Start))

		assert.Zero(t, handledTwice, "events handled twice")
		assert.Zero(t, ackedUnhandled, "events acknowledged without being handled")
		assert.Zero(t, handledUnacked, "events handled but never acknowledged")
		assert.Zero(t, plannedButLost, "events the handler would have accepted, given up")
		assert.Equal(t, int32(handledTotal), byOutcome[succeed].Load())
		assert.Equal(t, events, tot.Events)

		// The chain's own account agrees: one first-hand acknowledgement
		// per handled event, a replayed one for every other 2xx, and one
		// panic report per panicking call.
		assert.EqualValues(t, handledTotal, obs.handled.Load())
		assert.EqualValues(t, tot.Replayed, obs.replayed.Load())
		assert.EqualValues(t, byOutcome[panicking].Load(), obs.panics.Load())
		assert.EqualValues(t, tot.InFlight, obs.reasons(bankhook.ReasonInFlight))
		assert.EqualValues(t, byOutcome[hang].Load(), obs.reasons(bankhook.ReasonTimeout))
		if s.deadline == 0 {
			assert.EqualValues(t, byOutcome[hang].Load(), tot.TimedOut, "every hanging call ran into the bank's timeout")
		} else {
			assert.Zero(t, tot.TimedOut, "the Deadline stage answers before the bank gives up")
		}
		// The plan's proportions hold, so the suite exercises what it says.
		failedCalls := byOutcome[fail].Load() + byOutcome[panicking].Load() + byOutcome[hang].Load()
		assert.InDelta(t, 0.3, float64(failedCalls)/float64(failedCalls+byOutcome[succeed].Load()), 0.03)
		assert.Positive(t, tot.InFlight, "duplicates met in flight")
		assert.Positive(t, tot.Replayed, "duplicates answered from the store")
		assert.Equal(t, events-handledTotal, tot.GaveUp, "the bank gave up exactly the events never handled")
	})
}

// counters is an Observer that counts.
type counters struct {
	handled, replayed, panics atomic.Int64

	mu       sync.Mutex // guards rejected
	rejected map[bankhook.Reason]int
}

func (c *counters) observer() bankhook.Observer {
	return bankhook.ObserverFuncs{
		OnHandled: func(_ *http.Request, o bankhook.Outcome) {
			if o.Replayed {
				c.replayed.Add(1)
			} else {
				c.handled.Add(1)
			}
		},
		OnRejected: func(_ *http.Request, rej bankhook.Rejection) {
			var pe *bankhook.PanicError
			if errors.As(rej.Err, &pe) {
				c.panics.Add(1)
			}
			c.mu.Lock()
			defer c.mu.Unlock()
			if c.rejected == nil {
				c.rejected = map[bankhook.Reason]int{}
			}
			c.rejected[rej.Reason]++
		},
	}
}

func (c *counters) reasons(r bankhook.Reason) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rejected[r]
}

// bunqPayments returns n MUTATION callbacks for distinct payments: the
// package's sample with the payment id changed.
func bunqPayments(t *testing.T, n int) [][]byte {
	t.Helper()
	sample, ok := samples.Bunq("MUTATION")
	require.True(t, ok)
	const id = `"id": 2938471,`
	require.Equal(t, 1, bytes.Count(sample, []byte(id)), "the sample's payment id")
	out := make([][]byte, n)
	for i := range out {
		out[i] = bytes.Replace(sample, []byte(id), fmt.Appendf(nil, `"id": %d,`, 3_000_000+i), 1)
	}
	return out
}

// bankhubTransactions returns n TRANSACTIONS/DEFAULT_UPDATE webhooks for
// distinct transactions: the package's sample with the transaction id
// changed.
func bankhubTransactions(t *testing.T, n int) [][]byte {
	t.Helper()
	sample, ok := samples.Bankhub("TRANSACTIONS_DEFAULT_UPDATE")
	require.True(t, ok)
	const id = `"id": "b2e4c6a8-1d3f-4a5b-8c7d-9e0f1a2b3c4d"`
	require.Equal(t, 1, bytes.Count(sample, []byte(id)), "the sample's transaction id")
	out := make([][]byte, n)
	for i := range out {
		out[i] = bytes.Replace(sample, []byte(id), fmt.Appendf(nil, `"id": "b2e4c6a8-1d3f-4a5b-8c7d-%012d"`, i), 1)
	}
	return out
}

// TestExactlyOnceFixtures delivers every captured bunq callback from the
// shared fixtures (../shared/fixtures beside the repository) twice at the same moment through a handler that
// fails its first call per event: each event is handled once and every
// delivery is acknowledged.
func TestExactlyOnceFixtures(t *testing.T) {
	dir := filepath.Join(fixtures.Dir(t), "bunq")
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, paths, "no bunq fixtures in %s", dir)
	ds := make([]*hooktest.Delivery, len(paths))
	for i, p := range paths {
		ds[i], err = hooktest.DeliveryFromFile("/bunq", p)
		require.NoError(t, err)
		ds[i].RemoteAddr = hooktest.BunqAddr
	}

	var mu sync.Mutex
	calls := map[string]int{}   // handler calls per key
	handled := map[string]int{} // successful calls per key
	h := bankhook.Chain(
		bankhook.Handle(func(_ context.Context, n *bunq.Notification) error {
			mu.Lock()
			defer mu.Unlock()
			k := n.IdempotencyKey()
			calls[k]++
			if calls[k] == 1 {
				return errors.New("test: first call fails")
			}
			handled[k]++
			return nil
		}),
		bankhook.Observe(bankhook.ObserverFuncs{}),
		bankhook.ReadBody(bankhook.BodyOptions{}),
		bankhook.Decode(bunq.Decode),
		bankhook.Dedupe(bankhook.DedupeOptions{Logger: slog.New(slog.DiscardHandler)}),
	)
	rep, err := hooktest.Replay(t.Context(), h, bunq.RetrySchedule(), ds, hooktest.ReplayOptions{
		Senders: func(int) int { return 2 },
	})
	require.NoError(t, err)
	for _, e := range rep.Events {
		assert.True(t, e.Acknowledged, "%s: %v", e.Label, statuses(e.Attempts))
	}
	for k, n := range handled {
		assert.Equal(t, 1, n, "event %s", k)
	}
	assert.Len(t, handled, len(calls), "every event handled")
	t.Logf("fixtures: %d deliveries, %d distinct events; %s", len(ds), len(handled), rep.Totals)
}
