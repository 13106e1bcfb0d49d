// Package pgstore is a [bankhook.Store] on PostgreSQL (pgx v5), for
// receivers that run as several replicas sharing one database, and
// [Handle], which runs an event's handler in a transaction that also marks
// the event handled: the handler's writes and the mark commit together or
// not at all, so an event is booked exactly once, even when a process dies
// between its commit and its answer.
//
// It is a module of its own, so that pgx reaches only the programs that
// import it.
//
// Use it as the Store of [bankhook.Dedupe] (or a bank preset's
// Config.Dedupe), and write the handler with Handle:
//
//	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
//	store, err := pgstore.New(ctx, pool, pgstore.Options{})
//	defer store.Close()
//	cfg := bunq.Config{Handler: pgstore.Handle(store, book)}
//	cfg.Dedupe = bankhook.DedupeOptions{Store: store, FailClosed: true}
//
// # The table
//
// New creates the table Options.Table (default bankhook_keys) when it is
// missing, with an index on its expiry, under a transaction-level
// advisory lock so replicas starting together do not race, and refuses a
// table of another shape ([ErrTableShape], naming the table and the
// column):
//
//	CREATE TABLE bankhook_keys (
//		key bytea PRIMARY KEY,          -- the idempotency key, any bytes
//		token text NOT NULL,            -- the reservation's random 128-bit token
//		status integer NOT NULL,        -- 0 while reserved, the answered status once done
//		expires_at timestamptz NOT NULL -- the end of the lease, then of the TTL
//	)
//
// Every time is the database server's clock_timestamp(), so replicas with
// skewed clocks agree on leases and TTLs. Expiry is checked by every
// statement; a goroutine the Store owns also deletes the rows past it,
// every Options.SweepInterval, in DELETE statements of at most
// Options.SweepBatch rows each (FOR UPDATE SKIP LOCKED, so a sweep never
// waits for a delivery), never one long statement. [Store.Close] stops
// it.
//
// # Exactly once into the database
//
// A handler that writes to the database and then answers leaves a gap:
// if its process dies after the commit and before the dedupe stage marks
// the key done, the lease ends, the bank retries, and the event is handled
// twice. [Handle] closes it. It reads the request's reservation
// ([bankhook.ReservationFrom]), takes the settling over from the dedupe
// stage ([bankhook.Postpone]) and runs the handler in a transaction in
// which it also marks the key done, fenced by the reservation's token.
// After the commit the dedupe stage's Complete finds the key done by its
// own reservation and writes nothing. A crash before the commit leaves
// neither the handler's rows nor the mark; a crash after it leaves both,
// and the bank's retry is answered from the table as a replay.
//
// Set Options.TTL to the Dedupe stage's TTL (both default to 72 h) and
// run the stage with FailClosed: while the database is down, the bank is
// answered 503 and retries later.
//
// # Guarantees
//
// Reserve, Complete and Release are one statement each, so one round trip
// and atomic per key: Reserve inserts an absent key or takes over an
// expired one, and otherwise reports InFlight or Done, reading only (a
// duplicate writes nothing, so it waits for no disk).
// Complete and Release act only while the caller's token holds a live
// reservation; a holder whose lease ended gets [bankhook.ErrLeaseLost]
// and cannot touch the key of the caller that took it over. The one
// exception is Complete of a key already done by the same token with the
// same status, which succeeds and writes nothing: that is how a Handle
// transaction's mark is completed by the dedupe stage.
//
// These hold as long as PostgreSQL keeps what it committed: run it with
// fsync and synchronous_commit on (an asynchronous standby promoted after
// a failover may lack the latest marks, and those events may then be
// handled again). While the database cannot be reached, every call fails
// within Options.Timeout and [bankhook.Dedupe] applies its policy: with
// FailClosed it answers 503 and the bank retries later, which Handle
// needs (see its documentation).
package pgstore
