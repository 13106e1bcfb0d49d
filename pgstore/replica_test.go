package pgstore_test

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/bunq"
	"github.com/bankhook/bankhook/hooktest"
	"github.com/bankhook/bankhook/pgstore"
	"github.com/bankhook/bankhook/pgstore/pgtest"
)

// Sizes of the replica run; the timeout bounds it on a slow machine (the
// race detector, a loaded CI), it says nothing of speed.
const (
	replicaEvents  = 2000
	replicaWorkers = 32
	replicaTimeout = 5 * time.Minute
)

// rows counts the rows of payments per event key: how many keys have one
// row, and how many more than one.
func rows(t testing.TB, pool *pgxpool.Pool) (once, twice int) {
	t.Helper()
	require.NoError(t, pool.QueryRow(context.Background(), `SELECT
		count(*) FILTER (WHERE n = 1), count(*) FILTER (WHERE n > 1)
		FROM (SELECT count(*) AS n FROM payments GROUP BY event_key) k`).Scan(&once, &twice))
	return once, twice
}

// flakyBooking books payments, except that the first attempt at every
// fifth payment fails after its insert and the first at every seventh
// panics after it: their transactions must leave nothing behind. It is
// shared by the replicas, as a flaky ledger would be.
type flakyBooking struct {
	tried sync.Map // bunq id → struct{}: the first attempt was made
}

func (f *flakyBooking) book(ctx context.Context, tx pgx.Tx, n *bunq.Notification) error {
	if err := bookPayment(ctx, tx, n); err != nil {
		return err
	}
	id := n.Object.(*bunq.Payment).ID
	if _, again := f.tried.LoadOrStore(id, struct{}{}); again {
		return nil
	}
	switch {
	case id%5 == 0:
		return &bankhook.StatusError{Status: http.StatusServiceUnavailable}
	case id%7 == 0:
		panic("ledger crashed")
	}
	return nil
}

// TestReplicasExactlyOnce: two replicas — each a bunq receiver with a
// pool and a Store of its own on one database — behind a load balancer
// that alternates between them receive 2,000 payments under bunq's retry
// schedule, every fourth sent twice at once (a bank that delivers one
// event twice), and some failing or panicking on their first attempt.
// Every payment is acknowledged and booked exactly once.
func TestReplicasExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("2,000 events against PostgreSQL: not with -short")
	}
	first := pgtest.Pool(t)
	createPayments(t, first)
	flaky := &flakyBooking{}
	var replicas [2]http.Handler
	var storeFailures atomic.Int64
	for i := range replicas {
		pool := first
		if i > 0 {
			var err error
			pool, err = pgxpool.New(t.Context(), first.Config().ConnString())
			require.NoError(t, err)
			t.Cleanup(pool.Close)
		}
		store := newStore(t, pool, pgstore.Options{Table: "replica_keys"})
		replicas[i] = bunqReceiver(t, store, pgstore.Handle(store, flaky.book), bankhook.ObserverFuncs{
			OnStoreFailed: func(_ *http.Request, f bankhook.StoreFailure) { storeFailures.Add(1) },
		})
	}
	var next atomic.Uint64
	balancer := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		replicas[next.Add(1)%2].ServeHTTP(w, r)
	})

	deliveries := make([]*hooktest.Delivery, replicaEvents)
	for i := range deliveries {
		deliveries[i] = paymentDelivery(t, 10_000+i)
	}
	ctx, cancel := context.WithTimeout(t.Context(), replicaTimeout)
	defer cancel()
	report, err := hooktest.Replay(ctx, balancer, bunq.RetrySchedule(), deliveries, hooktest.ReplayOptions{
		Workers: replicaWorkers,
		Senders: func(i int) int { return 1 + boolInt(i%4 == 0) },
		Timeout: 30 * time.Second,
	})
	require.NoError(t, err)
	t.Logf("replay: %v", report.Totals)
	statuses := map[int]int{}
	for _, e := range report.Events {
		for _, a := range e.Attempts {
			statuses[a.Status]++
		}
	}
	t.Logf("answers by status: %v; store failures: %d", statuses, storeFailures.Load())
	assert.Zero(t, storeFailures.Load(), "no store call failed, no lease was lost")
	assert.Equal(t, replicaEvents, report.Totals.Acknowledged, "acknowledged")
	assert.Zero(t, report.Totals.GaveUp, "given up by the bank")

	once, twice := rows(t, first)
	var total int
	require.NoError(t, first.QueryRow(t.Context(), `SELECT count(*) FROM payments`).Scan(&total))
	t.Logf("payments: events=%d booked once=%d booked twice or more=%d rows=%d missing=%d", replicaEvents, once, twice, total, replicaEvents-once-twice)
	assert.Equal(t, replicaEvents, once, "each payment booked once")
	assert.Zero(t, twice, "none booked twice")
	assert.Equal(t, replicaEvents, total)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
