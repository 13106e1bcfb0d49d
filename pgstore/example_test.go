package pgstore_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/pgstore"
)

// Every replica of a receiver opens the same database: New creates the
// table once, whichever replica comes first, and they all see one
// another's keys. (The package's tests point DATABASE_URL at a private
// PostgreSQL they start.)
func ExampleNew() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	store, err := pgstore.New(ctx, pool, pgstore.Options{Table: "example_keys"})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close() // stops the sweeper; close it before the pool

	// What Dedupe does with it: reserve, handle, complete.
	first, _ := store.Reserve(ctx, "bunq:PAYMENT:2938502:PAYMENT_RECEIVED", time.Minute)
	fmt.Println("first delivery:", first.State)
	retry, _ := store.Reserve(ctx, "bunq:PAYMENT:2938502:PAYMENT_RECEIVED", time.Minute)
	fmt.Println("a retry meanwhile:", retry.State)
	if err := store.Complete(ctx, "bunq:PAYMENT:2938502:PAYMENT_RECEIVED", first.Token, 200, bankhook.DefaultDedupeTTL); err != nil {
		log.Fatal(err)
	}
	later, _ := store.Reserve(ctx, "bunq:PAYMENT:2938502:PAYMENT_RECEIVED", time.Minute)
	fmt.Println("a retry afterwards:", later.State, later.Status)
	// Output:
	// first delivery: reserved
	// a retry meanwhile: in_flight
	// a retry afterwards: done 200
}
