package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// faultEvents is the number of distinct events of a fault test's load.
const faultEvents = 3000

// startFaultLoad starts a Redis of the test's own, two replicas sharing
// it and the banks' load of faultEvents distinct events on them, and
// waits until a third of the events are acknowledged: the moment to
// inject a fault in the middle of the load.
func startFaultLoad(t *testing.T) (r *redisProc, replicas []*server, l *bankLoad, keys []string, done <-chan struct{}) {
	t.Helper()
	if testing.Short() {
		t.Skip("a fault test under load: skipped with -short")
	}
	r = startAOFRedis(t)
	replicas = startReplicas(t, r.addr, 2)
	bodies, keys := distinctPayments(t, faultEvents)
	urls := make([]string, len(replicas))
	for i, s := range replicas {
		urls[i] = s.url + "/bunq"
	}
	l = newBankLoad(bodies, urls)
	done = l.start(t)
	waitFor(t, "a third of the events acknowledged", func() bool {
		select {
		case <-done:
			t.Fatalf("the load ended before the fault, with %d of %d events acknowledged", l.ackedCount.Load(), faultEvents)
		default:
		}
		return l.ackedCount.Load() >= faultEvents/3
	})
	return r, replicas, l, keys, done
}

// TestFaultRedisStall pauses Redis (SIGSTOP) for 5 s in the middle of a
// load of distinct events delivered to two replicas, with retries racing
// first deliveries. While Redis does not answer, serve fails closed: it
// answers 503 store_unavailable with Retry-After and writes nothing, and
// the banks retry. In the end every event is acknowledged and written
// exactly once across both replicas' --out files.
//
// The calls that were waiting on Redis when their callers gave up still
// run when it resumes: a Reserve among them holds its event for the whole
// dedupe lease (60 s), answered 409 in_flight, although no delivery
// handles it. The banks outlast it (see newBankLoad), so the test then
// lasts about 70 s, and counts those deliveries as late.
func TestFaultRedisStall(t *testing.T) {
	t.Parallel()
	r, replicas, l, keys, done := startFaultLoad(t)

	atPause := l.ackedCount.Load()
	unavailableBefore := l.unavailable.Load()
	r.pause(t)
	stall := time.NewTimer(5 * time.Second) // the fault itself: Redis stalls this long
	<-stall.C
	r.resume(t)
	unavailableInStall := l.unavailable.Load() - unavailableBefore
	<-done

	c := countFaults(t, l, keys, replicas)
	t.Logf("paused at acked=%d for 5s; 503s during the stall=%d", atPause, unavailableInStall)
	t.Logf("%v", c)
	l.mu.Lock()
	assert.Zero(t, c.other, "answers other than 2xx, 503 store_unavailable and 409 in_flight: %q", l.otherSeen)
	l.mu.Unlock()
	assert.Less(t, int(atPause), faultEvents, "Redis stalled in the middle of the load")
	assert.Positive(t, unavailableInStall, "serve failed closed while Redis stalled: 503 store_unavailable")
	assert.Equal(t, faultEvents, c.acked, "every event acknowledged in the end")
	assert.Zero(t, c.unanswered, "every delivery, racing retries included, acknowledged in the end")
	assert.Zero(t, c.missing, "every acknowledged event has a line")
	assert.Zero(t, c.twice, "no event written twice")
	assert.Equal(t, faultEvents, c.lines, "one line per event")
}

// TestFaultRedisRestart kills Redis (SIGKILL) in the middle of a load of
// distinct events delivered to two replicas, with retries racing first
// deliveries, and starts it again about a second later from its
// append-only file (fsynced before every answer) on the same port. Every
// acknowledged event has a line across both replicas' --out files, and
// none has two.
//
// A write Redis made durable but could not answer before it died is kept:
// a lost Reserve answer holds its event for the lease (60 s, counted as
// late deliveries); a lost Complete answer is retried by serve, which
// finds the key done, or still reserved with its token after the restart.
// A done mark lost for good would show as an event written twice, by a
// racing retry once the lease is over.
func TestFaultRedisRestart(t *testing.T) {
	t.Parallel()
	r, replicas, l, keys, done := startFaultLoad(t)

	atKill := l.ackedCount.Load()
	r.kill(t)
	down := time.NewTimer(time.Second) // the fault itself: Redis is down this long
	<-down.C
	r.start(t)
	<-done

	c := countFaults(t, l, keys, replicas)
	t.Logf("killed at acked=%d, restarted after 1s", atKill)
	t.Logf("%v", c)
	l.mu.Lock()
	assert.Zero(t, c.other, "answers other than 2xx, 503 store_unavailable and 409 in_flight: %q", l.otherSeen)
	l.mu.Unlock()
	require.Less(t, int(atKill), faultEvents, "Redis was killed in the middle of the load")
	assert.Zero(t, c.missing, "every acknowledged event has a line")
	assert.Zero(t, c.twice, "no event written twice")
	assert.Equal(t, faultEvents, c.acked, "every event acknowledged in the end")
}
