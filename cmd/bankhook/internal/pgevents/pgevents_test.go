package pgevents

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook/pgstore/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func row(key string) Row {
	return Row{Key: key, Provider: "bunq", Category: "MUTATION", EventType: "MUTATION_CREATED", ObjectType: "Payment",
		ReceivedAt: time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC), Event: []byte(`{"id":7}`), Raw: []byte(`{"NotificationUrl":{"id":7}}`)}
}

func open(t *testing.T) (*Table, *pgxpool.Pool) {
	t.Helper()
	pool := pgtest.Pool(t)
	tbl, err := Open(context.Background(), pool.Config().ConnString())
	require.NoError(t, err)
	t.Cleanup(tbl.Close)
	return tbl, pool
}

func TestInsert(t *testing.T) {
	ctx := context.Background()
	tbl, pool := open(t)
	res, err := tbl.Insert(ctx, row("bunq:payment:7"))
	require.NoError(t, err)
	assert.Equal(t, Inserted, res)
	res, err = tbl.Insert(ctx, row("bunq:payment:7"))
	require.NoError(t, err)
	assert.Equal(t, Duplicate, res)

	var event, raw string
	var at time.Time
	require.NoError(t, pool.QueryRow(ctx, `SELECT event::text, raw::text, received_at FROM bankhook_events WHERE key = $1`, "bunq:payment:7").Scan(&event, &raw, &at))
	assert.JSONEq(t, `{"id":7}`, event)
	assert.JSONEq(t, `{"NotificationUrl":{"id":7}}`, raw)
	assert.True(t, at.Equal(row("").ReceivedAt))

	// A transaction holding the key's lock is a delivery in flight.
	tx, err := pool.Begin(ctx)
	require.NoError(t, err)
	class, lock := keyLock("bunq:payment:8")
	_, err = tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1::int4, $2::int4)", class, lock)
	require.NoError(t, err)
	res, err = tbl.Insert(ctx, row("bunq:payment:8"))
	require.NoError(t, err)
	assert.Equal(t, InFlight, res)
	require.NoError(t, tx.Rollback(ctx))
	res, err = tbl.Insert(ctx, row("bunq:payment:8"))
	require.NoError(t, err)
	assert.Equal(t, Inserted, res, "the lock ends with its transaction")
}

// TestInsertConcurrent races 8 deliveries of each of 200 events: each is
// inserted once, and every other delivery is told Duplicate or InFlight.
func TestInsertConcurrent(t *testing.T) {
	ctx := context.Background()
	tbl, pool := open(t)
	var mu sync.Mutex
	counts := map[Result]int{}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 200 {
				res, err := tbl.Insert(ctx, row(fmt.Sprintf("k%d", (i+w*25)%200)))
				assert.NoError(t, err)
				mu.Lock()
				counts[res]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 200, counts[Inserted])
	assert.Equal(t, 1600, counts[Inserted]+counts[Duplicate]+counts[InFlight])
	var rows int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM bankhook_events`).Scan(&rows))
	assert.Equal(t, 200, rows)
	t.Logf("8 × 200 deliveries: %v", counts)
}

func TestOpenRefusesAnotherTable(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t)
	_, err := pool.Exec(ctx, `CREATE TABLE bankhook_events (key text PRIMARY KEY, provider text, received_at text)`)
	require.NoError(t, err)
	_, err = Open(ctx, pool.Config().ConnString())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "table bankhook_events has no column category")
}

// TestOpenTogether starts 4 replicas on an empty database at once: one
// creates the table, the others find it.
func TestOpenTogether(t *testing.T) {
	pool := pgtest.Pool(t)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			tbl, err := Open(context.Background(), pool.Config().ConnString())
			if assert.NoError(t, err) {
				tbl.Close()
			}
		})
	}
	wg.Wait()
}
