package redisstore_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/hooktest"
	"github.com/bankhook/bankhook/redisstore"
)

func TestStoreConformance(t *testing.T) {
	storeConformance(t, startRedis(t).Client(t))
}

// storeConformance runs the Store conformance suite on stores over c, each
// with a prefix of its own.
func storeConformance(t *testing.T, c redis.UniversalClient) {
	hooktest.TestStore(t, hooktest.StoreHarness{
		New: func(*testing.T) bankhook.Store {
			return redisstore.New(c, redisstore.Options{Prefix: uniquePrefix()})
		},
		// Redis expires keys on its own clock.
		Advance: func(_ *testing.T, d time.Duration) { time.Sleep(d) },
	})
}

// TestStoreLayout checks what the store writes: the documented key and
// values, and expiries as long as the lease and the TTL.
func TestStoreLayout(t *testing.T) {
	c := startRedis(t).Client(t)
	ctx := t.Context()
	id := strings.TrimSuffix(uniquePrefix(), ":")

	for _, tc := range []struct {
		name   string
		prefix string
		want   string
	}{
		{"default_prefix", "", "bankhook:{" + id + "}"},
		{"own_prefix", "payments:", "payments:{" + id + "}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := redisstore.New(c, redisstore.Options{Prefix: tc.prefix})
			res, err := s.Reserve(ctx, id, 30*time.Second)
			require.NoError(t, err)
			require.Equal(t, bankhook.Reserved, res.State)
			assert.Len(t, res.Token, 22, "128 bits, base64url")
			assert.Equal(t, "r:"+res.Token, c.Get(ctx, tc.want).Val())
			assert.InDelta(t, 30*time.Second, c.PTTL(ctx, tc.want).Val(), float64(5*time.Second), "lease")

			require.NoError(t, s.Complete(ctx, id, res.Token, http.StatusAccepted, 72*time.Hour))
			assert.Equal(t, "d:202", c.Get(ctx, tc.want).Val())
			assert.InDelta(t, 72*time.Hour, c.PTTL(ctx, tc.want).Val(), float64(5*time.Second), "TTL")
			require.NoError(t, c.Del(ctx, tc.want).Err())
		})
	}
}

func TestStoreTokensDiffer(t *testing.T) {
	c := startRedis(t).Client(t)
	s := redisstore.New(c, redisstore.Options{Prefix: uniquePrefix()})
	seen := make(map[string]bool)
	for i := range 200 {
		res, err := s.Reserve(t.Context(), "evt-"+strconv.Itoa(i), time.Minute)
		require.NoError(t, err)
		require.False(t, seen[res.Token], "token %q handed out twice", res.Token)
		seen[res.Token] = true
	}
}

// TestStoreForeignValue: a key holding something the store did not write
// is an error of the store (Dedupe then applies its fail-open or
// fail-closed policy), never a state.
func TestStoreForeignValue(t *testing.T) {
	c := startRedis(t).Client(t)
	prefix := uniquePrefix()
	s := redisstore.New(c, redisstore.Options{Prefix: prefix})
	ctx := t.Context()
	for _, tc := range []struct {
		name string
		set  func(key string) error
	}{
		{"text", func(k string) error { return c.Set(ctx, k, "hello", time.Minute).Err() }},
		{"empty_token", func(k string) error { return c.Set(ctx, k, "r:", time.Minute).Err() }},
		{"short_status", func(k string) error { return c.Set(ctx, k, "d:20", time.Minute).Err() }},
		{"long_status", func(k string) error { return c.Set(ctx, k, "d:2000", time.Minute).Err() }},
		{"signed_status", func(k string) error { return c.Set(ctx, k, "d:+20", time.Minute).Err() }},
		{"status_too_low", func(k string) error { return c.Set(ctx, k, "d:099", time.Minute).Err() }},
		{"not_a_string", func(k string) error { return c.RPush(ctx, k, "d:200").Err() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, tc.set(prefix+"{"+tc.name+"}"))
			_, err := s.Reserve(ctx, tc.name, time.Minute)
			require.Error(t, err)
			assert.True(t, strings.HasPrefix(err.Error(), `redisstore: reserve "`+tc.name+`": `), "%v", err)
			assert.NotErrorIs(t, err, bankhook.ErrLeaseLost)
		})
	}
}

// TestStoreInvalidArguments: arguments Redis would refuse are refused
// before any round trip, naming the bad input.
func TestStoreInvalidArguments(t *testing.T) {
	s := redisstore.New(unreachableClient(t), redisstore.Options{})
	ctx := t.Context()
	for _, tc := range []struct {
		name string
		call func() error
		want string
	}{
		{"zero_lease", func() error { _, err := s.Reserve(ctx, "k", 0); return err }, `redisstore: reserve "k": lease 0s is not positive`},
		{"negative_lease", func() error { _, err := s.Reserve(ctx, "k", -time.Second); return err }, `redisstore: reserve "k": lease -1s is not positive`},
		{"zero_ttl", func() error { return s.Complete(ctx, "k", "t", 200, 0) }, `redisstore: complete "k": ttl 0s is not positive`},
		{"status_0", func() error { return s.Complete(ctx, "k", "t", 0, time.Hour) }, `redisstore: complete "k": status 0 is not an HTTP status`},
		{"status_1000", func() error { return s.Complete(ctx, "k", "t", 1000, time.Hour) }, `redisstore: complete "k": status 1000 is not an HTTP status`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.EqualError(t, tc.call(), tc.want)
		})
	}
}

func TestNewNilClient(t *testing.T) {
	assert.PanicsWithValue(t, "redisstore: New: nil client", func() { redisstore.New(nil, redisstore.Options{}) })
}

// unreachableClient returns a client of a loopback port nothing listens
// on, that does not retry.
func unreachableClient(t *testing.T) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{
		Addr:                  net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort(t))),
		MaxRetries:            -1,
		ContextTimeoutEnabled: true,
	})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestStoreUnreachable: every call fails with a wrapped error, and Dedupe
// applies its policy: the handler runs (fail open), or 503 (fail closed).
func TestStoreUnreachable(t *testing.T) {
	s := redisstore.New(unreachableClient(t), redisstore.Options{})
	ctx := t.Context()

	_, err := s.Reserve(ctx, "k", time.Minute)
	assertCallFailed(t, err, `redisstore: reserve "k": `)
	assertCallFailed(t, s.Complete(ctx, "k", "t", 200, time.Hour), `redisstore: complete "k": `)
	assertCallFailed(t, s.Release(ctx, "k", "t"), `redisstore: release "k": `)

	for _, tc := range []struct {
		name       string
		failClosed bool
		want       int
		wantCalls  int
	}{
		{"fail_open", false, http.StatusOK, 1},
		{"fail_closed", true, http.StatusServiceUnavailable, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			h := receiverChain(bankhook.DedupeOptions{Store: s, FailClosed: tc.failClosed}, nil, func(context.Context, *testEvent) error { calls++; return nil })
			w := httptest.NewRecorder()
			h.ServeHTTP(w, newDelivery(`{"id":"a"}`))
			assert.Equal(t, tc.want, w.Code)
			assert.Equal(t, tc.wantCalls, calls)
		})
	}
}

func assertCallFailed(t *testing.T, err error, prefix string) {
	t.Helper()
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), prefix), "%q must start with %q", err, prefix)
	assert.NotErrorIs(t, err, bankhook.ErrLeaseLost)
	var opErr *net.OpError
	assert.ErrorAs(t, err, &opErr, "the cause is kept")
}

// TestStoreTimeout: a Redis that accepts connections and never answers
// costs each call at most Options.Timeout, and ends in an error.
func TestStoreTimeout(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		var conns []net.Conn // held open, never answered
		for {
			conn, err := l.Accept()
			if err != nil {
				for _, c := range conns {
					_ = c.Close()
				}
				return
			}
			conns = append(conns, conn)
		}
	}()
	c := redis.NewClient(&redis.Options{Addr: l.Addr().String(), MaxRetries: -1, ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = c.Close() })
	s := redisstore.New(c, redisstore.Options{Timeout: 20 * time.Millisecond})

	// Dedupe calls Complete and Release without the request's deadline.
	ctx := context.WithoutCancel(t.Context())
	_, err = s.Reserve(ctx, "k", time.Minute)
	assertTimedOut(t, err, `redisstore: reserve "k": `)
	assertTimedOut(t, s.Complete(ctx, "k", "t", 200, time.Hour), `redisstore: complete "k": `)
	assertTimedOut(t, s.Release(ctx, "k", "t"), `redisstore: release "k": `)
}

func assertTimedOut(t *testing.T, err error, prefix string) {
	t.Helper()
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), prefix), "%q must start with %q", err, prefix)
	var ne net.Error
	timedOut := errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
	assert.True(t, timedOut, "%v must be a timeout", err)
}

// TestStoreScriptCacheFlushed: after SCRIPT FLUSH (or a restart), the
// scripts are sent again and every call still works.
func TestStoreScriptCacheFlushed(t *testing.T) {
	srv := startRedis(t)
	if !srv.Own() {
		t.Skipf("SCRIPT FLUSH needs a redis-server of the test's own, not %s", envAddr)
	}
	c := srv.Client(t)
	s := redisstore.New(c, redisstore.Options{Prefix: uniquePrefix()})
	ctx := t.Context()
	for i := range 3 {
		require.NoError(t, c.ScriptFlush(ctx).Err())
		key := "evt-" + strconv.Itoa(i)
		res, err := s.Reserve(ctx, key, time.Minute)
		require.NoError(t, err)
		require.NoError(t, c.ScriptFlush(ctx).Err())
		if i%2 == 0 {
			require.NoError(t, s.Complete(ctx, key, res.Token, 200, time.Hour))
		} else {
			require.NoError(t, s.Release(ctx, key, res.Token))
		}
	}
}

// doubleRun runs every script twice, as a client does that retries a
// command whose reply was lost after Redis had run it.
type doubleRun struct{}

func (doubleRun) DialHook(next redis.DialHook) redis.DialHook { return next }

func (doubleRun) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if name := cmd.Name(); name == "evalsha" || name == "eval" {
			if err := next(ctx, cmd); err != nil {
				return err
			}
		}
		return next(ctx, cmd)
	}
}

func (doubleRun) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// TestStoreRetriedReserve: a Reserve whose script ran twice still holds
// the key it reserved, instead of finding it in flight.
func TestStoreRetriedReserve(t *testing.T) {
	c := startRedis(t).Client(t)
	c.AddHook(doubleRun{})
	s := redisstore.New(c, redisstore.Options{Prefix: uniquePrefix()})
	ctx := t.Context()

	res, err := s.Reserve(ctx, "evt-1", time.Minute)
	require.NoError(t, err)
	require.Equal(t, bankhook.Reserved, res.State)
	again, err := s.Reserve(ctx, "evt-1", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, bankhook.InFlight, again.State, "another caller still finds the key held")
	// A retried Release finds nothing the second time: the lease is lost
	// as far as the caller can tell, but the key is free.
	require.ErrorIs(t, s.Release(ctx, "evt-1", res.Token), bankhook.ErrLeaseLost)
	res, err = s.Reserve(ctx, "evt-1", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, bankhook.Reserved, res.State)
}

// FuzzStoreKey: any idempotency key, whatever its bytes, goes through
// reserve → in flight → complete → done with its status, apart from every
// other key.
func FuzzStoreKey(f *testing.F) {
	for _, k := range []string{"", "a", "{", "}", "{}", "a{b}c", "}{", "\x00", "bunq:PAYMENT:€", strings.Repeat("k", 1000)} {
		f.Add(k, uint16(200))
	}
	c := startRedis(f).Client(f)
	s := redisstore.New(c, redisstore.Options{Prefix: uniquePrefix()})
	f.Fuzz(func(t *testing.T, key string, code uint16) {
		status := 200 + int(code%100)
		ctx := t.Context()
		res, err := s.Reserve(ctx, key, time.Minute)
		require.NoError(t, err)
		if res.State != bankhook.Reserved { // the fuzzer repeats inputs
			return
		}
		in, err := s.Reserve(ctx, key, time.Minute)
		require.NoError(t, err)
		require.Equal(t, bankhook.InFlight, in.State)
		require.NoError(t, s.Complete(ctx, key, res.Token, status, time.Minute))
		done, err := s.Reserve(ctx, key, time.Minute)
		require.NoError(t, err)
		require.Equal(t, bankhook.Reservation{State: bankhook.Done, Status: status}, done)
		other, err := s.Reserve(ctx, key+"\x00other", time.Minute)
		require.NoError(t, err)
		if other.State == bankhook.Reserved {
			require.NoError(t, s.Release(ctx, key+"\x00other", other.Token))
		}
	})
}

func newDelivery(body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/hook", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return r
}

// roundTrips counts the commands and pipelines a client sends.
type roundTrips struct{ n atomic.Int64 }

func (*roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmd)
	}
}

func (h *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmds)
	}
}

// BenchmarkRedisDedupe measures the whole receiver path (ReadBody, Decode,
// Dedupe, Handle) with the LRU store and with Redis on loopback: first
// deliveries (a new event each time) and duplicates (one event, done).
// The redis sub-benchmarks report their round trips per delivery, and,
// when the lru one ran before them, the ratio to it and the latency Redis
// adds.
func BenchmarkRedisDedupe(b *testing.B) {
	srv := startRedis(b)
	rt := &roundTrips{}
	c := srv.Client(b)
	c.AddHook(rt)
	redisStore := redisstore.New(c, redisstore.Options{Prefix: uniquePrefix()})
	handled := func(context.Context, *testEvent) error { return nil }

	for _, kind := range []string{"", "duplicate"} {
		var lruNs float64
		for _, backend := range []string{"lru", "redis"} {
			name := backend
			if kind != "" {
				name += "_" + kind
			}
			b.Run(name, func(b *testing.B) {
				var store bankhook.Store = bankhook.NewLRUStore(bankhook.LRUStoreOptions{})
				if backend == "redis" {
					store = redisStore
				}
				h := receiverChain(bankhook.DedupeOptions{Store: store}, nil, handled)
				nonce := uniquePrefix() // this run's events are new to the store
				run := func(i int) {
					id := nonce + "dup"
					if kind == "" {
						id = nonce + strconv.Itoa(i)
					}
					w := httptest.NewRecorder()
					h.ServeHTTP(w, newDelivery(`{"id":"`+id+`"}`))
					if w.Code != http.StatusOK {
						b.Fatalf("delivery of %s: %d %s", id, w.Code, w.Body)
					}
				}
				run(-1) // loads the scripts; stores the duplicate
				rt.n.Store(0)
				i := 0
				for b.Loop() {
					run(i)
					i++
				}
				ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
				if backend == "lru" {
					lruNs = ns
					return
				}
				b.ReportMetric(float64(rt.n.Load())/float64(b.N), "roundtrips/op")
				if lruNs > 0 {
					b.ReportMetric(ns/lruNs, "x-lru")
					b.ReportMetric(ns-lruNs, "added-ns/op")
				}
			})
		}
	}
}

// BenchmarkRedisMemory reports the memory Redis uses per done key (INFO
// memory, used_memory, before and after b.N keys), for a 71-byte key (the
// "sha256:…" body key) and the default prefix. Run it with
// -benchtime=100000x for the figure in the README.
func BenchmarkRedisMemory(b *testing.B) {
	srv := startRedis(b)
	if !srv.Own() {
		b.Skipf("measuring memory needs a redis-server of the benchmark's own, not %s", envAddr)
	}
	c := srv.Client(b)
	ctx := context.Background()
	require.NoError(b, c.FlushAll(ctx).Err())
	s := redisstore.New(c, redisstore.Options{})
	before := usedMemory(b, c)
	i := 0
	for b.Loop() {
		key := "sha256:" + strings.Repeat("0", 64-len(strconv.Itoa(i))) + strconv.Itoa(i)
		res, err := s.Reserve(ctx, key, time.Minute)
		if err != nil || res.State != bankhook.Reserved {
			b.Fatalf("reserve %s: %v %v", key, res, err)
		}
		if err := s.Complete(ctx, key, res.Token, 200, bankhook.DefaultDedupeTTL); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(usedMemory(b, c)-before)/float64(b.N), "bytes/key")
}

func usedMemory(b *testing.B, c *redis.Client) int64 {
	b.Helper()
	info, err := c.Info(context.Background(), "memory").Result()
	require.NoError(b, err)
	for line := range strings.Lines(info) {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			require.NoError(b, err)
			return n
		}
	}
	b.Fatalf("no used_memory in INFO memory: %s", info)
	return 0
}
