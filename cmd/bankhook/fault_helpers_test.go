package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
)

// redisProc is a redis-server process of the test's own on a fixed
// loopback port and directory. It keeps every write in its append-only
// file, fsynced before the write is answered, so that it can be paused,
// killed and started again from that file with everything it
// acknowledged. It is for the test's goroutine only.
type redisProc struct {
	addr string
	dir  string
	bin  string
	args []string

	cmd    *exec.Cmd     // nil while it is not running
	exited chan struct{} // closed when cmd has exited
	paused bool          // it was sent SIGSTOP and not SIGCONT since
}

// startAOFRedis starts a redis-server of the test's own with
// --appendonly yes --appendfsync always, and stops it at the end of the
// test. It skips the test when redis-server is missing, or fails it when
// BANKHOOK_REQUIRE_REDIS=1.
func startAOFRedis(t *testing.T) *redisProc {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("BANKHOOK_REQUIRE_REDIS") == "1" {
			t.Fatal("redis-server is not on PATH and BANKHOOK_REQUIRE_REDIS=1")
		}
		t.Skip("redis-server is not on PATH (apt-get install redis-server); set BANKHOOK_REQUIRE_REDIS=1 to fail instead")
	}
	r := &redisProc{addr: freeAddr(t), dir: t.TempDir(), bin: bin}
	host, port, err := net.SplitHostPort(r.addr)
	require.NoError(t, err)
	r.args = []string{
		"--port", port, "--bind", host,
		"--appendonly", "yes", "--appendfsync", "always", "--save", "",
		"--dir", r.dir, "--logfile", filepath.Join(r.dir, "redis.log"),
	}
	t.Cleanup(func() {
		if r.cmd != nil {
			r.kill(t)
		}
	})
	r.start(t)
	return r
}

// start starts redis-server, from its append-only file if it has one, and
// waits until it answers PING.
func (r *redisProc) start(t *testing.T) {
	t.Helper()
	require.Nil(t, r.cmd, "redis-server is already running")
	cmd := exec.Command(r.bin, r.args...)
	require.NoError(t, cmd.Start(), "starting redis-server")
	r.cmd, r.exited = cmd, make(chan struct{})
	exited := r.exited
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	c := redis.NewClient(&redis.Options{Addr: r.addr, MaxRetries: -1, PoolSize: 1})
	defer c.Close()
	waitFor(t, "redis-server to answer PING", func() bool {
		select {
		case <-exited:
			log, _ := os.ReadFile(filepath.Join(r.dir, "redis.log"))
			t.Fatalf("redis-server on %s exited on start:\n%s", r.addr, log)
		default:
		}
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		return c.Ping(ctx).Err() == nil
	})
}

// pause stops redis-server with SIGSTOP: connections stay open, and
// nothing is answered until resume.
func (r *redisProc) pause(t *testing.T) {
	t.Helper()
	require.NoError(t, r.cmd.Process.Signal(syscall.SIGSTOP))
	r.paused = true
}

// resume continues a paused redis-server with SIGCONT.
func (r *redisProc) resume(t *testing.T) {
	t.Helper()
	require.NoError(t, r.cmd.Process.Signal(syscall.SIGCONT))
	r.paused = false
}

// kill kills redis-server with SIGKILL, as a crash would, and waits until
// it is gone; what it fsynced to its append-only file stays.
func (r *redisProc) kill(t *testing.T) {
	t.Helper()
	// SIGKILL ends a stopped process too.
	if err := r.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("killing redis-server: %v", err)
	}
	<-r.exited
	r.cmd, r.paused = nil, false
}

// startReplicas starts n `bankhook serve --redis` replicas sharing the
// Redis at addr, each writing its own --out file in a new directory, with
// loopback allowed and no practical rate limit (every bank sends from
// 127.0.0.1).
func startReplicas(t *testing.T, addr string, n int) []*server {
	t.Helper()
	dir := t.TempDir()
	replicas := make([]*server, n)
	for i := range replicas {
		replicas[i] = startServe(t,
			"--allow", "127.0.0.1",
			"--redis", addr,
			"--out", filepath.Join(dir, fmt.Sprintf("r%d.jsonl", i)),
			"--rate", "1000000", "--burst", "1000000",
		)
	}
	return replicas
}

// lateAfter is how long a delivery may take to be acknowledged before a
// fault test counts it late: longer than any stall the tests inject, and
// than the handler deadline.
const lateAfter = 30 * time.Second

// bankLoad delivers events as banks behind a load balancer would: each
// attempt goes to a replica chosen at random, and any answer but a 2xx,
// or a transport error, is retried after a short pause with jitter, like
// bunq's retries but fast. Its counters may be read while it runs.
type bankLoad struct {
	bodies   [][]byte // the events, one body each
	urls     []string // each replica's endpoint
	banks    int      // deliveries in flight at once, besides the racing retries
	dupEvery int      // every dupEvery-th event is also delivered by a retry racing the first delivery; 0: none

	retryMin, retryMax time.Duration // the pause before a retry, uniformly in between
	maxAttempts        int           // attempts of one delivery before the bank gives up
	maxTime            time.Duration // time one delivery is retried for before the bank gives up

	acked      []atomic.Bool // per event: one of its deliveries was answered 2xx
	ackedCount atomic.Int64  // events acknowledged so far

	deliveries   atomic.Int64 // deliveries started, the racing retries included
	unanswered   atomic.Int64 // deliveries the bank gave up on without a 2xx
	attempts     atomic.Int64 // HTTP requests sent
	unavailable  atomic.Int64 // 503 store_unavailable answers
	noRetryAfter atomic.Int64 // 503 store_unavailable answers without Retry-After
	inFlight     atomic.Int64 // 409 in_flight answers
	replayed     atomic.Int64 // 2xx answers with Idempotent-Replayed: true
	other        atomic.Int64 // answers of any other status or reason
	errs         atomic.Int64 // transport errors
	late         atomic.Int64 // deliveries acknowledged more than lateAfter after they started

	mu         sync.Mutex    // guards otherSeen and slowest
	otherSeen  []string      // the first few other answers, for the failure message
	slowest    time.Duration // the longest a delivery took to be acknowledged
	otherLimit int
}

// newBankLoad returns a load of bodies on urls with the pacing the fault
// tests use: 16 banks, one racing retry every 10 events, retries 50–200 ms
// apart for at most 90 s. That is longer than serve's dedupe lease (60 s):
// a reservation whose holder never learnt it got it (Redis ran the
// command after the holder gave up) blocks its event for a lease, and the
// bank must outlast it, as bunq's retries, hours long, do.
func newBankLoad(bodies [][]byte, urls []string) *bankLoad {
	return &bankLoad{
		bodies: bodies, urls: urls, banks: 16, dupEvery: 10,
		retryMin: 50 * time.Millisecond, retryMax: 200 * time.Millisecond,
		maxAttempts: 2000, maxTime: 90 * time.Second,
		acked:      make([]atomic.Bool, len(bodies)),
		otherLimit: 5,
	}
}

// start delivers every event in goroutines of its own and returns a
// channel closed when every delivery has ended. The test ends them when
// it ends, and waits for them.
func (l *bankLoad) start(t *testing.T) <-chan struct{} {
	t.Helper()
	ctx := t.Context() // done before the cleanups run
	client := &http.Client{
		Transport: &http.Transport{MaxIdleConnsPerHost: 2 * l.banks},
		Timeout:   10 * time.Second,
	}
	done := make(chan struct{})
	go func() {
		var dups sync.WaitGroup // the racing duplicate deliveries
		eachConcurrently(l.banks, len(l.bodies), func(i int) {
			if l.dupEvery > 0 && i%l.dupEvery == 0 {
				dups.Go(func() { l.deliver(ctx, client, i) })
			}
			l.deliver(ctx, client, i)
		})
		dups.Wait()
		client.CloseIdleConnections()
		close(done)
	}()
	t.Cleanup(func() { <-done })
	return done
}

// deliver delivers event i until an attempt is answered 2xx, the bank
// gives up, or ctx ends.
func (l *bankLoad) deliver(ctx context.Context, client *http.Client, i int) {
	l.deliveries.Add(1)
	start := time.Now()
	giveUp := start.Add(l.maxTime)
	for range l.maxAttempts {
		url := l.urls[rand.IntN(len(l.urls))]
		l.attempts.Add(1)
		a, err := tryPost(ctx, client, url, "application/json", l.bodies[i])
		if ctx.Err() != nil {
			break
		}
		if err == nil && bankhook.Acknowledged(a.status) {
			if a.header.Get(bankhook.HeaderIdempotentReplayed) == "true" {
				l.replayed.Add(1)
			}
			if !l.acked[i].Swap(true) {
				l.ackedCount.Add(1)
			}
			took := time.Since(start)
			if took > lateAfter {
				l.late.Add(1)
			}
			l.mu.Lock()
			l.slowest = max(l.slowest, took)
			l.mu.Unlock()
			return
		}
		l.count(a, err)
		pause := l.retryMin + rand.N(l.retryMax-l.retryMin+1)
		if time.Now().Add(pause).After(giveUp) {
			break
		}
		timer := time.NewTimer(pause)
		select {
		case <-ctx.Done():
		case <-timer.C:
		}
		timer.Stop()
		if ctx.Err() != nil {
			break
		}
	}
	l.unanswered.Add(1)
}

// count counts an answer that is not an acknowledgement.
func (l *bankLoad) count(a answer, err error) {
	if err != nil {
		l.errs.Add(1)
		return
	}
	var p struct {
		Reason string `json:"reason"`
	}
	_ = json.Unmarshal([]byte(a.body), &p)
	switch {
	case a.status == http.StatusServiceUnavailable && p.Reason == string(bankhook.ReasonStoreUnavailable):
		l.unavailable.Add(1)
		if a.header.Get("Retry-After") == "" {
			l.noRetryAfter.Add(1)
		}
	case a.status == http.StatusConflict && p.Reason == string(bankhook.ReasonInFlight):
		l.inFlight.Add(1)
	default:
		l.other.Add(1)
		l.mu.Lock()
		if len(l.otherSeen) < l.otherLimit {
			l.otherSeen = append(l.otherSeen, fmt.Sprintf("%d %s", a.status, strings.TrimSpace(a.body)))
		}
		l.mu.Unlock()
	}
}

// faultCounts is what a fault test counts, across every replica's --out.
type faultCounts struct {
	sent, acked  int // events sent, and acknowledged (2xx) at least once
	deliveries   int // deliveries, the racing retries included
	unanswered   int // deliveries the bank gave up on
	lines        int // lines across every --out
	twice        int // events with more than one line
	missing      int // events acknowledged but in no line
	unacked      int // events never acknowledged
	writtenUnack int // events never acknowledged that have a line anyway
	attempts     int
	unavailable  int // 503 store_unavailable
	inFlight     int // 409 in_flight
	replayed     int // 2xx Idempotent-Replayed
	other        int // any other non-2xx answer
	errs         int // transport errors
	late         int // deliveries acknowledged more than lateAfter after they started
	slowest      time.Duration
}

// countFaults stops the replicas gracefully and counts the load's events
// in their --out files; keys[i] is the idempotency key of the load's
// event i.
func countFaults(t *testing.T, l *bankLoad, keys []string, replicas []*server) faultCounts {
	t.Helper()
	lines := map[string]int{}
	c := faultCounts{sent: len(keys)}
	for _, r := range replicas {
		for _, line := range r.stop() {
			lines[line.Key]++
			c.lines++
		}
	}
	for _, n := range lines {
		if n > 1 {
			c.twice++
		}
	}
	for i, key := range keys {
		switch acked := l.acked[i].Load(); {
		case acked && lines[key] == 0:
			c.missing++
		case !acked:
			c.unacked++
			if lines[key] > 0 {
				c.writtenUnack++
			}
		}
	}
	c.acked = int(l.ackedCount.Load())
	c.deliveries = int(l.deliveries.Load())
	c.unanswered = int(l.unanswered.Load())
	c.attempts = int(l.attempts.Load())
	c.unavailable = int(l.unavailable.Load())
	c.inFlight = int(l.inFlight.Load())
	c.replayed = int(l.replayed.Load())
	c.other = int(l.other.Load())
	c.errs = int(l.errs.Load())
	c.late = int(l.late.Load())
	l.mu.Lock()
	c.slowest = l.slowest
	l.mu.Unlock()
	require.Zero(t, l.noRetryAfter.Load(), "every 503 store_unavailable carries Retry-After")
	return c
}

// String is the counts on one line, to be quoted.
func (c faultCounts) String() string {
	return fmt.Sprintf("sent=%d acked=%d lines=%d twice=%d missing=%d unacked=%d written_unacked=%d "+
		"deliveries=%d unanswered=%d attempts=%d 503s=%d 409s=%d replayed=%d other=%d errors=%d late=%d slowest=%v",
		c.sent, c.acked, c.lines, c.twice, c.missing, c.unacked, c.writtenUnack,
		c.deliveries, c.unanswered, c.attempts, c.unavailable, c.inFlight, c.replayed, c.other, c.errs, c.late, c.slowest.Round(time.Millisecond))
}
