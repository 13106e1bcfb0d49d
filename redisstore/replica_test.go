package redisstore_test

import (
	"context"
	"errors"
	"hash/fnv"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/redisstore"
)

// testEvent is the event the replica tests and benchmarks deliver:
// {"id":"…"}.
type testEvent struct {
	ID string `json:"id"`
}

func (e *testEvent) IdempotencyKey() string { return "test:" + e.ID }

func decodeTestEvent(body []byte) (*testEvent, error) {
	var e testEvent
	if err := json.Unmarshal(body, &e); err != nil {
		return nil, &bankhook.DecodeError{Provider: "test", Err: err}
	}
	if e.ID == "" {
		return nil, &bankhook.DecodeError{Provider: "test", Path: "/id", Err: errors.New("missing")}
	}
	return &e, nil
}

var discardLogger = slog.New(slog.DiscardHandler)

// receiverChain is the pipeline of one replica: ReadBody → Decode → Dedupe
// → inner (which may be nil) → Handle(fn). Dedupe's logger defaults to
// none.
func receiverChain(o bankhook.DedupeOptions, inner bankhook.Middleware, fn func(context.Context, *testEvent) error) http.Handler {
	if o.Logger == nil {
		o.Logger = discardLogger
	}
	mw := []bankhook.Middleware{
		bankhook.Observe(bankhook.ObserverFuncs{}),
		bankhook.ReadBody(bankhook.BodyOptions{}),
		bankhook.Decode(decodeTestEvent),
		bankhook.Dedupe(o),
	}
	if inner != nil {
		mw = append(mw, inner)
	}
	return bankhook.Chain(bankhook.Handle(fn), mw...)
}

// Sizes of a replica run. The durations leave room for a slow machine
// (the race detector, a loaded CI): they bound how long the run may take,
// not how fast it must be.
const (
	replicaEvents      = 3000
	replicaEventsShort = 300
	replicaSenders     = 32
	// replicaRetryWindow is how long the bank keeps retrying one event
	// (bankHub: 24 h), after which it gives up and the test fails.
	replicaRetryWindow = time.Minute
	replicaRunTimeout  = 5 * time.Minute
	// replicaLease is Dedupe's lease: a reservation whose holder could not
	// release it (Redis slow or down at that moment) blocks its key this
	// long, which the bank's retries must outlast.
	replicaLease = 5 * time.Second
	// storeTimeout bounds each Redis call of a replica (Options.Timeout).
	storeTimeout = time.Second
	// outage is how long Redis stays down in the restart tests: several
	// times storeTimeout, so that deliveries are answered while it is down.
	outage = 3 * time.Second
	// handlerWork is how long a handler invocation takes, so that
	// duplicate deliveries overlap and meet an in-flight key.
	handlerWork = 500 * time.Microsecond
)

// fate is what the flaky application does on one invocation.
type fate int

const (
	succeed     fate = iota
	fail             // the handler returns an error: 500
	panicInside      // the handler panics; Handle recovers it: 500
	abort            // the connection is dropped under Dedupe (panic http.ErrAbortHandler)
)

// fateOf decides, deterministically, what invocation n (counted from 1
// across both replicas) of the application for event id does: 60 % succeed.
func fateOf(id string, n int32) fate {
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
	_, _ = h.Write([]byte{byte(n), byte(n >> 8)})
	switch v := h.Sum32() % 10; {
	case v < 2:
		return fail
	case v < 3:
		return panicInside
	case v < 4:
		return abort
	}
	return succeed
}

// span is one successful handler run.
type span struct{ start, end time.Time }

// delivery is one answer the bank got (or did not get).
type delivery struct {
	id       string
	sent     time.Time
	answered time.Time
	status   int // 0: the connection failed
	reason   string
	replayed bool
}

// fleet is two replicas of a receiver over one Redis, and the bank that
// sends to them.
type fleet struct {
	t       *testing.T
	servers [2]*httptest.Server
	http    *http.Client
	// lateDuplicates: after an event is acknowledged, the bank sends a
	// fifth of them once more (a duplicate delivery, or a failure re-sent
	// by hand), which must be answered from the store.
	lateDuplicates bool

	invocations   sync.Map // id → *atomic.Int32: application invocations
	reserveFailed sync.Map // idempotency key → true: Reserve failed, Dedupe let it through or refused it

	mu         sync.Mutex // guards runs and deliveries
	runs       map[string][]span
	deliveries []delivery

	acked atomic.Int64 // events acknowledged
}

func newFleet(t *testing.T, srv *redisServer, failClosed bool) *fleet {
	t.Helper()
	f := &fleet{t: t, runs: make(map[string][]span)}
	prefix := uniquePrefix()
	for i := range f.servers {
		// Each replica has its own client, as separate processes would.
		store := failSpy{redisstore.New(srv.Client(t), redisstore.Options{Prefix: prefix, Timeout: storeTimeout}), &f.reserveFailed}
		o := bankhook.DedupeOptions{Store: store, FailClosed: failClosed, Lease: replicaLease}
		f.servers[i] = httptest.NewServer(receiverChain(o, f.aborter, f.handle))
		t.Cleanup(f.servers[i].Close)
	}
	f.http = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: replicaSenders * 2}}
	t.Cleanup(f.http.CloseIdleConnections)
	return f
}

// failSpy records the keys whose Reserve failed.
type failSpy struct {
	bankhook.Store
	failed *sync.Map
}

func (s failSpy) Reserve(ctx context.Context, key string, lease time.Duration) (bankhook.Reservation, error) {
	res, err := s.Store.Reserve(ctx, key, lease)
	if err != nil {
		s.failed.Store(key, true)
	}
	return res, err
}

// invocation counts one more invocation of the application for id.
func (f *fleet) invocation(id string) int32 {
	n, _ := f.invocations.LoadOrStore(id, new(atomic.Int32))
	return n.(*atomic.Int32).Add(1)
}

// aborter sits between Dedupe and Handle: on an abort fate it drops the
// connection, which Dedupe must treat as a failure (release, re-panic).
func (f *fleet) aborter(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e, ok := bankhook.EventFrom[*testEvent](r.Context())
		if !ok {
			http.Error(w, "no event", http.StatusInternalServerError)
			return
		}
		n := f.invocation(e.ID)
		if fateOf(e.ID, n) == abort {
			panic(http.ErrAbortHandler)
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), invocationKey{}, n)))
	})
}

type invocationKey struct{}

// handle is the flaky application.
func (f *fleet) handle(ctx context.Context, e *testEvent) error {
	n, _ := ctx.Value(invocationKey{}).(int32)
	start := time.Now()
	time.Sleep(handlerWork)
	switch fateOf(e.ID, n) {
	case fail:
		return errors.New("flaky application failed")
	case panicInside:
		panic("flaky application panicked")
	}
	f.mu.Lock()
	f.runs[e.ID] = append(f.runs[e.ID], span{start, time.Now()})
	f.mu.Unlock()
	return nil
}

func (f *fleet) handled(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.runs[id])
}

// send delivers event id once to replica i.
func (f *fleet) send(ctx context.Context, id string, i int) delivery {
	d := delivery{id: id, sent: time.Now()}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.servers[i].URL,
		strings.NewReader(`{"id":"`+id+`"}`))
	require.NoError(f.t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := f.http.Do(req)
	d.answered = time.Now()
	if err == nil {
		var problem struct {
			Reason string `json:"reason"`
		}
		if resp.Header.Get("Content-Type") == bankhook.ProblemContentType {
			_ = json.UnmarshalRead(resp.Body, &problem)
		}
		_ = resp.Body.Close()
		d.status, d.reason = resp.StatusCode, problem.Reason
		d.replayed = resp.Header.Get(bankhook.HeaderIdempotentReplayed) == "true"
	}
	if bankhook.Acknowledged(d.status) && f.handled(id) == 0 {
		f.t.Errorf("event %s acknowledged (%d, replayed %v) but never handled", id, d.status, d.replayed)
	}
	f.mu.Lock()
	f.deliveries = append(f.deliveries, d)
	f.mu.Unlock()
	return d
}

// deliver is the bank for event number n: attempts alternate between the
// replicas until one is acknowledged; every third event's first attempt
// goes to both replicas at once.
func (f *fleet) deliver(ctx context.Context, n int) {
	id := "evt-" + strconv.Itoa(n)
	first := time.Now()
	for attempt := 0; ; attempt++ {
		if time.Since(first) > replicaRetryWindow || ctx.Err() != nil {
			f.t.Errorf("event %s not acknowledged after %d attempts", id, attempt)
			return
		}
		if attempt > 0 {
			time.Sleep(min(time.Millisecond<<min(attempt, 7), 100*time.Millisecond))
		}
		targets := []int{(n + attempt) % 2}
		if attempt == 0 && n%3 == 0 {
			targets = []int{0, 1}
		}
		var (
			wg    sync.WaitGroup
			acked atomic.Bool
		)
		for _, i := range targets {
			wg.Go(func() {
				if bankhook.Acknowledged(f.send(ctx, id, i).status) {
					acked.Store(true)
				}
			})
		}
		wg.Wait()
		if acked.Load() {
			break
		}
	}
	f.acked.Add(1)
	if f.lateDuplicates && n%5 == 0 {
		d := f.send(ctx, id, (n+1)%2)
		if assert.True(f.t, bankhook.Acknowledged(d.status), "late duplicate of %s: status %d", id, d.status) {
			assert.True(f.t, d.replayed, "late duplicate of %s must be answered from the store", id)
		}
	}
}

// run delivers events events with replicaSenders concurrent senders and
// returns when every one is acknowledged (or has failed the test).
func (f *fleet) run(events int) {
	ctx, cancel := context.WithTimeout(f.t.Context(), replicaRunTimeout)
	defer cancel()
	next := make(chan int)
	var wg sync.WaitGroup
	for range replicaSenders {
		wg.Go(func() {
			for n := range next {
				f.deliver(ctx, n)
			}
		})
	}
	for n := range events {
		next <- n
	}
	close(next)
	wg.Wait()
}

// summary counts the deliveries by their answer.
func (f *fleet) summary() (inFlight, replayed, storeUnavailable, dropped int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, d := range f.deliveries {
		switch {
		case d.status == 0:
			dropped++
		case d.replayed:
			replayed++
		case d.reason == string(bankhook.ReasonInFlight):
			inFlight++
		case d.reason == string(bankhook.ReasonStoreUnavailable):
			storeUnavailable++
		}
	}
	return
}

// handledTwice returns the events whose application ran successfully more
// than once, split by whether that is explained by the outage [down, up]:
// a Reserve of the event failed (a receiver whose client had not
// reconnected yet counts too), or one of the runs overlapped the outage.
func (f *fleet) handledTwice(down, up time.Time) (outage, otherwise []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for id, runs := range f.runs {
		if len(runs) < 2 {
			continue
		}
		_, explained := f.reserveFailed.Load((&testEvent{ID: id}).IdempotencyKey())
		for _, s := range runs {
			explained = explained || (!down.IsZero() && s.start.Before(up) && s.end.After(down))
		}
		if explained {
			outage = append(outage, id)
		} else {
			otherwise = append(otherwise, id)
		}
	}
	return outage, otherwise
}

func replicaEventCount() int {
	if testing.Short() {
		return replicaEventsShort
	}
	return replicaEvents
}

// TestReplicas runs two replicas over one Redis against a flaky
// application: no event is handled twice, and none is acknowledged
// without having been handled.
func TestReplicas(t *testing.T) {
	srv := startRedis(t)
	f := newFleet(t, srv, false)
	f.lateDuplicates = true
	events := replicaEventCount()
	f.run(events)

	for n := range events {
		assert.Equal(t, 1, f.handled("evt-"+strconv.Itoa(n)), "evt-%d must be handled exactly once", n)
	}
	inFlight, replayed, unavailable, dropped := f.summary()
	t.Logf("%d events, %d deliveries: %d in flight (409), %d replayed, %d dropped connections",
		events, len(f.deliveries), inFlight, replayed, dropped)
	assert.Positive(t, inFlight, "duplicate deliveries must meet in-flight keys")
	assert.Positive(t, replayed, "late duplicates must be answered from the store")
	assert.Positive(t, dropped, "the application must drop some connections")
	assert.Zero(t, unavailable)
}

// TestReplicasRedisRestart kills Redis in the middle of a replica run and
// starts it again, empty, on the same port.
func TestReplicasRedisRestart(t *testing.T) {
	for _, tc := range []struct {
		name       string
		failClosed bool
	}{
		{"fail_open", false},
		{"fail_closed", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startRedis(t)
			if !srv.Own() {
				t.Skipf("restarting Redis needs a redis-server of the test's own, not %s", envAddr)
			}
			f := newFleet(t, srv, tc.failClosed)
			events := replicaEventCount()

			ran := make(chan struct{})
			go func() {
				defer close(ran)
				f.run(events)
			}()
			for f.acked.Load() < int64(events/3) {
				select {
				case <-ran:
					t.Fatal("every event was acknowledged before the outage")
				case <-time.After(time.Millisecond):
				}
			}
			srv.Stop(t)
			down := time.Now()
			time.Sleep(outage)
			restarting := time.Now()
			srv.Start(t)
			up := time.Now()
			<-ran

			var whileDown []delivery
			for _, d := range f.deliveries {
				if d.sent.After(down) && d.answered.Before(restarting) {
					whileDown = append(whileDown, d)
				}
			}
			require.NotEmpty(t, whileDown, "no delivery was answered while Redis was down")
			during, outside := f.handledTwice(down, up)
			inFlight, replayed, unavailable, dropped := f.summary()
			t.Logf("%d events, %d deliveries (%d while Redis was down for %v): %d in flight, %d replayed, "+
				"%d store unavailable, %d dropped; %d events handled twice during the outage",
				events, len(f.deliveries), len(whileDown), restarting.Sub(down), inFlight, replayed,
				unavailable, dropped, len(during))

			for n := range events {
				assert.Positive(t, f.handled("evt-"+strconv.Itoa(n)), "evt-%d was lost", n)
			}
			assert.Empty(t, outside, "events handled twice while Redis was up")
			if tc.failClosed {
				for _, d := range whileDown {
					assert.Equal(t, http.StatusServiceUnavailable, d.status, "answer to %s while Redis was down", d.id)
					assert.Equal(t, string(bankhook.ReasonStoreUnavailable), d.reason)
				}
				assert.Empty(t, during, "fail-closed: events handled twice")
			} else {
				assert.Zero(t, unavailable, "fail-open never answers store_unavailable")
			}
		})
	}
}
