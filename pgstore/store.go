package pgstore

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"regexp"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bankhook/bankhook"
)

// Defaults of [Options].
const (
	// DefaultTable is the table of the keys when Options.Table is empty.
	DefaultTable = "bankhook_keys"
	// DefaultTimeout bounds each call when Options.Timeout is not positive.
	DefaultTimeout = 2 * time.Second
	// DefaultSweepInterval is the pause between two sweeps of expired keys
	// when Options.SweepInterval is zero.
	DefaultSweepInterval = time.Minute
	// DefaultSweepBatch is how many expired keys one DELETE removes at
	// most when Options.SweepBatch is not positive.
	DefaultSweepBatch = 1000
)

// The sentinel errors of the package, each wrapped with details where it
// is returned: test for them with [errors.Is].
var (
	// ErrTableShape: Options.Table exists with columns other than the
	// store's (the error names the table and the column).
	ErrTableShape = errors.New("pgstore: table has another shape")
	// ErrNoReservation: a function made by [Handle] ran for a request
	// whose Dedupe stage holds no reservation of this Store: no Dedupe
	// stage, a Dedupe with another Store, or one failing open while the
	// store is down. The handler was not run.
	ErrNoReservation = errors.New("pgstore: no reservation of this store for the request")
)

// Options configures [New]. The zero value is ready to use.
type Options struct {
	// Table is the table of the keys, in the connection's current schema
	// (the first of its search_path): a plain SQL identifier of letters,
	// digits and underscores, not starting with a digit, at most 48
	// bytes (the store derives an index name from it). Several receivers
	// sharing one database use one table each. Default "bankhook_keys".
	Table string
	// Timeout bounds each call of the store (Reserve, Complete, Release,
	// and the begin and the commit of a Handle transaction): each runs
	// under a context that ends Timeout after the call starts, or earlier
	// with the caller's. Keep it well below the bank's own timeout, so
	// that a database that hangs becomes a store error, which Dedupe
	// answers by its fail-open or fail-closed policy. Default 2 s; a negative Timeout also means
	// 2 s.
	Timeout time.Duration
	// TTL is how long a key [Handle] marks done is remembered. Set it to
	// the receiver's Dedupe.TTL. Default 72 h (bankhook.DefaultDedupeTTL).
	TTL time.Duration
	// SweepInterval is the pause between two sweeps of the keys past
	// their lease or TTL. Default 1 min; negative: no sweeper (expiry is
	// checked on every read anyway, the table only keeps growing).
	SweepInterval time.Duration
	// SweepBatch is how many expired keys one DELETE statement removes at
	// most; a sweep runs such statements until one removes fewer. Default
	// 1000.
	SweepBatch int
	// Logger receives sweep failures. Default slog.Default().
	Logger *slog.Logger
}

// Store is a [bankhook.Store] on PostgreSQL, shared by every process that
// uses the same database and table. Leases and TTLs are measured on the
// database server's clock (clock_timestamp()), so replicas whose clocks
// disagree still agree on them.
//
// A Store is safe for concurrent use. Use [New]; the zero value is not
// usable. It does not own the pool: close the Store (which stops its
// sweeper), then the pool.
type Store struct {
	pool    *pgxpool.Pool
	table   string // quoted
	timeout time.Duration
	ttl     time.Duration // of a key Handle marks done
	batch   int
	logger  *slog.Logger

	// The statements, built once from the table's name.
	reserveSQL, completeSQL, releaseSQL, markSQL, sweepSQL string

	// marked holds the reservations whose Handle transaction committed
	// the mark, while Handle settles them: token → markedKey. Complete
	// finds them there without a round trip. It is a sync.Map: written
	// and deleted once per event by one goroutine each.
	marked sync.Map

	stop      chan struct{}  // closed by Close
	closeOnce sync.Once      // guards the close of stop
	swept     sync.WaitGroup // the sweeper goroutine
}

var _ interface{ Timeout() time.Duration } = (*Store)(nil) // see bankhook.Store

// identifier is what Options.Table may be.
var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,47}$`)

// New returns a store keeping its keys in the table Options.Table of the
// pool's database, and starts its sweeper (see [Store.Close]). It creates
// the table and its index when they are missing, under a transaction-level
// advisory lock, so replicas starting together do not race; it refuses a
// table of another shape with an error wrapping [ErrTableShape] that
// names the table and the column. New panics if pool is nil.
func New(ctx context.Context, pool *pgxpool.Pool, o Options) (*Store, error) {
	if pool == nil {
		panic("pgstore: New: nil pool")
	}
	if o.Table == "" {
		o.Table = DefaultTable
	}
	if !identifier.MatchString(o.Table) {
		return nil, fmt.Errorf("pgstore: table name %q is not a plain SQL identifier (letters, digits, _; at most 48 bytes)", o.Table)
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.TTL <= 0 {
		o.TTL = bankhook.DefaultDedupeTTL
	}
	if o.SweepInterval == 0 {
		o.SweepInterval = DefaultSweepInterval
	}
	if o.SweepBatch <= 0 {
		o.SweepBatch = DefaultSweepBatch
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	s := &Store{
		pool: pool, table: pgx.Identifier{o.Table}.Sanitize(), timeout: o.Timeout, ttl: o.TTL,
		batch: o.SweepBatch, logger: o.Logger, stop: make(chan struct{}),
	}
	s.buildSQL()
	if err := s.setUp(ctx, o.Table); err != nil {
		return nil, err
	}
	if o.SweepInterval > 0 {
		s.swept.Add(1)
		go s.sweeper(o.SweepInterval)
	}
	return s, nil
}

// Timeout is the longest one call of the store may take: Options.Timeout.
func (s *Store) Timeout() time.Duration { return s.timeout }

// Close stops the sweeper and waits for a sweep under way to end. It does
// not close the pool. Later calls do nothing; the store's other methods
// still work after Close.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { close(s.stop) })
	s.swept.Wait()
	return nil
}

// The table's columns and their types as information_schema names them.
// A key is bytea (an idempotency key may hold any byte, NUL included); a
// reserved key has status 0 and expires when its lease ends, a done key
// has the answered status and expires when its TTL ends; token is the
// reservation's, kept when the key is done.
var columns = []struct{ name, typ string }{
	{"key", "bytea"},
	{"token", "text"},
	{"status", "integer"},
	{"expires_at", "timestamp with time zone"},
}

// setUp creates the table and its index if they are missing and checks
// the table's shape, in one transaction under an advisory lock derived
// from the table's name.
func (s *Store) setUp(ctx context.Context, name string) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("pgstore: table %q: %w", name, err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	h := fnv.New64a()
	h.Write([]byte("github.com/bankhook/bankhook/pgstore " + name))
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(h.Sum64())); err != nil {
		return fmt.Errorf("pgstore: table %q: lock: %w", name, err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+s.table+` (
		key bytea PRIMARY KEY,
		token text NOT NULL,
		status integer NOT NULL,
		expires_at timestamptz NOT NULL)`); err != nil {
		return fmt.Errorf("pgstore: table %q: create: %w", name, err)
	}
	if err := checkShape(ctx, tx, name); err != nil {
		return err
	}
	idx := pgx.Identifier{name + "_expires_at"}.Sanitize()
	if _, err := tx.Exec(ctx, `CREATE INDEX IF NOT EXISTS `+idx+` ON `+s.table+` (expires_at)`); err != nil {
		return fmt.Errorf("pgstore: table %q: index: %w", name, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("pgstore: table %q: %w", name, err)
	}
	return nil
}

// checkShape returns an error wrapping ErrTableShape when the table name
// in the current schema lacks one of the store's columns, has one of
// another type, or has one more.
func checkShape(ctx context.Context, tx pgx.Tx, name string) error {
	rows, err := tx.Query(ctx, `SELECT column_name::text, data_type::text FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1`, name)
	if err != nil {
		return fmt.Errorf("pgstore: table %q: %w", name, err)
	}
	have := make(map[string]string)
	var col, typ string
	_, err = pgx.ForEachRow(rows, []any{&col, &typ}, func() error { have[col] = typ; return nil })
	if err != nil {
		return fmt.Errorf("pgstore: table %q: %w", name, err)
	}
	for _, c := range columns {
		got, ok := have[c.name]
		switch {
		case !ok:
			return fmt.Errorf("%w: table %q has no column %q (%s)", ErrTableShape, name, c.name, c.typ)
		case got != c.typ:
			return fmt.Errorf("%w: table %q: column %q is %s, want %s", ErrTableShape, name, c.name, got, c.typ)
		}
		delete(have, c.name)
	}
	for c := range have {
		return fmt.Errorf("%w: table %q has a column %q the store does not know", ErrTableShape, name, c)
	}
	return nil
}

// buildSQL builds the store's statements for its table. Every time is the
// server's clock_timestamp(), not now(): inside a transaction now() is the
// transaction's start, and a lease must be checked when the statement runs.
func (s *Store) buildSQL() {
	t := s.table
	// One statement: a live key (reserved or done) is only read, so a
	// duplicate costs no write; otherwise the key is inserted, or taken
	// over when it expired (the row is locked and checked again at its
	// latest version). No row comes back only when another reservation
	// committed after the statement's snapshot was taken: Reserve then
	// runs it again, and the new snapshot sees that reservation.
	s.reserveSQL = `WITH live AS (
			SELECT token, status FROM ` + t + ` WHERE key = $1 AND expires_at > clock_timestamp()),
		taken AS (
			INSERT INTO ` + t + ` AS k (key, token, status, expires_at)
			SELECT $1, $2, 0, clock_timestamp() + $3 * interval '1 microsecond' WHERE NOT EXISTS (SELECT FROM live)
			ON CONFLICT (key) DO UPDATE SET token = excluded.token, status = 0, expires_at = excluded.expires_at
				WHERE k.expires_at <= clock_timestamp()
			RETURNING token, status)
		SELECT token, status FROM taken UNION ALL SELECT token, status FROM live`
	// Marks a live reservation done; else, reports whether the key is
	// already done by this token with this status (a Handle transaction
	// marked it), which is a success that writes nothing.
	s.completeSQL = `WITH u AS (
			UPDATE ` + t + ` SET status = $3, expires_at = clock_timestamp() + $4 * interval '1 microsecond'
			WHERE key = $1 AND token = $2 AND status = 0 AND expires_at > clock_timestamp()
			RETURNING 1)
		SELECT EXISTS (SELECT FROM u) OR EXISTS (SELECT FROM ` + t + `
			WHERE key = $1 AND token = $2 AND status = $3 AND expires_at > clock_timestamp())`
	s.releaseSQL = `DELETE FROM ` + t + `
		WHERE key = $1 AND token = $2 AND status = 0 AND expires_at > clock_timestamp()`
	// Handle's mark: Complete's UPDATE alone, in the handler's transaction.
	s.markSQL = `UPDATE ` + t + ` SET status = $3, expires_at = clock_timestamp() + $4 * interval '1 microsecond'
		WHERE key = $1 AND token = $2 AND status = 0 AND expires_at > clock_timestamp()`
	// One bounded batch; rows being written right now are skipped, and
	// the outer condition checks again what the inner one chose.
	s.sweepSQL = `DELETE FROM ` + t + ` WHERE ctid IN (
			SELECT ctid FROM ` + t + ` WHERE expires_at <= clock_timestamp()
			LIMIT $1 FOR UPDATE SKIP LOCKED)
		AND expires_at <= clock_timestamp()`
}

// markedKey is a key a Handle transaction marked done.
type markedKey struct {
	key    string
	status int
}

// maxReserveTries bounds how often Reserve runs its statement for a key
// that other reservations keep changing under it.
const maxReserveTries = 5

// Reserve implements [bankhook.Store] in one statement (run again in the
// rare case that another reservation of the key committed while it ran).
// A key that is reserved or done is only read.
func (s *Store) Reserve(ctx context.Context, key string, lease time.Duration) (bankhook.Reservation, error) {
	if lease <= 0 {
		return bankhook.Reservation{}, fmt.Errorf("pgstore: reserve %q: lease %v is not positive", key, lease)
	}
	token := newToken()
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var held string
	var status int32
	for try := 1; ; try++ {
		err := s.pool.QueryRow(ctx, s.reserveSQL, []byte(key), token, micros(lease)).Scan(&held, &status)
		if err == nil {
			break
		}
		if !errors.Is(err, pgx.ErrNoRows) || try == maxReserveTries {
			return bankhook.Reservation{}, fmt.Errorf("pgstore: reserve %q: %w", key, err)
		}
	}
	switch {
	case held == token:
		return bankhook.Reservation{State: bankhook.Reserved, Token: token}, nil
	case status == 0:
		return bankhook.Reservation{State: bankhook.InFlight}, nil
	case status >= 100 && status <= 999:
		return bankhook.Reservation{State: bankhook.Done, Status: int(status)}, nil
	}
	return bankhook.Reservation{}, fmt.Errorf("pgstore: reserve %q: the table holds status %d, not an HTTP status", key, status)
}

// Complete implements [bankhook.Store] in one statement. status must be
// between 100 and 999.
//
// A key that a [Handle] transaction already marked done with this token
// and status is a success that writes nothing: the dedupe stage that held
// the reservation then completes it without a second write and without
// [bankhook.ErrLeaseLost] (and, in the process whose Handle committed the
// mark, without a round trip). Completing it with another status is refused
// like any other Complete of a done key.
func (s *Store) Complete(ctx context.Context, key, token string, status int, ttl time.Duration) error {
	if status < 100 || status > 999 {
		return fmt.Errorf("pgstore: complete %q: status %d is not an HTTP status", key, status)
	}
	if ttl <= 0 {
		return fmt.Errorf("pgstore: complete %q: ttl %v is not positive", key, ttl)
	}
	if m, ok := s.marked.Load(token); ok && m.(markedKey) == (markedKey{key, status}) {
		return nil // committed by Handle in this process a moment ago
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var ok bool
	if err := s.pool.QueryRow(ctx, s.completeSQL, []byte(key), token, int32(status), micros(ttl)).Scan(&ok); err != nil {
		return fmt.Errorf("pgstore: complete %q: %w", key, err)
	}
	if !ok {
		return fmt.Errorf("pgstore: complete %q: %w", key, bankhook.ErrLeaseLost)
	}
	return nil
}

// Release implements [bankhook.Store] in one statement.
func (s *Store) Release(ctx context.Context, key, token string) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	tag, err := s.pool.Exec(ctx, s.releaseSQL, []byte(key), token)
	if err != nil {
		return fmt.Errorf("pgstore: release %q: %w", key, err)
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("pgstore: release %q: %w", key, bankhook.ErrLeaseLost)
	}
	return nil
}

// sweeper sweeps every interval until Close.
func (s *Store) sweeper(interval time.Duration) {
	defer s.swept.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		if _, err := s.sweep(ctx); err != nil && ctx.Err() == nil {
			s.logger.LogAttrs(ctx, slog.LevelWarn, "pgstore: sweep failed", slog.String("table", s.table), slog.String("error", err.Error()))
		}
	}
}

// maxSweepBatches bounds one sweep: past it, the rest waits for the next.
const maxSweepBatches = 1000

// sweep deletes the expired keys in batches of at most SweepBatch, each
// its own statement bounded by the store's timeout, until a batch removes
// fewer (or maxSweepBatches ran). It returns how many it deleted.
func (s *Store) sweep(ctx context.Context) (int64, error) {
	var n int64
	for range maxSweepBatches {
		cctx, cancel := context.WithTimeout(ctx, s.timeout)
		tag, err := s.pool.Exec(cctx, s.sweepSQL, s.batch)
		cancel()
		if err != nil {
			return n, fmt.Errorf("pgstore: sweep: %w", err)
		}
		n += tag.RowsAffected()
		if tag.RowsAffected() < int64(s.batch) {
			break
		}
	}
	return n, nil
}

// newToken returns 128 random bits, base64url without padding (22 bytes).
func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails; a broken source crashes the program
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// micros is d in whole microseconds (PostgreSQL's resolution), rounded
// up, so that a lease or TTL never ends before it was asked to.
func micros(d time.Duration) int64 {
	return int64((d + time.Microsecond - 1) / time.Microsecond)
}
