package main

import (
	"context"
	"fmt"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook/pgstore/pgtest"
)

// pgEvents is the number of distinct events of a Postgres test's load.
const pgEvents = 2000

// pgSetup is a private PostgreSQL cluster, a database on it, and replicas
// of `serve --postgres` on fixed addresses, sharing nothing but the
// database.
type pgSetup struct {
	cluster  *pgtest.Cluster
	pool     *pgxpool.Pool
	url      string
	addrs    []string
	replicas []*server
}

func newPGSetup(t *testing.T, replicas int) *pgSetup {
	t.Helper()
	if testing.Short() {
		t.Skip("PostgreSQL under load: skipped with -short")
	}
	p := &pgSetup{cluster: pgtest.NewCluster(t)}
	p.pool = p.cluster.Pool(t)
	p.url = p.pool.Config().ConnString()
	for range replicas {
		p.addrs = append(p.addrs, freeAddr(t))
	}
	p.replicas = make([]*server, replicas)
	for i := range p.replicas {
		p.start(t, i)
	}
	return p
}

// start starts replica i on its address.
func (p *pgSetup) start(t *testing.T, i int) {
	t.Helper()
	p.replicas[i] = startServe(t, "--addr", p.addrs[i], "--allow", "127.0.0.1", "--postgres", p.url,
		"--rate", "1000000", "--burst", "1000000")
}

// load delivers bodies to every replica at random, as newBankLoad does.
func (p *pgSetup) load(bodies [][]byte) *bankLoad {
	urls := make([]string, len(p.addrs))
	for i, a := range p.addrs {
		urls[i] = "http://" + a + "/bunq"
	}
	return newBankLoad(bodies, urls)
}

// pgCounts is what a Postgres test counts.
type pgCounts struct {
	acked, rows, missing, unackedRows int
	status                            map[int]int // non-2xx answers by status
}

func (c pgCounts) String() string {
	return fmt.Sprintf("acked=%d rows=%d missing=%d rows_of_unacked=%d non_2xx=%v", c.acked, c.rows, c.missing, c.unackedRows, c.status)
}

// count reads the table and compares it with what the load saw
// acknowledged; keys[i] is event i's key.
func (p *pgSetup) count(t *testing.T, l *bankLoad, keys []string) pgCounts {
	t.Helper()
	rows, err := p.pool.Query(context.Background(), "SELECT key FROM bankhook_events")
	require.NoError(t, err)
	have := map[string]bool{}
	for rows.Next() {
		var k string
		require.NoError(t, rows.Scan(&k))
		have[k] = true
	}
	require.NoError(t, rows.Err())
	c := pgCounts{acked: int(l.ackedCount.Load()), rows: len(have), status: map[int]int{}}
	for i, k := range keys {
		switch {
		case l.acked[i].Load() && !have[k]:
			c.missing++
		case !l.acked[i].Load() && have[k]:
			c.unackedRows++
		}
	}
	l.mu.Lock()
	for _, s := range l.otherSeen {
		var status int
		_, _ = fmt.Sscanf(s, "%d", &status)
		c.status[status]++
	}
	l.mu.Unlock()
	return c
}

// TestServePostgresReplicas delivers 2,000 distinct events, one in ten
// with a retry racing its first delivery, to two replicas that share only
// PostgreSQL, each attempt to one at random. Every event ends acknowledged
// and is exactly one row; a delivery racing one in flight on the other
// replica is answered 409 and retried; delivered all again, every event is
// answered as a replay and no row is added.
func TestServePostgresReplicas(t *testing.T) {
	t.Parallel()
	p := newPGSetup(t, 2)
	bodies, keys := distinctPayments(t, pgEvents)
	l := p.load(bodies)
	l.otherLimit = 1 << 20
	<-l.start(t)
	c := p.count(t, l, keys)
	t.Logf("%v; 409s counted by the load=%d, replays=%d", c, l.inFlight.Load(), l.replayed.Load())
	assert.Equal(t, pgEvents, c.acked, "every event acknowledged")
	assert.Equal(t, pgEvents, c.rows, "one row per event")
	assert.Zero(t, c.missing)

	again := p.load(bodies)
	again.dupEvery = 0
	<-again.start(t)
	assert.Equal(t, int64(pgEvents), again.replayed.Load(), "every delivery of a stored event is a replay")
	assert.Equal(t, pgEvents, p.count(t, again, keys).rows, "no row added")
	for _, s := range p.replicas {
		s.stop()
	}
}

// TestServePostgresKill kills one of two replicas (SIGKILL) in the middle
// of the load and starts it again on its address a second later. Every
// acknowledged event has its row, and no event has two (the key is the
// primary key: a second insert would have failed, not added a row).
func TestServePostgresKill(t *testing.T) {
	t.Parallel()
	p := newPGSetup(t, 2)
	bodies, keys := distinctPayments(t, pgEvents)
	l := p.load(bodies)
	l.otherLimit = 1 << 20
	done := l.start(t)
	waitFor(t, "a third of the events acknowledged", func() bool { return l.ackedCount.Load() >= pgEvents/3 })
	atKill := l.ackedCount.Load()
	require.NoError(t, p.replicas[0].cmd.Process.Signal(syscall.SIGKILL))
	<-p.replicas[0].exited
	down := time.NewTimer(time.Second)
	<-down.C
	p.start(t, 0)
	<-done
	c := p.count(t, l, keys)
	t.Logf("killed replica 0 at acked=%d, restarted after 1s; %v; transport errors=%d", atKill, c, l.errs.Load())
	assert.Less(t, int(atKill), pgEvents, "killed in the middle of the load")
	assert.Equal(t, pgEvents, c.acked, "every event acknowledged in the end")
	assert.Zero(t, c.missing, "every acknowledged event has its row")
	assert.Equal(t, pgEvents, c.rows)
	for _, s := range p.replicas {
		s.stop()
	}
}

// TestServePostgresOutage crashes PostgreSQL (pg_ctl stop -m immediate)
// in the middle of the load and starts it again 2 s later. While it is
// down, serve answers 503 with Retry-After and /readyz fails; in the end
// every event is acknowledged and is exactly one row.
func TestServePostgresOutage(t *testing.T) {
	t.Parallel()
	p := newPGSetup(t, 2)
	bodies, keys := distinctPayments(t, pgEvents+1)
	probe := bodies[pgEvents] // delivered once, while PostgreSQL is down
	bodies, keys = bodies[:pgEvents], keys[:pgEvents]
	l := p.load(bodies)
	l.otherLimit = 1 << 20
	done := l.start(t)
	waitFor(t, "a third of the events acknowledged", func() bool { return l.ackedCount.Load() >= pgEvents/3 })
	atStop := l.ackedCount.Load()
	require.NoError(t, p.cluster.Stop("immediate"))
	waitFor(t, "/readyz to report PostgreSQL down", func() bool { return readyStatus(t, p.addrs[0]) == http.StatusServiceUnavailable })
	a := post(t, nil, "http://"+p.addrs[0]+"/bunq", "application/json", probe)
	assert.Equal(t, http.StatusServiceUnavailable, a.status, a.body)
	assert.NotEmpty(t, a.header.Get("Retry-After"), "a 503 tells the bank when to retry")
	down := time.NewTimer(2 * time.Second)
	<-down.C
	require.NoError(t, p.cluster.Start())
	<-done
	c := p.count(t, l, keys)
	t.Logf("PostgreSQL stopped (immediate) at acked=%d for 2s after /readyz said so; %v", atStop, c)
	assert.Positive(t, c.status[http.StatusServiceUnavailable], "503s while PostgreSQL was down")
	assert.Equal(t, pgEvents, c.acked, "every event acknowledged in the end")
	assert.Zero(t, c.missing, "every acknowledged event has its row")
	assert.Equal(t, pgEvents, c.rows)
	waitFor(t, "/readyz to report PostgreSQL back", func() bool { return readyStatus(t, p.addrs[0]) == http.StatusOK })
	for _, s := range p.replicas {
		s.stop()
	}
}

// readyStatus is the status of GET /readyz on addr.
func readyStatus(t *testing.T, addr string) int {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/readyz")
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}
