package redisstore_test

import (
	"cmp"
	"context"
	"errors"
	"hash/fnv"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/redis/go-redis/v9"
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
	stores  [2]bankhook.Store // each replica's store
	http    *http.Client
	// lateDuplicates: after an event is acknowledged, the bank sends a
	// fifth of them once more (a duplicate delivery, or a failure re-sent
	// by hand), which must be answered from the store.
	lateDuplicates bool

	failClosed bool // the replicas' Dedupe answers 503 when the store fails

	invocations sync.Map // id → *atomic.Int32: application invocations

	mu         sync.Mutex // guards runs, deliveries, reserves and completed
	runs       map[string][]span
	deliveries []delivery
	reserves   map[string][]storeCall // by idempotency key
	completed  map[string]time.Time   // idempotency key → when a Complete of it succeeded

	acked atomic.Int64 // events acknowledged
}

// newFleet starts two replicas whose stores share one prefix on the Redis
// of newClient, each with a client of its own, as separate processes
// would have.
func newFleet(t *testing.T, newClient func(testing.TB) redis.UniversalClient, failClosed bool) *fleet {
	t.Helper()
	f := &fleet{t: t, failClosed: failClosed, runs: make(map[string][]span),
		reserves: make(map[string][]storeCall), completed: make(map[string]time.Time)}
	prefix := uniquePrefix()
	for i := range f.servers {
		store := storeSpy{redisstore.New(newClient(t), redisstore.Options{Prefix: prefix, Timeout: storeTimeout}), f}
		f.stores[i] = store
		o := bankhook.DedupeOptions{Store: store, FailClosed: failClosed, Lease: replicaLease}
		f.servers[i] = httptest.NewServer(receiverChain(o, f.aborter, f.handle))
		t.Cleanup(f.servers[i].Close)
	}
	f.http = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: replicaSenders * 2}}
	t.Cleanup(f.http.CloseIdleConnections)
	return f
}

// storeCall is one call of a store method: when it ran and whether it
// failed.
type storeCall struct {
	span
	failed bool
}

// storeSpy records every Reserve call and every successful Complete of a
// replica's store.
type storeSpy struct {
	bankhook.Store
	f *fleet
}

func (s storeSpy) Reserve(ctx context.Context, key string, lease time.Duration) (bankhook.Reservation, error) {
	start := time.Now()
	res, err := s.Store.Reserve(ctx, key, lease)
	s.f.mu.Lock()
	s.f.reserves[key] = append(s.f.reserves[key], storeCall{span{start, time.Now()}, err != nil})
	s.f.mu.Unlock()
	return res, err
}

func (s storeSpy) Complete(ctx context.Context, key, token string, status int, ttl time.Duration) error {
	err := s.Store.Complete(ctx, key, token, status, ttl)
	if err == nil {
		s.f.mu.Lock()
		s.f.completed[key] = time.Now()
		s.f.mu.Unlock()
	}
	return err
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
func (f *fleet) run(events int) { f.runUntil(nil, events) }

// runUntil delivers events 0, 1, … with replicaSenders concurrent senders
// until stop is closed or max events were sent, and returns how many were
// sent once every one of them is acknowledged (or has failed the test).
func (f *fleet) runUntil(stop <-chan struct{}, max int) int {
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
	n := 0
send:
	for ; n < max; n++ {
		select {
		case next <- n:
		case <-stop:
			break send
		}
	}
	close(next)
	wg.Wait()
	return n
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
// than once, split by whether the outage [down, up] explains it: a Reserve
// of the event was under way during the outage (it may have reached a
// server that lost the key, or a new one that never had it); with fail
// open, also a Reserve of it failed (Dedupe then runs the handler without
// a reservation; a receiver whose client had not reconnected yet counts
// too) or one of its runs overlapped the outage.
func (f *fleet) handledTwice(down, up time.Time) (outage, otherwise []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	overlaps := func(s span) bool { return !down.IsZero() && s.start.Before(up) && s.end.After(down) }
	for id, runs := range f.runs {
		if len(runs) < 2 {
			continue
		}
		explained := false
		for _, c := range f.reserves[(&testEvent{ID: id}).IdempotencyKey()] {
			explained = explained || overlaps(c.span) || (c.failed && !f.failClosed)
		}
		for _, s := range runs {
			explained = explained || (overlaps(s) && !f.failClosed)
		}
		if explained {
			outage = append(outage, id)
		} else {
			otherwise = append(otherwise, id)
		}
	}
	return outage, otherwise
}

// lastReserveFailure returns when the last failed Reserve ended (zero when
// none failed) and how many failed.
func (f *fleet) lastReserveFailure() (last time.Time, failed int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, calls := range f.reserves {
		for _, c := range calls {
			if c.failed {
				failed++
				if c.end.After(last) {
					last = c.end
				}
			}
		}
	}
	return last, failed
}

func replicaEventCount() int {
	if testing.Short() {
		return replicaEventsShort
	}
	return replicaEvents
}

// clientOf returns newClient for a fleet whose replicas use srv.
func clientOf(srv *redisServer) func(testing.TB) redis.UniversalClient {
	return func(tb testing.TB) redis.UniversalClient { return srv.Client(tb) }
}

// TestReplicas runs two replicas over one Redis against a flaky
// application: no event is handled twice, and none is acknowledged
// without having been handled.
func TestReplicas(t *testing.T) {
	testReplicas(t, clientOf(startRedis(t)), replicaEventCount())
}

// testReplicas runs two replicas over newClient's Redis, with duplicate
// deliveries at once and late ones, and checks that each of events events
// is handled exactly once.
func testReplicas(t *testing.T, newClient func(testing.TB) redis.UniversalClient, events int) {
	f := newFleet(t, newClient, false)
	f.lateDuplicates = true
	start := time.Now()
	f.run(events)
	elapsed := time.Since(start)

	for n := range events {
		assert.Equal(t, 1, f.handled("evt-"+strconv.Itoa(n)), "evt-%d must be handled exactly once", n)
	}
	inFlight, replayed, unavailable, dropped := f.summary()
	t.Logf("%d events in %v, %d deliveries: %d in flight (409), %d replayed, %d dropped connections",
		events, elapsed.Round(time.Millisecond), len(f.deliveries), inFlight, replayed, dropped)
	assert.Positive(t, inFlight, "duplicate deliveries must meet in-flight keys")
	assert.Positive(t, replayed, "late duplicates must be answered from the store")
	assert.Positive(t, dropped, "the application must drop some connections")
	assert.Zero(t, unavailable)
	_, failed := f.lastReserveFailure()
	assert.Zero(t, failed, "no Reserve may fail while Redis is up")
}

// failModes are Dedupe's two answers to a store that fails: run the
// handler anyway, or 503.
var failModes = []struct {
	name       string
	failClosed bool
}{
	{"fail_open", false},
	{"fail_closed", true},
}

// outageTimes is what an outage did: Redis (or part of it) stopped serving
// at down and served again at up. When a replica took over, every write
// acknowledged before synced had reached it; synced is zero when nothing
// was kept. A planned outage (a manual failover) must go unnoticed: no
// call fails, no event is handled twice.
type outageTimes struct {
	synced, down, up time.Time
	planned          bool
}

// outageAfter is how long the bank keeps sending new events after an
// outage, so that the receivers' clients must find their way back.
const outageAfter = time.Second

// outageWarmup is how many events are acknowledged before the outage.
const outageWarmup = 200

// runThroughOutage runs two replicas over newClient's Redis, calls
// interrupt once outageWarmup events were acknowledged, and keeps sending
// new events until outageAfter after interrupt returned. It checks what
// the store promises: no event is lost; an event is handled twice only when
// the outage explains it (see handledTwice; never with fail-closed, unless
// a Reserve of it straddled the outage); fail-open never answers
// store_unavailable, fail-closed answers it during the outage and not
// before; each replica's store works again for every key by itself (see
// probe); and every event completed before synced is answered from the
// store afterwards, without running the application again. A planned
// outage must fail no call at all.
func runThroughOutage(t *testing.T, newClient func(testing.TB) redis.UniversalClient, failClosed bool,
	interrupt func(t *testing.T) outageTimes) (*fleet, outageTimes) {
	t.Helper()
	f := newFleet(t, newClient, failClosed)
	stop := make(chan struct{})
	sent := make(chan int, 1)
	start := time.Now()
	go func() { sent <- f.runUntil(stop, math.MaxInt) }()
	for f.acked.Load() < outageWarmup {
		require.False(t, time.Since(start) > replicaRunTimeout, "the run did not warm up")
		time.Sleep(time.Millisecond)
	}
	ot := interrupt(t)
	time.Sleep(outageAfter)
	close(stop)
	events := <-sent
	elapsed := time.Since(start)

	var whileDown []delivery // the deliveries under way during the outage
	f.mu.Lock()
	for _, d := range f.deliveries {
		if d.sent.Before(ot.up) && d.answered.After(ot.down) {
			whileDown = append(whileDown, d)
		}
		if d.reason == string(bankhook.ReasonStoreUnavailable) {
			assert.True(t, d.answered.After(ot.down), "store_unavailable for %s before the outage", d.id)
		}
	}
	f.mu.Unlock()
	require.NotEmpty(t, whileDown, "no delivery was under way during the outage")
	during, outside := f.handledTwice(ot.down, ot.up)
	inFlight, replayed, unavailable, dropped := f.summary()
	lastFail, failed := f.lastReserveFailure()
	var recovered time.Duration // from serving again to the last failed Reserve; negative: before
	if failed > 0 {
		recovered = lastFail.Sub(ot.up)
	}
	t.Logf("%d events in %v, %d deliveries (%d during the outage of %v): %d in flight, %d replayed, "+
		"%d store unavailable, %d dropped; %d Reserve calls failed, the last ending %v after Redis served again; "+
		"%d events handled twice during the outage",
		events, elapsed.Round(time.Millisecond), len(f.deliveries), len(whileDown), ot.up.Sub(ot.down).Round(time.Millisecond),
		inFlight, replayed, unavailable, dropped, failed, recovered.Round(time.Millisecond), len(during))

	for n := range events {
		assert.Positive(t, f.handled("evt-"+strconv.Itoa(n)), "evt-%d was lost", n)
	}
	assert.Empty(t, outside, "events handled twice that the outage does not explain")
	switch {
	case ot.planned:
		assert.Zero(t, failed, "no Reserve may fail during a planned failover")
		assert.Zero(t, unavailable, "a planned failover is answered as usual")
		assert.Empty(t, during, "a planned failover handles no event twice")
	case failClosed && failed == 0:
		// The client's own retries (go-redis tries a call up to four times,
		// backing off up to 512 ms) outlasted a short failover: the store
		// never failed, so nothing was answered store_unavailable.
		assert.Zero(t, unavailable, "store_unavailable without a failed Reserve")
		t.Logf("fail-closed: the client's retries bridged the outage of %v; no Reserve failed", ot.up.Sub(ot.down).Round(time.Millisecond))
	case failClosed:
		// Every failed Reserve is answered store_unavailable, unless the
		// bank's connection was dropped before the answer.
		assert.Positive(t, unavailable, "fail-closed answers store_unavailable during the outage")
		assert.LessOrEqual(t, unavailable, failed, "store_unavailable only for a failed Reserve")
	default:
		assert.Zero(t, unavailable, "fail-open never answers store_unavailable")
	}
	f.probe(ot.up)
	if !ot.synced.IsZero() {
		f.checkKept(ot.synced)
	}
	return f, ot
}

// probeKeys is how many new keys probe reserves through each replica's
// store: enough to reach every shard of the test cluster.
const probeKeys = 64

// clientRecovery bounds how long after Redis serves again a receiver's
// store may still fail: go-redis redials a server that refused it about
// once a second, the failover client follows the sentinels' news, and the
// cluster client reloads its map of slots when the store asks it to after
// a failed call (without that, it fails for up to a minute). The bound
// leaves room for a loaded machine.
const clientRecovery = 5 * time.Second

// probe checks that each replica's store works again for every key within
// clientRecovery of Redis (all of it) serving again: its client found the
// way back by itself.
func (f *fleet) probe(up time.Time) {
	f.t.Helper()
	ctx := f.t.Context()
	for attempt := 0; ; attempt++ {
		var err error
		for i, s := range f.stores {
			for n := range probeKeys {
				key := "probe:" + strconv.Itoa(attempt) + ":" + strconv.Itoa(i) + ":" + strconv.Itoa(n)
				res, rerr := s.Reserve(ctx, key, time.Minute)
				if rerr == nil {
					rerr = s.Release(ctx, key, res.Token)
				}
				err = cmp.Or(err, rerr)
			}
		}
		if err == nil {
			return
		}
		if time.Since(up) > clientRecovery {
			f.t.Errorf("a replica's store still fails %v after Redis served again: %v", time.Since(up).Round(time.Millisecond), err)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkKept sends each event whose Complete succeeded before synced once
// more: the store must answer it as done, without running the
// application.
func (f *fleet) checkKept(synced time.Time) {
	f.t.Helper()
	f.mu.Lock()
	var ids []string
	for key, at := range f.completed {
		if at.Before(synced) {
			ids = append(ids, strings.TrimPrefix(key, "test:"))
		}
	}
	f.mu.Unlock()
	require.NotEmpty(f.t, ids, "no event was completed before the replica caught up")
	kept := 0
	for i, id := range ids {
		before := f.handled(id)
		d := f.send(f.t.Context(), id, i%2)
		if assert.True(f.t, bankhook.Acknowledged(d.status) && d.replayed, "%s, completed before the failover, answered %d (replayed %v)", id, d.status, d.replayed) {
			kept++
		}
		assert.Equal(f.t, before, f.handled(id), "%s handled again after the failover", id)
	}
	f.t.Logf("%d of %d events completed before the failover answered from the store after it", kept, len(ids))
}

// TestReplicasRedisRestart kills Redis in the middle of a replica run and
// starts it again, empty, on the same port.
func TestReplicasRedisRestart(t *testing.T) {
	for _, tc := range failModes {
		t.Run(tc.name, func(t *testing.T) {
			srv := startRedis(t)
			if !srv.Own() {
				t.Skipf("restarting Redis needs a redis-server of the test's own, not %s", envAddr)
			}
			var restarting time.Time
			f, ot := runThroughOutage(t, clientOf(srv), tc.failClosed, func(t *testing.T) outageTimes {
				srv.Stop(t)
				down := time.Now()
				time.Sleep(outage)
				restarting = time.Now()
				srv.Start(t)
				return outageTimes{down: down, up: time.Now()}
			})
			if tc.failClosed {
				// Nothing survives the restart, and nothing is handled
				// without a reservation: no event is handled twice.
				during, _ := f.handledTwice(ot.down, ot.up)
				assert.Empty(t, during, "fail-closed: events handled twice")
				for _, d := range f.deliveries {
					if d.sent.After(ot.down) && d.answered.Before(restarting) {
						assert.Equal(t, http.StatusServiceUnavailable, d.status, "answer to %s while Redis was down", d.id)
						assert.Equal(t, string(bankhook.ReasonStoreUnavailable), d.reason)
					}
				}
			}
		})
	}
}
