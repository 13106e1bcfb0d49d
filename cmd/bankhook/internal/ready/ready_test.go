package ready

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// part is a check whose state the test sets.
type part struct {
	mu    sync.Mutex // guards err
	err   error
	calls atomic.Int32
}

func (p *part) set(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.err = err
}

func (p *part) check(context.Context) error {
	p.calls.Add(1)
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

func get(c *Checker) (int, string) {
	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	return rec.Code, rec.Body.String()
}

func TestChecker(t *testing.T) {
	var logs bytes.Buffer
	redis, output := &part{}, &part{}
	now := time.Unix(1e9, 0)
	c := newChecker(slog.New(slog.NewTextHandler(&logs, nil)), func() time.Time { return now },
		Check{"redis", redis.check}, Check{"output", output.check})
	status, body := get(c)
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "ready\n", body)

	redis.set(errors.New("dial tcp 10.0.0.7:6379: connection refused"))
	now = now.Add(CacheFor)
	status, body = get(c)
	assert.Equal(t, http.StatusServiceUnavailable, status)
	assert.Equal(t, "not ready: redis\n", body, "the part's name, never its error")
	assert.Contains(t, logs.String(), `msg="not ready" failing=redis redis="dial tcp 10.0.0.7:6379: connection refused"`)

	output.set(errors.New("no space left on device"))
	now = now.Add(CacheFor)
	_, body = get(c)
	assert.Equal(t, "not ready: redis, output\n", body)

	// Within CacheFor the result is reused: a flood of checks costs one.
	calls := redis.calls.Load()
	for range 100 {
		get(c)
	}
	assert.Equal(t, calls, redis.calls.Load())

	redis.set(nil)
	output.set(nil)
	now = now.Add(CacheFor)
	status, _ = get(c)
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, logs.String(), `msg="ready again"`)
}

func TestCheckerNotReadyAtStart(t *testing.T) {
	var logs bytes.Buffer
	c := New(slog.New(slog.NewTextHandler(&logs, nil)), Check{"output", func(context.Context) error { return errors.New("closed") }})
	status, _ := get(c)
	require.Equal(t, http.StatusServiceUnavailable, status)
	assert.Contains(t, logs.String(), "not ready")
}
