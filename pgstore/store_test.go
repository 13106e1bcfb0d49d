package pgstore_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/hooktest"
	"github.com/bankhook/bankhook/pgstore"
	"github.com/bankhook/bankhook/pgstore/pgtest"
)

// tables numbers the tables the tests create, so each store has its own.
var tables atomic.Int64

// newStore returns a store on a table of its own in pool, closed at the
// end of the test.
func newStore(t testing.TB, pool *pgxpool.Pool, o pgstore.Options) *pgstore.Store {
	t.Helper()
	if o.Table == "" {
		o.Table = "keys_" + strconv.FormatInt(tables.Add(1), 10)
	}
	s, err := pgstore.New(context.Background(), pool, o)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	return s
}

func TestStoreConformance(t *testing.T) {
	pool := pgtest.Pool(t)
	hooktest.TestStore(t, hooktest.StoreHarness{
		New: func(t *testing.T) bankhook.Store { return newStore(t, pool, pgstore.Options{}) },
		// Leases and TTLs are on the server's clock.
		Advance: func(_ *testing.T, d time.Duration) { time.Sleep(d) },
	})
}

// TestNewTable: New creates its table once, even when replicas start
// together, and accepts a table it created before.
func TestNewTable(t *testing.T) {
	pool := pgtest.Pool(t)
	const replicas = 8
	errs := make(chan error, replicas)
	start := make(chan struct{})
	for range replicas {
		go func() {
			<-start
			s, err := pgstore.New(t.Context(), pool, pgstore.Options{Table: "shared_keys"})
			if err == nil {
				err = s.Close()
			}
			errs <- err
		}()
	}
	close(start)
	for range replicas {
		require.NoError(t, <-errs)
	}
	var n int
	require.NoError(t, pool.QueryRow(t.Context(), `SELECT count(*) FROM pg_indexes WHERE tablename = 'shared_keys'`).Scan(&n))
	assert.Equal(t, 2, n, "the primary key and the expiry index")

	// Two stores on one table share their keys.
	a := newStore(t, pool, pgstore.Options{Table: "shared_keys"})
	b := newStore(t, pool, pgstore.Options{Table: "shared_keys"})
	res, err := a.Reserve(t.Context(), "evt-1", time.Minute)
	require.NoError(t, err)
	require.NoError(t, a.Complete(t.Context(), "evt-1", res.Token, 202, time.Minute))
	done, err := b.Reserve(t.Context(), "evt-1", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, bankhook.Reservation{State: bankhook.Done, Status: 202}, done)
}

// TestNewRefusesShape: a table of another shape is refused, naming the
// table and the column.
func TestNewRefusesShape(t *testing.T) {
	pool := pgtest.Pool(t)
	for _, tc := range []struct {
		name, create, want string
	}{
		{"text_key", `(key text PRIMARY KEY, token text, status integer, expires_at timestamptz)`,
			`pgstore: table has another shape: table "text_key": column "key" is text, want bytea`},
		{"no_token", `(key bytea PRIMARY KEY, status integer, expires_at timestamptz)`,
			`pgstore: table has another shape: table "no_token" has no column "token" (text)`},
		{"bigint_status", `(key bytea PRIMARY KEY, token text, status bigint, expires_at timestamptz)`,
			`pgstore: table has another shape: table "bigint_status": column "status" is bigint, want integer`},
		{"naive_time", `(key bytea PRIMARY KEY, token text, status integer, expires_at timestamp)`,
			`pgstore: table has another shape: table "naive_time": column "expires_at" is timestamp without time zone, want timestamp with time zone`},
		{"extra_column", `(key bytea PRIMARY KEY, token text, status integer, expires_at timestamptz, note text NOT NULL)`,
			`pgstore: table has another shape: table "extra_column" has a column "note" the store does not know`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := pool.Exec(t.Context(), `CREATE TABLE `+tc.name+` `+tc.create)
			require.NoError(t, err)
			_, err = pgstore.New(t.Context(), pool, pgstore.Options{Table: tc.name})
			require.ErrorIs(t, err, pgstore.ErrTableShape)
			assert.EqualError(t, err, tc.want)
		})
	}
}

// TestNewRefusesName: a table name that is not a plain identifier is
// refused before any statement.
func TestNewRefusesName(t *testing.T) {
	pool, err := pgxpool.New(t.Context(), "postgres://nobody@127.0.0.1:1/none")
	require.NoError(t, err) // connects lazily: never, here
	t.Cleanup(pool.Close)
	for _, name := range []string{"1keys", "keys; DROP TABLE x", `"keys"`, "public.keys", "kéys", "k-eys", strings.Repeat("k", 49)} {
		t.Run(name, func(t *testing.T) {
			_, err := pgstore.New(t.Context(), pool, pgstore.Options{Table: name})
			assert.EqualError(t, err, fmt.Sprintf("pgstore: table name %q is not a plain SQL identifier (letters, digits, _; at most 48 bytes)", name))
		})
	}
}

func TestNewNilPool(t *testing.T) {
	assert.PanicsWithValue(t, "pgstore: New: nil pool", func() { _, _ = pgstore.New(t.Context(), nil, pgstore.Options{}) })
}

// TestStoreLayout checks what the store writes: the key as bytes, the
// token, status 0 while reserved, and expiries on the server's clock as
// long as the lease and the TTL.
func TestStoreLayout(t *testing.T) {
	pool := pgtest.Pool(t)
	s := newStore(t, pool, pgstore.Options{Table: "layout"})
	ctx := t.Context()
	row := func() (token string, status int, left time.Duration) {
		t.Helper()
		require.NoError(t, pool.QueryRow(ctx, `SELECT token, status, expires_at - clock_timestamp() FROM layout WHERE key = $1`,
			[]byte("evt\x00€")).Scan(&token, &status, &left))
		return
	}
	res, err := s.Reserve(ctx, "evt\x00€", 30*time.Second)
	require.NoError(t, err)
	assert.Len(t, res.Token, 22, "128 bits, base64url")
	token, status, left := row()
	assert.Equal(t, res.Token, token)
	assert.Zero(t, status)
	assert.InDelta(t, 30*time.Second, left, float64(5*time.Second), "lease")

	require.NoError(t, s.Complete(ctx, "evt\x00€", res.Token, 202, 72*time.Hour))
	token, status, left = row()
	assert.Equal(t, res.Token, token, "a done key keeps its token")
	assert.Equal(t, 202, status)
	assert.InDelta(t, 72*time.Hour, left, float64(5*time.Second), "TTL")
}

// TestCompleteIdempotent: completing a key again with the token and the
// status that completed it succeeds and writes nothing; anything else is
// a lost lease.
func TestCompleteIdempotent(t *testing.T) {
	pool := pgtest.Pool(t)
	s := newStore(t, pool, pgstore.Options{Table: "idem"})
	ctx := t.Context()
	res, err := s.Reserve(ctx, "evt-1", time.Minute)
	require.NoError(t, err)
	require.NoError(t, s.Complete(ctx, "evt-1", res.Token, 200, time.Hour))
	var before time.Time
	require.NoError(t, pool.QueryRow(ctx, `SELECT expires_at FROM idem`).Scan(&before))

	require.NoError(t, s.Complete(ctx, "evt-1", res.Token, 200, 2*time.Hour), "the same token and status")
	var after time.Time
	require.NoError(t, pool.QueryRow(ctx, `SELECT expires_at FROM idem`).Scan(&after))
	assert.Equal(t, before, after, "nothing written")

	require.ErrorIs(t, s.Complete(ctx, "evt-1", res.Token, 201, time.Hour), bankhook.ErrLeaseLost, "another status")
	require.ErrorIs(t, s.Complete(ctx, "evt-1", "other", 200, time.Hour), bankhook.ErrLeaseLost, "another token")
	require.ErrorIs(t, s.Release(ctx, "evt-1", res.Token), bankhook.ErrLeaseLost, "a done key is not released")
}

// TestSweep: a sweep deletes the keys past their lease or TTL, in batches,
// and keeps the others.
func TestSweep(t *testing.T) {
	pool := pgtest.Pool(t)
	s := newStore(t, pool, pgstore.Options{Table: "sweep", SweepInterval: -1, SweepBatch: 7})
	ctx := t.Context()
	const expired, live = 50, 5
	for i := range expired + live {
		key := "evt-" + strconv.Itoa(i)
		short := i < expired
		lease := time.Hour
		if short && i%2 == 1 {
			lease = time.Millisecond // a holder that crashed
		}
		res, err := s.Reserve(ctx, key, lease)
		require.NoError(t, err)
		if i%2 == 0 {
			ttl := time.Hour
			if short {
				ttl = time.Millisecond
			}
			require.NoError(t, s.Complete(ctx, key, res.Token, 200, ttl))
		}
	}
	// Wait on the server's clock until the short ones ended.
	_, err := pool.Exec(ctx, `SELECT pg_sleep(0.01)`)
	require.NoError(t, err)

	n, err := s.Sweep(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, expired, n)
	var left int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM sweep`).Scan(&left))
	assert.Equal(t, live, left)
	n, err = s.Sweep(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
}

// TestSweeper: the store's own sweeper deletes expired keys, and Close
// stops it.
func TestSweeper(t *testing.T) {
	pool := pgtest.Pool(t)
	s, err := pgstore.New(t.Context(), pool, pgstore.Options{Table: "sweeper", SweepInterval: 5 * time.Millisecond})
	require.NoError(t, err)
	_, err = s.Reserve(t.Context(), "evt-1", time.Millisecond)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		var n int
		return pool.QueryRow(t.Context(), `SELECT count(*) FROM sweeper`).Scan(&n) == nil && n == 0
	}, 10*time.Second, 5*time.Millisecond, "the sweeper deletes the expired key")
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "a second Close does nothing")
}

// TestStoreInvalidArguments: arguments the store would refuse are refused
// before any round trip, naming the bad input.
func TestStoreInvalidArguments(t *testing.T) {
	s := newStore(t, pgtest.Pool(t), pgstore.Options{})
	ctx := t.Context()
	for _, tc := range []struct {
		name string
		call func() error
		want string
	}{
		{"zero_lease", func() error { _, err := s.Reserve(ctx, "k", 0); return err }, `pgstore: reserve "k": lease 0s is not positive`},
		{"zero_ttl", func() error { return s.Complete(ctx, "k", "t", 200, 0) }, `pgstore: complete "k": ttl 0s is not positive`},
		{"status_0", func() error { return s.Complete(ctx, "k", "t", 0, time.Hour) }, `pgstore: complete "k": status 0 is not an HTTP status`},
		{"status_1000", func() error { return s.Complete(ctx, "k", "t", 1000, time.Hour) }, `pgstore: complete "k": status 1000 is not an HTTP status`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.EqualError(t, tc.call(), tc.want)
		})
	}
}

// TestStoreTimeout: a database that accepts connections and never
// answers costs each call at most Options.Timeout.
func TestStoreTimeout(t *testing.T) {
	pool := pgtest.Pool(t)
	s := newStore(t, pool, pgstore.Options{Table: "slow", Timeout: 200 * time.Millisecond})
	assert.Equal(t, 200*time.Millisecond, s.Timeout())
	ctx := t.Context()
	// Another transaction holds the keys' rows: every call that must
	// write one waits — Complete and Release of a live reservation, and
	// Reserve of an expired one.
	res, err := s.Reserve(ctx, "evt-1", time.Minute)
	require.NoError(t, err)
	_, err = s.Reserve(ctx, "evt-old", time.Microsecond)
	require.NoError(t, err)
	_, err = pool.Exec(ctx, `SELECT pg_sleep(0.01)`) // on the server's clock
	require.NoError(t, err)
	tx, err := pool.Begin(ctx)
	require.NoError(t, err)
	t.Cleanup(func() { _ = tx.Rollback(context.Background()) })
	_, err = tx.Exec(ctx, `SELECT FROM slow FOR UPDATE`)
	require.NoError(t, err)

	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"reserve", func() error { _, err := s.Reserve(ctx, "evt-old", time.Minute); return err }},
		{"complete", func() error { return s.Complete(ctx, "evt-1", res.Token, 200, time.Hour) }},
		{"release", func() error { return s.Release(ctx, "evt-1", res.Token) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			err := tc.call()
			require.Error(t, err)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.NotErrorIs(t, err, bankhook.ErrLeaseLost)
			assert.Less(t, time.Since(start), 10*time.Second, "bounded by the timeout, not the lock")
		})
	}
}

// TestReserveDuplicateReadsOnly: a Reserve of a key that is reserved or
// done writes nothing, not even a row lock: the row keeps its version.
func TestReserveDuplicateReadsOnly(t *testing.T) {
	pool := pgtest.Pool(t)
	s := newStore(t, pool, pgstore.Options{Table: "dups"})
	ctx := t.Context()
	version := func(key string) string {
		t.Helper()
		var v string
		require.NoError(t, pool.QueryRow(ctx, `SELECT ctid::text || ' ' || xmin::text || ' ' || xmax::text FROM dups WHERE key = $1`, []byte(key)).Scan(&v))
		return v
	}
	held, err := s.Reserve(ctx, "evt-held", time.Minute)
	require.NoError(t, err)
	done, err := s.Reserve(ctx, "evt-done", time.Minute)
	require.NoError(t, err)
	require.NoError(t, s.Complete(ctx, "evt-done", done.Token, 200, time.Hour))
	for _, tc := range []struct {
		key  string
		want bankhook.Reservation
	}{
		{"evt-held", bankhook.Reservation{State: bankhook.InFlight}},
		{"evt-done", bankhook.Reservation{State: bankhook.Done, Status: 200}},
	} {
		t.Run(tc.key, func(t *testing.T) {
			before := version(tc.key)
			for range 5 {
				res, err := s.Reserve(ctx, tc.key, time.Minute)
				require.NoError(t, err)
				assert.Equal(t, tc.want, res)
			}
			assert.Equal(t, before, version(tc.key), "the row was not written")
		})
	}
	require.NoError(t, s.Release(ctx, "evt-held", held.Token))
}
