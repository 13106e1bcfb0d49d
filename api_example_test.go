package bankhook_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/bankhook/bankhook"
)

// Only a 2xx answer counts as delivered; the bank retries everything else.
func ExampleAcknowledged() {
	for _, status := range []int{http.StatusOK, http.StatusNoContent, http.StatusConflict, http.StatusServiceUnavailable} {
		fmt.Println(status, bankhook.Acknowledged(status))
	}
	// Output:
	// 200 true
	// 204 true
	// 409 false
	// 503 false
}

// A dedupe key that prefers the sender's own header and falls back to the
// event's key (or the body's hash).
func ExampleDefaultKey() {
	key := func(r *http.Request) (string, error) {
		if k := r.Header.Get("X-Delivery-Id"); k != "" {
			return "shop:delivery:" + k, nil
		}
		return bankhook.DefaultKey(r)
	}
	h := bankhook.Chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k, _ := bankhook.IdempotencyKeyFrom(r.Context())
		fmt.Println("handled", k)
	}),
		bankhook.ReadBody(bankhook.BodyOptions{}),
		bankhook.Decode(decodeOrderPaid),
		bankhook.Dedupe(bankhook.DedupeOptions{Key: key}),
	)
	post(h, `{"id":"A-5","amount":"3.00"}`)
	r := httptest.NewRequest(http.MethodPost, "/webhook", strings.NewReader(`{"id":"A-6","amount":"4.00"}`))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-Delivery-Id", "d-91")
	h.ServeHTTP(httptest.NewRecorder(), r)
	// Output:
	// handled shop:order-paid:A-5
	// handled shop:delivery:d-91
}

// An Observer that counts rejections by reason and acknowledged events,
// and hears of every failed call to the dedupe store (StoreFailed).
func ExampleObserver() {
	rejected := map[bankhook.Reason]int{}
	var handled []bankhook.Outcome
	var obs bankhook.Observer = bankhook.ObserverFuncs{
		OnRejected: func(r *http.Request, rej bankhook.Rejection) { rejected[rej.Reason]++ },
		OnHandled:  func(r *http.Request, o bankhook.Outcome) { handled = append(handled, o) },
		OnStoreFailed: func(r *http.Request, f bankhook.StoreFailure) {
			fmt.Println("store failed:", f.Op, f.Key, f.Err)
		},
	}
	_, hearsStore := obs.(interface {
		StoreFailed(*http.Request, bankhook.StoreFailure)
	})
	fmt.Println("hears of store failures:", hearsStore)

	h, err := bankhook.NewReceiver(decodeOrderPaid,
		func(ctx context.Context, o *orderPaid) error { return nil },
		bankhook.ReceiverOptions{Tokens: []string{"s3cret"}, Observer: obs})
	if err != nil {
		panic(err)
	}
	for _, target := range []string{"/webhook?token=s3cret", "/webhook?token=s3cret", "/webhook?token=wrong"} {
		r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(`{"id":"A-8","amount":"8.00"}`))
		r.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	for _, o := range handled {
		fmt.Println(o.Status, o.Key, "replayed:", o.Replayed)
	}
	fmt.Println(rejected)
	// Output:
	// hears of store failures: true
	// 200 shop:order-paid:A-8 replayed: false
	// 200 shop:order-paid:A-8 replayed: true
	// map[bad_token:1]
}

// A handler that panics is answered 500 handler_failed (the bank retries);
// the Observer gets the panic's value and stack.
func ExamplePanicError() {
	h, err := bankhook.NewReceiver(decodeOrderPaid,
		func(ctx context.Context, o *orderPaid) error {
			panic("no ledger account for order " + o.ID) // a bug
		},
		bankhook.ReceiverOptions{
			Tokens: []string{"s3cret"},
			Observer: bankhook.ObserverFuncs{OnRejected: func(r *http.Request, rej bankhook.Rejection) {
				if pe, ok := errors.AsType[*bankhook.PanicError](rej.Err); ok {
					fmt.Println(rej.Status, rej.Reason, "panic:", pe.Value, "stack kept:", len(pe.Stack) > 0)
				}
			}},
		})
	if err != nil {
		panic(err)
	}
	r := httptest.NewRequest(http.MethodPost, "/webhook?token=s3cret", strings.NewReader(`{"id":"A-9","amount":"9.00"}`))
	r.Header.Set("Content-Type", "application/json")
	h.ServeHTTP(httptest.NewRecorder(), r)
	// Output:
	// 500 handler_failed panic: no ledger account for order A-9 stack kept: true
}

// The dedupe state machine, driven by hand: a key is reserved by one
// caller, in flight for every other, then done with the status answered.
func ExampleStore() {
	ctx := context.Background()
	var store bankhook.Store = bankhook.NewLRUStore(bankhook.LRUStoreOptions{})
	show := func(r bankhook.Reservation, err error) {
		fmt.Println(r.State, r.Status, err)
	}

	first, err := store.Reserve(ctx, "bunq:payment:7", time.Minute)
	show(first, err)
	show(store.Reserve(ctx, "bunq:payment:7", time.Minute)) // a retry meanwhile
	fmt.Println(store.Complete(ctx, "bunq:payment:7", first.Token, http.StatusOK, 72*time.Hour))
	show(store.Reserve(ctx, "bunq:payment:7", time.Minute)) // a retry afterwards

	// A shared store bounds its own calls; NewReceiver then checks that the
	// lease outlasts the handler's deadline plus one call.
	_, bounded := store.(interface{ Timeout() time.Duration })
	fmt.Println("bounds its calls:", bounded)
	// Output:
	// reserved 0 <nil>
	// in_flight 0 <nil>
	// <nil>
	// done 200 <nil>
	// bounds its calls: false
}

func ExampleState() {
	for _, s := range []bankhook.State{bankhook.Reserved, bankhook.InFlight, bankhook.Done} {
		fmt.Println(s)
	}
	// Output:
	// reserved
	// in_flight
	// done
}

// A bank's redelivery policy: bankhook's test kit replays it on a fake
// clock (hooktest), and its span bounds how long a receiver may be down.
func ExampleRetryPolicy() {
	p := bankhook.RetryPolicy{
		Name:    "shop",
		Delays:  []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute},
		Timeout: 10 * time.Second,
	}
	fmt.Println(p.Attempts(), "attempts over", p.Span(), p.Validate())
	// Output:
	// 4 attempts over 36m0s <nil>
}

// A handler that fences its own writes with the dedupe reservation of its
// request, as pgstore.Handle does in one database transaction: it finds
// the store it shares with Dedupe, the event's key and the reservation's
// token.
func ExampleReservationFrom() {
	store := bankhook.NewLRUStore(bankhook.LRUStoreOptions{})
	h := bankhook.Chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, key, token, ok := bankhook.ReservationFrom(r.Context())
		fmt.Println(ok, s == bankhook.Store(store), key, token != "")
	}),
		bankhook.ReadBody(bankhook.BodyOptions{}),
		bankhook.Decode(decodeOrderPaid),
		bankhook.Dedupe(bankhook.DedupeOptions{Store: store}),
	)
	post(h, `{"id":"A-40","amount":"4.00"}`)
	// Output:
	// true true shop:order-paid:A-40 true
}
