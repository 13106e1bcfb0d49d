package pgstore_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/bunq"
	"github.com/bankhook/bankhook/hooktest"
	"github.com/bankhook/bankhook/pgstore"
	"github.com/bankhook/bankhook/pgstore/pgtest"
)

// benchClients is how many goroutines book at once in BenchmarkBooking.
const benchClients = 16

// BenchmarkBooking books bunq payments, one row each, from 16 clients at
// once, three ways side by side:
//
//   - insert: the row alone, one INSERT statement (one commit);
//   - receiver_lru: the whole bunq receiver, deduplicating in memory,
//     its handler inserting the row (what a single replica does today:
//     not exactly-once across a crash);
//   - receiver_handle: the whole bunq receiver on pgstore, with the row
//     inserted by Handle (reserve, then the row and the mark in one
//     transaction: two commits).
//
// Compare their ns/op (and events/s): the ratio is what exactly-once
// costs on this database. Each sub-benchmark has a database of its own on
// one cluster with fsync and synchronous_commit on.
func BenchmarkBooking(b *testing.B) {
	pool := func(b *testing.B) *pgxpool.Pool {
		p := pgtest.PoolConfig(b, func(c *pgxpool.Config) { c.MaxConns = benchClients })
		createPayments(b, p)
		return p
	}
	b.Run("insert", func(b *testing.B) {
		p := pool(b)
		n := decodedPayment(b)
		p0 := n.Object.(*bunq.Payment)
		var ids atomic.Int64
		runParallel(b, func() {
			id := ids.Add(1)
			_, err := p.Exec(context.Background(), `INSERT INTO payments VALUES ($1, $2, $3, $4)`,
				n.IdempotencyKey()+":"+itoa(id), id, p0.Amount.Value.String(), p0.Amount.Currency)
			if err != nil {
				b.Error(err)
			}
		})
	})
	b.Run("receiver_lru", func(b *testing.B) {
		p := pool(b)
		h := bunqReceiver(b, bankhook.NewLRUStore(bankhook.LRUStoreOptions{}), func(ctx context.Context, n *bunq.Notification) error {
			tx, err := p.Begin(ctx)
			if err != nil {
				return err
			}
			if err := bookPayment(ctx, tx, n); err != nil {
				_ = tx.Rollback(ctx)
				return err
			}
			return tx.Commit(ctx)
		}, nil)
		benchReceiver(b, h)
	})
	b.Run("receiver_handle", func(b *testing.B) {
		p := pool(b)
		store := newStore(b, p, pgstore.Options{})
		h := bunqReceiver(b, store, pgstore.Handle(store, func(ctx context.Context, tx pgx.Tx, n *bunq.Notification) error {
			return bookPayment(ctx, tx, n)
		}), nil)
		benchReceiver(b, h)
	})
}

// benchReceiver delivers a new payment to h per iteration.
func benchReceiver(b *testing.B, h http.Handler) {
	var ids atomic.Int64
	runParallel(b, func() {
		d := hooktest.NewDelivery("/bunq", paymentBody(b, int(1_000_000+ids.Add(1))))
		d.RemoteAddr = hooktest.BunqAddr
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, d.Request())
		if rec.Code != http.StatusOK {
			b.Errorf("status %d", rec.Code)
		}
	})
}

// runParallel runs book b.N times from benchClients goroutines and
// reports events/s.
func runParallel(b *testing.B, book func()) {
	b.SetParallelism(max(1, (benchClients+gomaxprocs()-1)/gomaxprocs()))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			book()
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

func decodedPayment(b *testing.B) *bunq.Notification {
	n, err := bunq.Decode(paymentBody(b, 1))
	if err != nil {
		b.Fatal(err)
	}
	return n
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

func gomaxprocs() int { return runtime.GOMAXPROCS(0) }
