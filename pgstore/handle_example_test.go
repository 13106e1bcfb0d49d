package pgstore_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/bunq"
	"github.com/bankhook/bankhook/hooktest"
	"github.com/bankhook/bankhook/hooktest/samples"
	"github.com/bankhook/bankhook/pgstore"
)

// A bunq receiver that books each payment into a payments table: the row
// and the event's "handled" mark commit in one transaction, so bunq's
// retry of a payment that was booked is answered from the database and
// never booked twice, even if the process died before it could answer.
// (The package's tests point DATABASE_URL at a private PostgreSQL they
// start.)
func ExampleHandle() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	store, err := pgstore.New(ctx, pool, pgstore.Options{Table: "example_handle_keys"})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	if _, err := pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS payments (
		bunq_id bigint NOT NULL, amount numeric NOT NULL, currency text NOT NULL, description text NOT NULL)`); err != nil {
		log.Fatal(err)
	}

	book := func(ctx context.Context, tx pgx.Tx, p *bunq.Payment) error {
		_, err := tx.Exec(ctx, `INSERT INTO payments VALUES ($1, $2, $3, $4)`,
			p.ID, p.Amount.Value.String(), p.Amount.Currency, p.Description)
		return err
	}
	cfg := bunq.Config{Routes: []bunq.Route{
		bunq.On(func(ctx context.Context, n *bunq.Notification, p *bunq.Payment) error {
			return pgstore.Handle(store, func(ctx context.Context, tx pgx.Tx, n *bunq.Notification) error {
				return book(ctx, tx, p)
			})(ctx, n)
		}),
	}}
	cfg.Dedupe = bankhook.DedupeOptions{Store: store, FailClosed: true}
	receiver, err := bunq.NewReceiver(cfg)
	if err != nil {
		log.Fatal(err)
	}

	body, _ := samples.Bunq("PAYMENT")
	delivery := hooktest.NewDelivery("/bunq", body)
	delivery.RemoteAddr = hooktest.BunqAddr
	for _, attempt := range []string{"first delivery", "bunq's retry"} {
		rec := httptest.NewRecorder()
		receiver.ServeHTTP(rec, delivery.Request())
		fmt.Println(attempt+":", rec.Code, http.StatusText(rec.Code), "replayed:", rec.Header().Get(bankhook.HeaderIdempotentReplayed) == "true")
	}
	var n int
	var amount string
	if err := pool.QueryRow(ctx, `SELECT count(*), min(amount::text || ' ' || currency) FROM payments`).Scan(&n, &amount); err != nil {
		log.Fatal(err)
	}
	fmt.Println("payments booked:", n, amount)
	// Output:
	// first delivery: 200 OK replayed: false
	// bunq's retry: 200 OK replayed: true
	// payments booked: 1 150.00 EUR
}
