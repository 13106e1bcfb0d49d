package redisstore_test

import (
	"context"
	"log"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/redisstore"
)

// Every replica of a receiver builds the same chain over the same Redis,
// so a bank's retry that reaches another replica is recognised as a
// duplicate. This example needs a Redis server, so it is compiled but not
// run; the package's tests run the same chain against a real one.
func ExampleNew() {
	client := redis.NewUniversalClient(&redis.UniversalOptions{
		Addrs:                 []string{"redis:6379"}, // several addresses: a cluster; with MasterName: Sentinel
		ContextTimeoutEnabled: true,                   // lets Options.Timeout bound socket reads too
	})
	// Close the client when the receiver stops; the store does not own it.

	store := redisstore.New(client, redisstore.Options{
		Prefix:  "payments:",            // one prefix per receiver sharing the Redis
		Timeout: 500 * time.Millisecond, // a slow Redis becomes a store error, well within the bank's timeout
	})
	handler := bankhook.Chain(
		bankhook.Handle(func(ctx context.Context, e *testEvent) error {
			log.Printf("handling %s", e.ID)
			return nil
		}),
		bankhook.ReadBody(bankhook.BodyOptions{}),
		bankhook.Decode(decodeTestEvent),
		bankhook.Dedupe(bankhook.DedupeOptions{
			Store:      store,
			FailClosed: true, // while Redis is down, answer 503 and let the bank retry
		}),
	)
	http.Handle("POST /hooks/bank", handler)
}
