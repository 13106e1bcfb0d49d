package output

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
)

// recordingStore is a bankhook.Store that records the calls Warm makes.
type recordingStore struct {
	mu    sync.Mutex // guards calls, done
	calls []string
	done  map[string]bool // keys already done before Warm
	err   error
}

func (s *recordingStore) Reserve(_ context.Context, key string, lease time.Duration) (bankhook.Reservation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return bankhook.Reservation{}, s.err
	}
	s.calls = append(s.calls, fmt.Sprintf("reserve %s %v", key, lease))
	if s.done[key] {
		return bankhook.Reservation{State: bankhook.Done, Status: http.StatusAccepted}, nil
	}
	return bankhook.Reservation{State: bankhook.Reserved, Token: "t-" + key}, nil
}

func (s *recordingStore) Complete(_ context.Context, key, token string, status int, ttl time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, fmt.Sprintf("complete %s %s %d %v", key, token, status, ttl))
	return nil
}

func (s *recordingStore) Release(context.Context, string, string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, "release")
	return nil
}

var _ bankhook.Store = (*recordingStore)(nil)

func TestWarmCalls(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	var file []byte
	for _, l := range []struct {
		provider, key string
		age           time.Duration
	}{
		{"bunq", "expired", 73 * time.Hour},
		{"bunq", "b1", 71 * time.Hour},
		{"bankhub", "h1", 3 * time.Hour},
		{"bunq", "known", 2 * time.Hour},
		{"bunq", "b2", time.Hour},
		{"bunq", "b3", time.Minute},
		{"other", "o1", time.Minute},
	} {
		file = appendTestLine(file, l.provider, l.key, now.Add(-l.age))
	}
	path := filepath.Join(t.TempDir(), "events.jsonl")
	require.NoError(t, os.WriteFile(path, file, 0o600))

	bunqStore := &recordingStore{done: map[string]bool{"known": true}}
	hubStore := &recordingStore{}
	w, err := Warm(t.Context(), path, map[string]bankhook.Store{"bunq": bunqStore, "bankhub": hubStore},
		WarmOptions{Capacity: 3, Now: func() time.Time { return now }})
	require.NoError(t, err)

	// The newest keys up to the capacity, reserved then completed oldest
	// first, each for what remains of the 72 h since it was received; a key
	// the store holds already is left alone.
	assert.Equal(t, []string{
		"reserve known 1m0s",
		"reserve b2 1m0s", "complete b2 t-b2 200 71h0m0s",
		"reserve b3 1m0s", "complete b3 t-b3 200 71h59m0s",
	}, bunqStore.calls)
	assert.Equal(t, []string{"reserve h1 1m0s", "complete h1 t-h1 200 69h0m0s"}, hubStore.calls)
	assert.Equal(t, map[string]int{"bunq": 2, "bankhub": 1}, w.Loaded)
	assert.Equal(t, 7, w.Lines, "read back to the first line older than the TTL: bankhub's store is not full")

	t.Run("store failure", func(t *testing.T) {
		errDown := errors.New("store down")
		_, err := Warm(t.Context(), path, map[string]bankhook.Store{"bunq": &recordingStore{err: errDown}}, WarmOptions{Now: func() time.Time { return now }})
		require.ErrorIs(t, err, errDown)
		assert.Contains(t, err.Error(), `bankhook: output: loading bunq key "b1"`)
	})
	t.Run("refused file", func(t *testing.T) {
		other := filepath.Join(t.TempDir(), "app.log")
		require.NoError(t, os.WriteFile(other, []byte("hello\n"), 0o600))
		_, err := Warm(t.Context(), other, map[string]bankhook.Store{"bunq": &recordingStore{}}, WarmOptions{})
		var e *NotOutputError
		require.ErrorAs(t, err, &e)
	})
}

// TestWarmLRUStore warms the library's in-memory store: the newest keys
// are the last to be evicted, and each expires when its line's TTL ends.
func TestWarmLRUStore(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	clock := now
	store := bankhook.NewLRUStore(bankhook.LRUStoreOptions{Capacity: 3, Now: func() time.Time { return clock }})
	file := appendTestLine(nil, "bunq", "ending", now.Add(-(71*time.Hour + 59*time.Minute)))
	for i, age := range []time.Duration{5 * time.Hour, 4 * time.Hour, 3 * time.Hour, 2 * time.Hour, time.Hour} {
		file = appendTestLine(file, "bunq", "k"+strconv.Itoa(i+1), now.Add(-age))
	}
	path := filepath.Join(t.TempDir(), "events.jsonl")
	require.NoError(t, os.WriteFile(path, file, 0o600))
	w, err := Warm(t.Context(), path, map[string]bankhook.Store{"bunq": store}, WarmOptions{Capacity: 3, Now: func() time.Time { return now }})
	require.NoError(t, err)
	assert.Equal(t, 3, w.Loaded["bunq"])

	reserve := func(key string) bankhook.Reservation {
		t.Helper()
		r, err := store.Reserve(t.Context(), key, time.Minute)
		require.NoError(t, err)
		return r
	}
	// k3, k4 and k5 were loaded, k3 first: it is the least recently used.
	require.Equal(t, bankhook.Reserved, reserve("new").State) // evicts k3
	for _, key := range []string{"k5", "k4"} {
		r := reserve(key)
		assert.Equal(t, bankhook.Done, r.State, key)
		assert.Equal(t, http.StatusOK, r.Status, key)
	}
	assert.Equal(t, bankhook.Reserved, reserve("k3").State, "the oldest key loaded goes first")
	assert.Equal(t, bankhook.Reserved, reserve("ending").State, "beyond the capacity: not loaded")

	// The TTL counts from each line's received_at.
	store2 := bankhook.NewLRUStore(bankhook.LRUStoreOptions{Capacity: 10, Now: func() time.Time { return clock }})
	_, err = Warm(t.Context(), path, map[string]bankhook.Store{"bunq": store2}, WarmOptions{Now: func() time.Time { return now }})
	require.NoError(t, err)
	clock = now.Add(2 * time.Minute)
	r, err := store2.Reserve(t.Context(), "ending", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, bankhook.Reserved, r.State, "72 h after it was received, the key is forgotten")
	r, err = store2.Reserve(t.Context(), "k1", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, bankhook.Done, r.State)
}

// BenchmarkWarm measures serve's start with a large --out: 1,000,000 event
// lines as serve writes them (bunq MUTATION Payments, 4 KB each, and one
// line in twenty a bankHub transaction, 2 KB; 3.9 GB), all received within
// the 72 h TTL, read back into two LRUStores of the default capacity. The
// bankHub lines (50,000) do not fill their store, so the whole file is
// read: every line's first fields, and the 150,000 loaded lines in full.
// The file is written once, before the timer starts, and is in the page
// cache, as after a restart of the process (not of the machine).
func BenchmarkWarm(b *testing.B) {
	const n = 1_000_000
	now := time.Now()
	bunqLine := newLineTemplate(b, "bunq", "MUTATION", "2938471")
	hubLine := newLineTemplate(b, "bankhub", "TRANSACTIONS_DEFAULT_UPDATE", "9e0f1a2b3c4d")
	path := filepath.Join(b.TempDir(), "events.jsonl")
	size := writeFile(b, path, n, func(buf []byte, i int) []byte {
		at := now.Add(-time.Duration(n-i) * 200 * time.Millisecond) // 56 h
		if i%20 == 0 {
			return hubLine.append(buf, i, at)
		}
		return bunqLine.append(buf, i, at)
	})
	b.SetBytes(size)
	b.ReportAllocs()
	cpu0 := cpuTime(b)
	for b.Loop() {
		stores := map[string]bankhook.Store{"bunq": bankhook.NewLRUStore(bankhook.LRUStoreOptions{}), "bankhub": bankhook.NewLRUStore(bankhook.LRUStoreOptions{})}
		w, err := Warm(context.Background(), path, stores, WarmOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if w.Lines != n || w.Loaded["bunq"] != bankhook.DefaultLRUCapacity || w.Loaded["bankhub"] != n/20 {
			b.Fatalf("read %d lines, loaded %v", w.Lines, w.Loaded)
		}
	}
	b.ReportMetric(float64(n), "lines/op")
	// CPU time stays meaningful when other processes share the machine.
	b.ReportMetric((cpuTime(b)-cpu0).Seconds()/float64(b.N), "cpu-s/op")
}
