// Package pgevents is serve's PostgreSQL output (--postgres): one row of
// the table bankhook_events for each event, inserted in the one
// transaction that decides the event is new, so that several replicas that
// share nothing but the database write each event exactly once.
//
// Each delivery is one statement, in a transaction of its own: it takes a
// transaction-scoped advisory lock on the event's key, or reports the key
// in flight when another transaction holds it, then inserts the row
// unless one with the key exists. The row is committed before the
// statement answers, so the bank is answered after the commit; a delivery
// racing one in flight is told so (409), and a duplicate of a committed
// event finds its row (a replay).
package pgevents

import (
	"context"
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TableName is the table the events go to.
const TableName = "bankhook_events"

// createLock is the advisory lock (on one bigint) held while the table is
// created, so that replicas starting together do not race: "bankhook" in
// ASCII.
const createLock int64 = 0x62616e6b686f6f6b

// keyLockClass is the first half of the two-int advisory locks taken on
// event keys, so that they cannot collide with createLock or with locks of
// other applications that use the one-bigint form.
const keyLockClass int32 = 0x626b6576 // "bkev"

// Row is one event.
type Row struct {
	Key        string    // the event's idempotency key: the primary key
	Provider   string    // "bunq" or "bankhub"
	Category   string    // bunq's category or bankHub's webhookType
	EventType  string    // bunq's event_type or bankHub's webhookCode
	ObjectType string    // bunq's object type or the kind of a bankHub event
	ReceivedAt time.Time // when the event was received
	Event      []byte    // the typed event, as JSON
	Raw        []byte    // the body as received (valid JSON)
}

// Result is what Insert did with a row.
type Result uint8

const (
	// Inserted: the event is new, and its row is committed.
	Inserted Result = iota + 1
	// Duplicate: a row with the key was committed before.
	Duplicate
	// InFlight: another transaction is inserting the key now.
	InFlight
)

// schema creates the table.
const schema = `CREATE TABLE IF NOT EXISTS ` + TableName + ` (
	key         text        PRIMARY KEY,
	provider    text        NOT NULL,
	category    text        NOT NULL,
	event_type  text        NOT NULL,
	object_type text        NOT NULL,
	received_at timestamptz NOT NULL,
	event       jsonb       NOT NULL,
	raw         jsonb       NOT NULL
)`

// columns is the shape schema gives the table: name and data type, as
// information_schema.columns names them.
var columns = [][2]string{
	{"key", "text"}, {"provider", "text"}, {"category", "text"}, {"event_type", "text"},
	{"object_type", "text"}, {"received_at", "timestamp with time zone"}, {"event", "jsonb"}, {"raw", "jsonb"},
}

// insert is Insert's one statement: the lock, then the row unless the key
// has one. $9 is the key's lock.
const insert = `WITH lock AS (SELECT pg_try_advisory_xact_lock($9::int4, $10::int4) AS got),
ins AS (
	INSERT INTO ` + TableName + ` (key, provider, category, event_type, object_type, received_at, event, raw)
	SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::timestamptz, $7::jsonb, $8::jsonb
	FROM lock WHERE lock.got
	ON CONFLICT (key) DO NOTHING
	RETURNING 1
)
SELECT (SELECT got FROM lock), (SELECT count(*) FROM ins)`

// Table is the events table of one database. It is safe for concurrent
// use.
type Table struct {
	pool *pgxpool.Pool
}

// DefaultMaxConns is the connections a Table opens at most, unless the
// URL sets pool_max_conns: a delivery holds one for its statement, commit
// included, so this many deliveries commit at once.
const DefaultMaxConns = 32

// Open connects to the database at url (a postgres:// URL or a key=value
// connection string), checks that it answers, and creates the table if it
// is missing. A table of another shape is refused, naming the column.
func Open(ctx context.Context, url string) (*Table, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("--postgres: %w", err) // the URL in it shows the password as xxxxx
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = DefaultMaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("--postgres: %w", err)
	}
	t := &Table{pool: pool}
	if err := t.create(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return t, nil
}

// create makes the table under createLock, then checks its shape.
func (t *Table) create(ctx context.Context) error {
	where := fmt.Sprintf("--postgres %s:%d/%s", t.pool.Config().ConnConfig.Host, t.pool.Config().ConnConfig.Port, t.pool.Config().ConnConfig.Database)
	err := pgx.BeginFunc(ctx, t.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", createLock); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, schema)
		return err
	})
	if err != nil {
		return fmt.Errorf("%s: create table %s: %w", where, TableName, err)
	}
	rows, err := t.pool.Query(ctx, `SELECT column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1`, TableName)
	if err != nil {
		return fmt.Errorf("%s: read the shape of %s: %w", where, TableName, err)
	}
	have := map[string]string{}
	var name, typ string
	if _, err := pgx.ForEachRow(rows, []any{&name, &typ}, func() error { have[name] = typ; return nil }); err != nil {
		return fmt.Errorf("%s: read the shape of %s: %w", where, TableName, err)
	}
	for _, c := range columns {
		if got, ok := have[c[0]]; !ok {
			return fmt.Errorf("%s: table %s has no column %s (%s): it is not bankhook's; rename it or use another database", where, TableName, c[0], c[1])
		} else if got != c[1] {
			return fmt.Errorf("%s: table %s: column %s is %s, not %s: it is not bankhook's", where, TableName, c[0], got, c[1])
		}
	}
	return nil
}

// Insert inserts r unless its key has a row, or reports the key in flight.
// On Inserted the row is committed. An error leaves nothing behind, or,
// when the connection broke during the commit, a row whose fate the next
// delivery of the event finds out (as a Duplicate).
func (t *Table) Insert(ctx context.Context, r Row) (Result, error) {
	hi, lo := keyLock(r.Key)
	var got bool
	var n int64
	err := t.pool.QueryRow(ctx, insert, r.Key, r.Provider, r.Category, r.EventType, r.ObjectType,
		r.ReceivedAt, r.Event, r.Raw, hi, lo).Scan(&got, &n)
	switch {
	case err != nil:
		return 0, fmt.Errorf("postgres: insert %q: %w", r.Key, err)
	case !got:
		return InFlight, nil
	case n == 0:
		return Duplicate, nil
	}
	return Inserted, nil
}

// keyLock is the advisory lock of key: keyLockClass and 32 bits of the
// key's FNV-1a hash. Two keys that share the lock only make one of them
// wait (409) while the other is inserted.
func keyLock(key string) (class, lock int32) {
	h := fnv.New32a()
	_, _ = h.Write([]byte(key))
	return keyLockClass, int32(h.Sum32())
}

// Ping checks that the database answers, for /readyz.
func (t *Table) Ping(ctx context.Context) error {
	if err := t.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	return nil
}

// Close closes the connections.
func (t *Table) Close() { t.pool.Close() }
