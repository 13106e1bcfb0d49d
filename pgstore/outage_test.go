package pgstore_test

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/bunq"
	"github.com/bankhook/bankhook/pgstore"
	"github.com/bankhook/bankhook/pgstore/pgtest"
)

// Sizes and bounds of the outage run. The lease outlasts the handler's
// deadline plus one store call; the bounds say how long the run may take
// on a slow machine, nothing of speed.
const (
	outageEvents       = 600
	outageSenders      = 16
	outageStopAfter    = 150 // events acknowledged before PostgreSQL is stopped
	outage503s         = 50  // 503s seen before it is started again
	outageTimeout      = 3 * time.Minute
	outageMaxAttempts  = 2000 // per event
	outageRetryDelay   = 20 * time.Millisecond
	outageLease        = 3 * time.Second
	outageDeadline     = time.Second
	outageStoreTimeout = 500 * time.Millisecond
)

// TestPostgresOutage: PostgreSQL is stopped with pg_ctl stop -m immediate
// (a crash: no checkpoint, every connection cut) while 16 senders deliver
// 600 payments, each retrying until it is acknowledged, and started again
// once the receiver has answered 503 (it fails closed) for a while. Every
// payment is then acknowledged and booked exactly once.
func TestPostgresOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("stops and starts PostgreSQL: not with -short")
	}
	cluster := pgtest.NewCluster(t)
	pool := cluster.PoolConfig(t, func(c *pgxpool.Config) {
		c.ConnConfig.ConnectTimeout = outageStoreTimeout
	})
	createPayments(t, pool)
	store := newStore(t, pool, pgstore.Options{Table: "outage_keys", Timeout: outageStoreTimeout})

	var (
		mu       sync.Mutex // guards statuses
		statuses = map[int]int{}
		acked    atomic.Int64
		unavail  atomic.Int64          // 503s since the stop
		stopped  atomic.Bool           // PostgreSQL is down
		ackedN   = make(chan struct{}) // closed at outageStopAfter acknowledgements
		ackOnce  sync.Once
		saw503s  = make(chan struct{}) // closed at outage503s 503s after the stop
		sawOnce  sync.Once
	)
	cfg := bunq.Config{Handler: pgstore.Handle(store, bookPayment)}
	cfg.Dedupe = bankhook.DedupeOptions{Store: store, FailClosed: true, Lease: outageLease, Logger: quiet}
	cfg.Deadline = outageDeadline
	cfg.Logger, cfg.Observer = quiet, bankhook.ObserverFuncs{}
	cfg.RateLimit.Rate, cfg.RateLimit.Burst = 1e9, 1e9
	receiver, err := bunq.NewReceiver(cfg)
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(t.Context(), outageTimeout)
	defer cancel()
	events := make(chan int, outageEvents)
	for i := range outageEvents {
		events <- 20_000 + i
	}
	close(events)
	var wg sync.WaitGroup
	for range outageSenders {
		wg.Go(func() {
			for id := range events {
				d := paymentDelivery(t, id)
				for range outageMaxAttempts {
					if ctx.Err() != nil {
						return
					}
					code := serve(receiver, d).Code
					mu.Lock()
					statuses[code]++
					mu.Unlock()
					if bankhook.Acknowledged(code) {
						if acked.Add(1) == outageStopAfter {
							ackOnce.Do(func() { close(ackedN) })
						}
						break
					}
					if code == http.StatusServiceUnavailable && stopped.Load() && unavail.Add(1) == outage503s {
						sawOnce.Do(func() { close(saw503s) })
					}
					select { // the bank's retry, compressed
					case <-time.After(outageRetryDelay):
					case <-ctx.Done():
					}
				}
			}
		})
	}

	select {
	case <-ackedN:
	case <-ctx.Done():
		t.Fatal("no load before the outage")
	}
	require.NoError(t, cluster.Stop("immediate"))
	stopped.Store(true)
	ackedAtStop := acked.Load()
	t.Logf("PostgreSQL stopped (immediate) after %d acknowledgements", ackedAtStop)
	select {
	case <-saw503s:
	case <-ctx.Done():
		t.Fatal("no 503s during the outage")
	}
	ackedDown := acked.Load() - ackedAtStop
	require.NoError(t, cluster.Start())
	stopped.Store(false)
	t.Logf("PostgreSQL started again after %d answers 503", unavail.Load())
	wg.Wait()
	require.NoError(t, ctx.Err(), "every event acknowledged in time")

	mu.Lock()
	t.Logf("answers by status: %v", statuses)
	mu.Unlock()
	assert.EqualValues(t, outageEvents, acked.Load(), "acknowledged")
	assert.GreaterOrEqual(t, unavail.Load(), int64(outage503s), "503 while PostgreSQL was down")
	once, twice := rows(t, pool)
	t.Logf("payments: events=%d acknowledged=%d (while PostgreSQL was down: %d) booked once=%d booked twice or more=%d missing=%d",
		outageEvents, acked.Load(), ackedDown, once, twice, outageEvents-once-twice)
	assert.Equal(t, outageEvents, once, "each payment booked once")
	assert.Zero(t, twice, "none booked twice")
}
