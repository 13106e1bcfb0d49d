package pgstore_test

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/bunq"
	"github.com/bankhook/bankhook/pgstore"
	"github.com/bankhook/bankhook/pgstore/pgtest"
)

// The helper process of TestHandleCrash reads its database and address
// from these.
const (
	envCrashURL  = "PGSTORE_CRASH_HELPER_URL"
	envCrashAddr = "PGSTORE_CRASH_HELPER_ADDR"
)

// Sizes and bounds of the crash run. The lease outlasts the handler's
// deadline plus one store call; the bounds say how long the run may take
// on a slow machine, nothing of speed.
const (
	crashEvents      = 600
	crashSenders     = 16
	crashKills       = 3
	crashKillEvery   = 120 // acknowledgements between two kills
	crashTimeout     = 3 * time.Minute
	crashMaxAttempts = 3000 // per event
	crashRetryDelay  = 20 * time.Millisecond
	crashLease       = 2 * time.Second
	crashDeadline    = time.Second
	crashStoreTime   = 500 * time.Millisecond
)

// TestHandleCrashHelper is the receiver process TestHandleCrash kills: a
// bunq receiver booking payments through Handle, serving until it is
// killed. It skips when it is not started as that helper.
func TestHandleCrashHelper(t *testing.T) {
	url, addr := os.Getenv(envCrashURL), os.Getenv(envCrashAddr)
	if url == "" || addr == "" {
		t.Skip("the receiver process of TestHandleCrash, not a test of its own")
	}
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, url)
	require.NoError(t, err)
	store, err := pgstore.New(ctx, pool, pgstore.Options{Table: "crash_keys", Timeout: crashStoreTime})
	require.NoError(t, err)
	cfg := bunq.Config{Handler: pgstore.Handle(store, bookPayment)}
	cfg.Allow = bankhook.MustIPAllowlist("127.0.0.1/32")
	cfg.Dedupe = bankhook.DedupeOptions{Store: store, FailClosed: true, Lease: crashLease, Logger: quiet}
	cfg.Deadline = crashDeadline
	cfg.Logger, cfg.Observer = quiet, bankhook.ObserverFuncs{}
	cfg.RateLimit.Rate, cfg.RateLimit.Burst = 1e9, 1e9
	h, err := bunq.NewReceiver(cfg)
	require.NoError(t, err)
	l, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	go exitWithParent()
	_ = http.Serve(l, h) // until killed
}

// exitWithParent ends the helper process once the test that started it
// is gone (a test binary killed by its timeout does not clean up), and in
// any case once the test's time is over.
func exitWithParent() {
	const poll = 100 * time.Millisecond
	parent := os.Getppid()
	for range (crashTimeout + time.Minute) / poll {
		if os.Getppid() != parent {
			break
		}
		time.Sleep(poll)
	}
	os.Exit(2)
}

// crashReceiver is one run of the helper process.
type crashReceiver struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// startCrashReceiver starts the helper on addr and waits until it answers.
func startCrashReceiver(t *testing.T, url, addr string) *crashReceiver {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHandleCrashHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), envCrashURL+"="+url, envCrashAddr+"="+addr)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	r := &crashReceiver{cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(r.done) }()
	t.Cleanup(func() { r.kill() })
	for range 500 { // up to 10 s
		select {
		case <-r.done:
			t.Fatalf("receiver process exited: %s", out.Bytes())
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond); err == nil {
			_ = c.Close()
			return r
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("receiver process not listening: %s", out.Bytes())
	return nil
}

// kill sends SIGKILL and waits for the process to end.
func (r *crashReceiver) kill() {
	_ = r.cmd.Process.Signal(syscall.SIGKILL)
	<-r.done
}

// TestHandleCrash: a receiver process booking payments through Handle is
// killed with SIGKILL three times while 16 senders deliver 600 payments
// over HTTP, each retrying until it is acknowledged; each time a new
// process takes over the address. Whatever the instant of the kill —
// before a commit, between the commit and the answer — every payment is
// acknowledged and booked exactly once, and every acknowledged one is in
// the table.
func TestHandleCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("kills receiver processes under load: not with -short")
	}
	pool := pgtest.Pool(t)
	createPayments(t, pool)
	url := pool.Config().ConnString()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())

	receiver := startCrashReceiver(t, url, addr)
	var (
		mu        sync.Mutex // guards statuses
		statuses  = map[int]int{}
		acked     atomic.Int64
		replayed  atomic.Int64 // acknowledged from the table: an earlier attempt's answer was lost
		connErrs  atomic.Int64
		killAt    = make(chan struct{}, crashKills) // one value per kill due
		ctx, stop = context.WithTimeout(t.Context(), crashTimeout)
	)
	defer stop()
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: crashSenders}}
	events := make(chan int, crashEvents)
	for i := range crashEvents {
		events <- 30_000 + i
	}
	close(events)
	var wg sync.WaitGroup
	for range crashSenders {
		wg.Go(func() {
			for id := range events {
				body := paymentBody(t, id)
				for range crashMaxAttempts {
					if ctx.Err() != nil {
						return
					}
					code, replay, err := post(ctx, client, "http://"+addr+"/bunq", body)
					if err != nil {
						connErrs.Add(1)
					} else {
						mu.Lock()
						statuses[code]++
						mu.Unlock()
						if bankhook.Acknowledged(code) {
							if replay {
								replayed.Add(1)
							}
							if n := acked.Add(1); n%crashKillEvery == 0 && n/crashKillEvery <= crashKills {
								killAt <- struct{}{}
							}
							break
						}
					}
					select { // the bank's retry, compressed
					case <-time.After(crashRetryDelay):
					case <-ctx.Done():
					}
				}
			}
		})
	}
	for k := range crashKills {
		select {
		case <-killAt:
		case <-ctx.Done():
			t.Fatalf("kill %d: not enough load", k+1)
		}
		receiver.kill()
		t.Logf("receiver killed (SIGKILL) after %d acknowledgements", acked.Load())
		receiver = startCrashReceiver(t, url, addr)
	}
	wg.Wait()
	require.NoError(t, ctx.Err(), "every event acknowledged in time")

	mu.Lock()
	t.Logf("answers by status: %v; requests without an answer: %d; acknowledged as replays (booked by an attempt whose answer was lost): %d",
		statuses, connErrs.Load(), replayed.Load())
	mu.Unlock()
	assert.EqualValues(t, crashEvents, acked.Load(), "acknowledged")
	assert.Positive(t, connErrs.Load(), "requests cut by the kills")
	once, twice := rows(t, pool)
	t.Logf("payments: events=%d acknowledged=%d kills=%d booked once=%d booked twice or more=%d missing=%d",
		crashEvents, acked.Load(), crashKills, once, twice, crashEvents-once-twice)
	assert.Equal(t, crashEvents, once, "each payment booked once")
	assert.Zero(t, twice, "none booked twice")
}

// post sends body as bunq would and returns the status, and whether the
// answer came from the dedupe store.
func post(ctx context.Context, c *http.Client, url string, body []byte) (status int, replayed bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, false, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return 0, false, err
	}
	_ = resp.Body.Close()
	return resp.StatusCode, resp.Header.Get(bankhook.HeaderIdempotentReplayed) == "true", nil
}
