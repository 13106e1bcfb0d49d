package main

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/bunq"
)

// distinctPayments returns n bunq MUTATION callbacks, each about a Payment
// of its own, and their idempotency keys.
func distinctPayments(t *testing.T, n int) (bodies [][]byte, keys []string) {
	t.Helper()
	sample := bunqSample(t, "MUTATION")
	const id = "2938471"
	require.Equal(t, 1, bytes.Count(sample, []byte(id)))
	seen := map[string]bool{}
	for i := range n {
		body := bytes.Replace(sample, []byte(id), strconv.AppendInt(nil, int64(1_000_000_000+i), 10), 1)
		notification, err := bunq.Decode(body)
		require.NoError(t, err)
		key := notification.IdempotencyKey()
		require.False(t, seen[key])
		seen[key] = true
		bodies, keys = append(bodies, body), append(keys, key)
	}
	return bodies, keys
}

// deliverAll posts bodies[i] to url for every i, from senders goroutines
// at once, until stop is closed (nil: never), and returns each one's answer
// and error.
func deliverAll(t *testing.T, url string, bodies [][]byte, senders int, stop <-chan struct{}, acked *atomic.Int64) ([]answer, []error) {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: senders}, Timeout: time.Minute}
	defer client.CloseIdleConnections()
	answers, errs := make([]answer, len(bodies)), make([]error, len(bodies))
	eachConcurrently(senders, len(bodies), func(i int) {
		select {
		case <-stop:
			errs[i] = errNotSent
			return
		default:
		}
		answers[i], errs[i] = tryPost(t.Context(), client, url, "application/json", bodies[i])
		if errs[i] == nil && bankhook.Acknowledged(answers[i].status) && acked != nil {
			acked.Add(1)
		}
	})
	return answers, errs
}

var errNotSent = errors.New("not sent: serve was killed")

// wholeLines returns the keys of the whole lines of an output file, and
// the length of what follows its last newline.
func wholeLines(t *testing.T, b []byte) (keys map[string]int, lines, tail int) {
	t.Helper()
	keys = map[string]int{}
	end := bytes.LastIndexByte(b, '\n') + 1
	for line := range bytes.Lines(b[:end]) {
		var l struct {
			Key string `json:"key"`
		}
		require.NoError(t, json.Unmarshal(line, &l), "a line before the last newline is whole: %s", line)
		keys[l.Key]++
		lines++
	}
	return keys, lines, len(b) - end
}

// TestServeCrashConsistency kills serve with SIGKILL in the middle of a
// concurrent load of distinct events, and checks that every event it
// acknowledged is a whole line in --out. It then starts serve again on
// the same file and delivers every event again, as the bank would: no
// line is added for the events already written (they are answered as
// replays), each of the others is written exactly once, and the file has
// no broken line.
func TestServeCrashConsistency(t *testing.T) {
	t.Parallel()
	const events, senders = 3000, 16
	bodies, keys := distinctPayments(t, events)
	path := filepath.Join(t.TempDir(), "events.jsonl")
	limits := []string{"--rate", "1000000", "--burst", "1000000"} // one sender, many events

	s := startServe(t, append([]string{"--dev", "--out", path}, limits...)...)
	var acked atomic.Int64
	killed := make(chan struct{})
	go func() {
		waitFor(t, "a third of the events acknowledged", func() bool { return acked.Load() >= events/3 })
		assert.NoError(t, s.cmd.Process.Kill()) // SIGKILL: no shutdown, no last sync
		<-s.exited
		close(killed)
	}()
	answers, errs := deliverAll(t, s.url+"/bunq", bodies, senders, killed, &acked)
	<-killed

	written, err := os.ReadFile(path)
	require.NoError(t, err)
	before, lines, tail := wholeLines(t, written)
	nAcked, nFailed := 0, 0
	for i := range bodies {
		switch {
		case errs[i] == nil && answers[i].status == http.StatusOK:
			nAcked++
			require.Equal(t, 1, before[keys[i]], "event %d was acknowledged: its line is whole in --out", i)
		case errs[i] == nil:
			t.Fatalf("event %d: answered %d before the kill: %s", i, answers[i].status, answers[i].body)
		default:
			nFailed++
		}
	}
	require.Equal(t, len(before), lines, "no event written twice")
	require.Less(t, nAcked, events, "killed in the middle of the load")
	t.Logf("before the kill: %d events, %d acknowledged, %d not; --out: %d whole lines (%d not acknowledged), %d bytes after the last newline",
		events, nAcked, nFailed, lines, lines-nAcked, tail)

	// The bank delivers every event again.
	again := startServe(t, append([]string{"--dev", "--out", path}, limits...)...)
	require.Len(t, again.logLines("dedupe store: in memory, loaded", "loaded_bunq="+strconv.Itoa(lines)), 1, again.stderr.String())
	answers, errs = deliverAll(t, again.url+"/bunq", bodies, senders, nil, nil)
	replayed := 0
	for i := range bodies {
		require.NoError(t, errs[i], "event %d", i)
		require.Equal(t, http.StatusOK, answers[i].status, "event %d: %s", i, answers[i].body)
		wasWritten := before[keys[i]] == 1
		assert.Equal(t, wasWritten, answers[i].header.Get(bankhook.HeaderIdempotentReplayed) == "true",
			"event %d: a replay exactly when its line was written before the kill", i)
		if wasWritten {
			replayed++
		}
	}
	after := again.stop() // every line whole, or the test fails
	count := map[string]int{}
	for _, l := range after {
		count[l.Key]++
	}
	for i, key := range keys {
		require.Equal(t, 1, count[key], "event %d: exactly one line", i)
	}
	require.Len(t, after, events)
	t.Logf("after the restart: %d events delivered again, %d replayed, %d written; --out: %d whole lines", events, replayed, events-replayed, len(after))
}
