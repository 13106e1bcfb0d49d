// Package ready answers serve's readiness check, GET /readyz: 200 while
// every part an event needs can be used (the dedupe store, the output),
// 503 naming the parts that cannot.
package ready

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Defaults of a Checker.
const (
	// CacheFor is how long a result is reused: a flood of /readyz
	// requests costs one round trip to Redis a second, not one each.
	CacheFor = time.Second
	// Timeout bounds each check.
	Timeout = 2 * time.Second
)

// Check is one part readiness depends on.
type Check struct {
	Name string                          // what the answer and the log call it: "redis", "output"
	Func func(ctx context.Context) error // nil when the part can be used
}

// Checker runs its checks at most once per CacheFor and answers /readyz
// from the result. While one request runs the checks, others get the
// previous result rather than wait. State changes are logged, with the
// error; the answer names the failing parts only, never their errors.
//
// A Checker is safe for concurrent use. The zero value is not usable; use
// [New].
type Checker struct {
	checks []Check
	logger *slog.Logger
	now    func() time.Time

	running sync.Mutex // held while the checks run

	mu      sync.Mutex // guards checked and failing
	checked time.Time
	failing []string // names of the failing checks; nil when ready
}

// New returns a Checker of checks that logs through logger, and runs the
// checks once.
func New(logger *slog.Logger, checks ...Check) *Checker {
	return newChecker(logger, time.Now, checks...)
}

func newChecker(logger *slog.Logger, now func() time.Time, checks ...Check) *Checker {
	c := &Checker{checks: checks, logger: logger, now: now}
	c.run(context.Background(), true)
	return c
}

// Failing returns the names of the parts that could not be used at the
// last check, rechecking if it is older than CacheFor; none when ready.
func (c *Checker) Failing(ctx context.Context) []string {
	c.mu.Lock()
	fresh := c.now().Sub(c.checked) < CacheFor
	failing := c.failing
	c.mu.Unlock()
	if fresh || !c.running.TryLock() {
		return failing
	}
	defer c.running.Unlock()
	return c.run(ctx, false)
}

// run runs every check and records the result. c.running must be held,
// unless first.
func (c *Checker) run(ctx context.Context, first bool) []string {
	var failing []string
	var errs []error
	for _, ch := range c.checks {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), Timeout)
		err := ch.Func(cctx)
		cancel()
		if err != nil {
			failing = append(failing, ch.Name)
			errs = append(errs, err)
		}
	}
	c.mu.Lock()
	was := c.failing
	c.failing, c.checked = failing, c.now()
	c.mu.Unlock()
	switch {
	case len(failing) > 0 && (first || strings.Join(failing, ",") != strings.Join(was, ",")):
		attrs := []any{"failing", strings.Join(failing, ",")}
		for i, err := range errs {
			attrs = append(attrs, failing[i], err.Error())
		}
		c.logger.Warn("not ready", attrs...)
	case len(failing) == 0 && len(was) > 0:
		c.logger.Info("ready again")
	}
	return failing
}

// ServeHTTP answers 200 "ready" or 503 "not ready: redis, output".
func (c *Checker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	if failing := c.Failing(r.Context()); len(failing) > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("not ready: " + strings.Join(failing, ", ") + "\n"))
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}
