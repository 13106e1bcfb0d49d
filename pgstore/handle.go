package pgstore

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/bankhook/bankhook"
)

// Handle returns an event handler — for bunq.Config.Handler,
// bankhub.Config.Handler, [bankhook.NewReceiver] or [bankhook.Handle], or
// called from a bunq.On or bankhub.On route — that runs fn in a
// transaction which also marks the event's key done in s, so that fn's
// writes and the mark commit together or not at all. The receiver's Dedupe
// stage must use s as its Store (and should fail closed: see below).
//
// For each event it:
//
//  1. finds the reservation the Dedupe stage holds for the request
//     ([bankhook.ReservationFrom]); when there is none, or it is not in s,
//     it returns an error wrapping [ErrNoReservation] without running fn:
//     an event is never handled without its mark. (A Dedupe stage that
//     fails open runs the handler without a reservation while the store
//     is down; with FailClosed the bank is answered 503 instead.)
//  2. begins a transaction on s's pool and takes over the settling of the
//     key from the Dedupe stage ([bankhook.Postpone]);
//  3. runs fn in it with the request's context;
//  4. marks the key done (status 200, for Options.TTL), fenced by the
//     reservation's token: when the lease ended, or another delivery took
//     the key over, nothing is marked and the error wraps
//     [bankhook.ErrLeaseLost];
//  5. commits (bounded by Options.Timeout, even when the request's
//     context has ended), and settles the key as handled; the Dedupe
//     stage's Complete then finds it done by this reservation and writes
//     nothing. The event is answered 200.
//
// If fn returns an error or panics, or the lease was lost, the
// transaction is rolled back and the key released, so the bank's retry
// runs fn again; fn's error is returned (a panic goes on after the
// clean-up). An error carrying a 2xx [bankhook.StatusError] is answered
// 500 instead: its writes were rolled back, so the event was not handled.
// If the commit fails and the server did not say it rolled back (the
// connection broke, the timeout passed), the outcome is unknown: the key
// is left to its lease, and a retry is answered from the database — done
// if the commit happened, handled again once the lease ends if it did not.
//
// fn must do all of the event's work in tx (it may read outside it) and
// must not commit or roll it back. It may set the transaction's isolation
// level with SET TRANSACTION as its first statement.
//
// Handle panics if s or fn is nil.
func Handle[E bankhook.Event](s *Store, fn func(ctx context.Context, tx pgx.Tx, ev E) error) func(context.Context, E) error {
	if s == nil || fn == nil {
		panic("pgstore: Handle: nil store or function")
	}
	return func(ctx context.Context, ev E) error {
		return s.handle(ctx, func(ctx context.Context, tx pgx.Tx) error { return fn(ctx, tx, ev) })
	}
}

// handle is Handle for one event; fn runs the user's function on it.
func (s *Store) handle(ctx context.Context, fn func(context.Context, pgx.Tx) error) error {
	held, key, token, ok := bankhook.ReservationFrom(ctx)
	if !ok {
		return fmt.Errorf("%w: the request holds none (no Dedupe stage, or its store failed and it fails open)", ErrNoReservation)
	}
	if held != bankhook.Store(s) {
		return fmt.Errorf("%w: key %q is reserved in another store (%T)", ErrNoReservation, key, held)
	}
	bctx, cancel := context.WithTimeout(ctx, s.timeout) // the wait for a connection too
	tx, err := s.pool.Begin(bctx)
	cancel()
	if err != nil { // nothing done: the Dedupe stage releases the key
		return fmt.Errorf("pgstore: handle %q: begin: %w", key, err)
	}
	settle, ok := bankhook.Postpone(ctx)
	if !ok {
		s.rollback(ctx, tx)
		return fmt.Errorf("pgstore: handle %q: another handler settles this reservation already", key)
	}
	settled := false // committed, or left to the lease
	defer func() {
		if !settled { // fn failed or panicked, or the mark failed
			s.rollback(ctx, tx)
			settle(false)
		}
	}()
	if err := fn(ctx, tx); err != nil {
		var se *bankhook.StatusError
		if errors.As(err, &se) && bankhook.Acknowledged(se.Status) {
			return &bankhook.StatusError{Status: http.StatusInternalServerError,
				Err: fmt.Errorf("pgstore: handle %q: an error with status %d rolls the transaction back: %w", key, se.Status, err)}
		}
		return err
	}
	tag, err := tx.Exec(ctx, s.markSQL, []byte(key), token, int32(http.StatusOK), micros(s.ttl))
	if err != nil {
		return fmt.Errorf("pgstore: handle %q: mark done: %w", key, err)
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("pgstore: handle %q: %w", key, bankhook.ErrLeaseLost)
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.timeout)
	defer cancel()
	if err := tx.Commit(cctx); err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) || errors.Is(err, pgx.ErrTxCommitRollback) { // the server answered: rolled back
			return fmt.Errorf("pgstore: handle %q: commit: %w", key, err)
		}
		settled = true
		return fmt.Errorf("pgstore: handle %q: commit, outcome unknown, left to the lease: %w", key, err)
	}
	settled = true
	s.marked.Store(token, markedKey{key, http.StatusOK})
	settle(true)
	s.marked.Delete(token)
	return nil
}

// rollback rolls tx back, bounded by the store's timeout even when ctx
// has ended. A failure needs no handling: the server rolls back a
// transaction whose connection ends.
func (s *Store) rollback(ctx context.Context, tx pgx.Tx) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.timeout)
	defer cancel()
	_ = tx.Rollback(ctx)
}
