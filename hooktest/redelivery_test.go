package hooktest_test

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/bankhub"
	"github.com/bankhook/bankhook/bunq"
	"github.com/bankhook/bankhook/hooktest"
	"github.com/bankhook/bankhook/hooktest/samples"
)

// What the dedupe store does with deliveries that come long after the
// first, or while a crashed process still holds the event's key.

// receiver is the chain ReadBody → Decode → Dedupe → Handle on store,
// counting the handler's calls.
func receiver[E bankhook.Event](decode func([]byte) (E, error), store bankhook.Store, calls *atomic.Int32) http.Handler {
	return bankhook.Chain(
		bankhook.Handle(func(context.Context, E) error { calls.Add(1); return nil }),
		bankhook.Observe(bankhook.ObserverFuncs{}),
		bankhook.ReadBody(bankhook.BodyOptions{}),
		bankhook.Decode(decode),
		bankhook.Dedupe(bankhook.DedupeOptions{Store: store, Logger: slog.New(slog.DiscardHandler)}),
	)
}

func bunqDelivery(t *testing.T, name string) *hooktest.Delivery {
	t.Helper()
	body, ok := samples.Bunq(name)
	require.True(t, ok, name)
	d := hooktest.NewDelivery("/bunq", body)
	d.RemoteAddr = hooktest.BunqAddr
	d.Label = name
	return d
}

func TestLateRetryAnsweredFromStore(t *testing.T) {
	clock := hooktest.NewClock(hooktest.Epoch())
	store := bankhook.NewLRUStore(bankhook.LRUStoreOptions{Now: clock.Now})
	var calls atomic.Int32
	h := receiver(bunq.Decode, store, &calls)
	ds := []*hooktest.Delivery{bunqDelivery(t, "MUTATION")}
	replay := func() hooktest.Attempt {
		t.Helper()
		rep, err := hooktest.Replay(t.Context(), h, bunq.RetrySchedule(), ds, hooktest.ReplayOptions{Clock: clock})
		require.NoError(t, err)
		require.Len(t, rep.Events[0].Attempts, 1)
		return rep.Events[0].Attempts[0]
	}

	first := replay()
	assert.True(t, first.Acknowledged())
	assert.False(t, first.Replayed)
	assert.EqualValues(t, 1, calls.Load())

	tests := []struct {
		name         string
		after        time.Duration // since the previous delivery
		wantReplayed bool
		wantCalls    int32
	}{
		// bunq's failure list lets a delivery be re-sent by hand, days later.
		{"re-sent two days later", 48 * time.Hour, true, 1},
		{"re-sent again just inside the TTL", bankhook.DefaultDedupeTTL - 48*time.Hour - time.Second, true, 1},
		// The documented limitation: past the TTL the store has forgotten
		// the event, and it is handled again.
		{"re-sent after the TTL", 2 * time.Second, false, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock.Advance(tt.after)
			a := replay()
			assert.Equal(t, http.StatusOK, a.Status)
			assert.True(t, a.Acknowledged())
			assert.Equal(t, tt.wantReplayed, a.Replayed)
			assert.Equal(t, tt.wantCalls, calls.Load())
		})
	}
}

func TestCrashedHolderBlocksUntilLeaseEnds(t *testing.T) {
	body, ok := samples.Bankhub("TRANSACTIONS_DEFAULT_UPDATE")
	require.True(t, ok)
	w, err := bankhub.Decode(body)
	require.NoError(t, err)

	clock := hooktest.NewClock(hooktest.Epoch())
	store := bankhook.NewLRUStore(bankhook.LRUStoreOptions{Now: clock.Now})
	// Another replica reserved the event and died before completing it.
	res, err := store.Reserve(t.Context(), w.IdempotencyKey(), bankhook.DefaultLease)
	require.NoError(t, err)
	require.Equal(t, bankhook.Reserved, res.State)

	var calls atomic.Int32
	d := hooktest.NewDelivery("/bankhub", body)
	d.RemoteAddr = hooktest.BankHubAddr
	rep, err := hooktest.Replay(t.Context(), receiver(bankhub.Decode, store, &calls), bankhub.RetrySchedule(),
		[]*hooktest.Delivery{d}, hooktest.ReplayOptions{Clock: clock})
	require.NoError(t, err)

	// bankHub retries after 30 s and 60 s; the 60 s lease ends at the
	// second retry, which takes the key over.
	as := rep.Events[0].Attempts
	assert.Equal(t, []int{http.StatusConflict, http.StatusConflict, http.StatusOK}, statuses(as))
	assert.Equal(t, hooktest.Epoch().Add(bankhook.DefaultLease), as[2].At)
	assert.True(t, rep.Events[0].Acknowledged)
	assert.EqualValues(t, 1, calls.Load())
	assert.Equal(t, 2, rep.Totals.InFlight)
}

func TestEvictedEventIsHandledAgain(t *testing.T) {
	// The documented limitation of a store too small for the retry
	// window: an evicted key is forgotten, so a late duplicate of its
	// event is handled again. Three distinct events, then the first again.
	tests := []struct {
		name         string
		capacity     int
		wantReplayed bool
		wantCalls    int32
	}{
		{"store holds every key", 3, true, 3},
		{"first key evicted", 2, false, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := hooktest.NewClock(hooktest.Epoch())
			store := bankhook.NewLRUStore(bankhook.LRUStoreOptions{Capacity: tt.capacity, Now: clock.Now})
			var calls atomic.Int32
			payment := bunqDelivery(t, "MUTATION")
			ds := []*hooktest.Delivery{payment, bunqDelivery(t, "REQUEST"), bunqDelivery(t, "DRAFT_PAYMENT"), payment}
			rep, err := hooktest.Replay(t.Context(), receiver(bunq.Decode, store, &calls), bunq.RetrySchedule(), ds,
				hooktest.ReplayOptions{Clock: clock, Spacing: time.Minute})
			require.NoError(t, err)
			for _, e := range rep.Events {
				require.Len(t, e.Attempts, 1)
				require.True(t, e.Acknowledged)
			}
			assert.Equal(t, tt.wantReplayed, rep.Events[3].Attempts[0].Replayed)
			assert.Equal(t, tt.wantCalls, calls.Load())
		})
	}
}
