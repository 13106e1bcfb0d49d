package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/cmd/bankhook/internal/faulttest"
)

// bankResult is how one event's deliveries ended.
type bankResult struct {
	acked    bool
	attempts int
	last     string // the last failure, for the test's message
}

// bankDeliver delivers every body to url, senders at a time, as a bank
// does: an answer other than 2xx, or none, is retried after a short
// pause, for at most maxAttempts deliveries and until ctx ends. It counts
// the 5xx answers in fivexx and the acknowledged events in acked.
func bankDeliver(ctx context.Context, url string, bodies [][]byte, senders int, fivexx, acked *atomic.Int64) []bankResult {
	const (
		maxAttempts = 2000
		pause       = 20 * time.Millisecond
	)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: senders}, Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	results := make([]bankResult, len(bodies))
	eachConcurrently(senders, len(bodies), func(i int) {
		r := &results[i]
		for r.attempts < maxAttempts && ctx.Err() == nil {
			r.attempts++
			a, err := tryPost(ctx, client, url, "application/json", bodies[i])
			switch {
			case err != nil:
				r.last = err.Error()
			case bankhook.Acknowledged(a.status):
				r.acked = true
				acked.Add(1)
			default:
				r.last = fmt.Sprintf("%d %s", a.status, a.body)
				if a.status >= 500 {
					fivexx.Add(1)
				}
			}
			if r.acked {
				break
			}
			select {
			case <-time.After(pause):
			case <-ctx.Done():
			}
		}
	})
	return results
}

// TestServeFaultDisk fills the filesystem of serve's --out for real (a
// tmpfs of its own) in the middle of a concurrent load of distinct bunq
// events, keeps it full for a while, then makes room again, while the
// bank retries every event that was not acknowledged. Every event must
// end acknowledged, as exactly one whole line of --out, and the file
// must hold nothing but whole lines: the batches that failed while the
// disk was full left nothing behind.
func TestServeFaultDisk(t *testing.T) {
	t.Parallel()
	const (
		events, senders = 2000, 16
		fullFor         = 1500 * time.Millisecond
	)
	dir := faulttest.MountTmpfs(t, "32m")
	path := filepath.Join(dir, "events.jsonl")
	filler := filepath.Join(dir, "filler")
	bodies, keys := distinctPayments(t, events)
	s := startServe(t, "--allow", "127.0.0.1", "--out", path, "--rate", "1000000", "--burst", "1000000")

	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	var fivexx, acked atomic.Int64
	type fault struct {
		filled     int64         // bytes of the filler
		at         int64         // events acknowledged when the disk filled up
		fivexxFull int64         // 5xx answers while it was full
		held       time.Duration // how long it was full
		err        error
	}
	faulted := make(chan fault, 1)
	go func() {
		var f fault
		defer func() { faulted <- f }()
		for acked.Load() < events/4 { // bounded by ctx
			if ctx.Err() != nil {
				f.err = errors.New("a quarter of the events were never acknowledged")
				return
			}
			time.Sleep(time.Millisecond)
		}
		f.at = acked.Load()
		before := fivexx.Load()
		start := time.Now()
		if f.filled, f.err = faulttest.FillDisk(filler, 64<<10); f.err != nil {
			return
		}
		// Full for fullFor, and until the full disk has failed a delivery.
		for time.Since(start) < fullFor || fivexx.Load() == before {
			if ctx.Err() != nil {
				f.err = errors.New("the full disk failed no delivery")
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		f.held, f.fivexxFull = time.Since(start), fivexx.Load()-before
		if err := os.Remove(filler); f.err == nil {
			f.err = err
		}
	}()
	results := bankDeliver(ctx, s.url+"/bunq", bodies, senders, &fivexx, &acked)
	f := <-faulted
	require.NoError(t, f.err)

	lines := s.stop() // every line parses, the file ends with a newline
	count := map[string]int{}
	for _, l := range lines {
		count[l.Key]++
	}
	nAcked, attempts, twice, missing := 0, 0, 0, 0
	for i, r := range results {
		attempts += r.attempts
		if r.acked {
			nAcked++
		}
		switch n := count[keys[i]]; {
		case n == 0:
			missing++
		case n > 1:
			twice++
		}
	}
	t.Logf("disk full: events sent %d, acknowledged %d, deliveries %d, 5xx answers %d (%d while full for %v, filled at %d acknowledged with %d bytes); --out: %d lines, written twice %d, missing %d",
		events, nAcked, attempts, fivexx.Load(), f.fivexxFull, f.held.Round(time.Millisecond), f.at, f.filled, len(lines), twice, missing)

	for i, r := range results {
		require.True(t, r.acked, "event %d: not acknowledged after %d deliveries: %s", i, r.attempts, r.last)
		require.Equal(t, 1, count[keys[i]], "event %d: exactly one line", i)
	}
	require.Len(t, lines, events, "no line but the events'")
	require.Positive(t, f.fivexxFull, "the full disk failed deliveries")
}
