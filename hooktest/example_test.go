package hooktest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"time"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/bankhub"
	"github.com/bankhook/bankhook/bunq"
	"github.com/bankhook/bankhook/hooktest"
	"github.com/bankhook/bankhook/hooktest/samples"
)

func ExampleNewDelivery() {
	d := hooktest.NewDelivery("/bunq/callback", []byte(`{"NotificationUrl":{}}`))
	d.RemoteAddr = hooktest.BunqAddr // so an allowlist sees bunq
	d.Query = url.Values{"token": {"s3cret"}}

	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println(r.Method, r.RequestURI, r.Header.Get("Content-Type"), "from", r.RemoteAddr)
	})
	h.ServeHTTP(httptest.NewRecorder(), d.Request())
	// Output:
	// POST /bunq/callback?token=s3cret application/json from 185.40.108.10:443
}

func ExampleReplay() {
	// A receiver that fails the first three deliveries of each event.
	var mu sync.Mutex
	calls := map[string]int{}
	flaky := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		calls[r.URL.Path]++
		if calls[r.URL.Path] <= 3 {
			http.Error(w, "try again", http.StatusServiceUnavailable)
		}
	})

	ds := []*hooktest.Delivery{
		hooktest.NewDelivery("/grant-error", []byte(`{}`)),
		hooktest.NewDelivery("/transaction", []byte(`{}`)),
	}
	rep, err := hooktest.Replay(context.Background(), flaky, bankhub.RetrySchedule(), ds, hooktest.ReplayOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range rep.Events {
		fmt.Print(e.Label, ":")
		for _, a := range e.Attempts {
			fmt.Printf(" %d@%v", a.Status, a.At.Sub(rep.Start))
		}
		fmt.Println()
	}
	fmt.Println(rep.Totals)
	// Output:
	// 0: 503@0s 503@30s 503@1m0s 200@2m0s
	// 1: 503@0s 503@30s 503@1m0s 200@2m0s
	// events=2 attempts=8 acknowledged=2 gave_up=0 failed=6 timed_out=0 in_flight=0 replayed=0
}

func ExampleClock() {
	// Leases and TTLs of the dedupe store run on the fake clock.
	clock := hooktest.NewClock(hooktest.Epoch())
	store := bankhook.NewLRUStore(bankhook.LRUStoreOptions{Now: clock.Now})
	ctx := context.Background()

	_, _ = store.Reserve(ctx, "event-1", time.Minute) // a holder that never finishes
	res, _ := store.Reserve(ctx, "event-1", time.Minute)
	fmt.Println(res.State)

	clock.Advance(time.Minute)
	res, _ = store.Reserve(ctx, "event-1", time.Minute)
	fmt.Println(res.State)
	// Output:
	// in_flight
	// reserved
}

func ExampleReplay_duplicates() {
	// bunq delivers one payment from two senders at once; the dedupe stage
	// lets the application handle it once and answers the other from its
	// store.
	clock := hooktest.NewClock(hooktest.Epoch())
	store := bankhook.NewLRUStore(bankhook.LRUStoreOptions{Now: clock.Now})
	handled := 0
	h := bankhook.Chain(
		bankhook.Handle(func(context.Context, *bunq.Notification) error { handled++; return nil }),
		bankhook.Observe(bankhook.ObserverFuncs{}),
		bankhook.ReadBody(bankhook.BodyOptions{}),
		bankhook.Decode(bunq.Decode),
		bankhook.Dedupe(bankhook.DedupeOptions{Store: store}),
	)
	body, _ := samples.Bunq("MUTATION")
	rep, err := hooktest.Replay(context.Background(), h, bunq.RetrySchedule(),
		[]*hooktest.Delivery{hooktest.NewDelivery("/bunq", body)},
		hooktest.ReplayOptions{Clock: clock, Senders: func(int) int { return 2 }, Workers: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range rep.Events[0].Attempts {
		fmt.Printf("sender %d: %d replayed=%v\n", a.Sender, a.Status, a.Replayed)
	}
	fmt.Println("handled", handled, "time(s)")
	// Output:
	// sender 0: 200 replayed=false
	// sender 1: 200 replayed=true
	// handled 1 time(s)
}

func ExampleDeliveryFromFile() {
	d, err := hooktest.DeliveryFromFile("/bunq/callback", "samples/bunq/MUTATION.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	n, err := bunq.Decode(d.Body)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.Label, d.Method, d.Target, n.Category)
	// Output:
	// MUTATION.json POST /bunq/callback MUTATION
}

func ExampleReplayURL() {
	// A receiver behind a real server that is down for the first two
	// minutes: bunq's retries one minute apart reach it on the third try.
	clock := hooktest.NewClock(hooktest.Epoch())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if clock.Now().Sub(hooktest.Epoch()) < 2*time.Minute {
			w.WriteHeader(http.StatusBadGateway)
		}
	}))
	defer srv.Close()

	body, _ := samples.Bunq("MUTATION")
	rep, err := hooktest.ReplayURL(context.Background(), srv.URL, bunq.RetrySchedule(),
		[]*hooktest.Delivery{hooktest.NewDelivery("/bunq", body)}, hooktest.ReplayOptions{Clock: clock})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range rep.Events[0].Attempts {
		fmt.Printf("attempt %d at +%v: %d\n", a.N, a.At.Sub(rep.Start), a.Status)
	}
	// Output:
	// attempt 1 at +0s: 502
	// attempt 2 at +1m0s: 502
	// attempt 3 at +2m0s: 200
}
