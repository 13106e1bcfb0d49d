package bankhook

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Deadline gives the rest of the chain a context deadline d from now, so
// a slow handler gives up (and the bank retries) before the bank's own
// timeout counts the delivery as failed: bankHub waits 30 s, so 25 s
// leaves room to answer. d ≤ 0 sets no deadline.
//
// The handler's context behaves as one from context.WithTimeout, and is
// cancelled when the stage returns. It starts no timer, though, and does
// not register with its parent, until something waits on its Done channel:
// a handler that never does (most finish long before any deadline) costs
// one small allocation instead of a timer and a registration.
func Deadline(d time.Duration) Middleware {
	return func(next http.Handler) http.Handler {
		if d <= 0 {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var ctx *deadlineCtx
			if s := stateFrom(r.Context()); s != nil && !s.deadlineUsed {
				ctx, s.deadlineUsed = &s.deadline, true // the request's state has room for it
			} else {
				ctx = new(deadlineCtx)
			}
			ctx.parent, ctx.at = r.Context(), time.Now().Add(d)
			defer ctx.stop()
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

// deadlineCtx is context.WithDeadline(parent, at), made lazily: until
// Done is called, or Err or Value is asked after the deadline, or after
// the stage stopped it, it answers from the parent and the clock, which
// is what the real context would answer then. From that moment on it
// delegates to a real context made for the purpose (see made), so every
// answer afterwards — Done, Err, context.Cause through Value, propagation
// to children — is the standard library's own.
//
// It is safe for concurrent use, as a Context must be.
type deadlineCtx struct {
	parent context.Context
	at     time.Time

	inner   atomic.Pointer[madeCtx] // the real context, once made
	stopped atomic.Uint32           // why the stage stopped it: 0 (running), or a stopped… constant
	mu      sync.Mutex              // serialises making inner and stopping
}

// madeCtx is the real context a deadlineCtx delegates to once it exists.
type madeCtx struct {
	ctx    context.Context
	cancel context.CancelFunc // nil when ctx was made already cancelled
}

// What the real context would have been cancelled by when the stage
// stopped it.
const (
	stoppedByStage    = 1 + iota // the stage's cancel: context.Canceled
	stoppedByDeadline            // the deadline had passed: context.DeadlineExceeded
	stoppedByParent              // the parent was done: its error and cause
)

// Deadline returns the parent's deadline when it is earlier, else at, as
// context.WithDeadline does.
func (c *deadlineCtx) Deadline() (time.Time, bool) {
	if d, ok := c.parent.Deadline(); ok && d.Before(c.at) {
		return d, true
	}
	return c.at, true
}

// Done makes the real context and returns its Done channel.
func (c *deadlineCtx) Done() <-chan struct{} { return c.made().Done() }

// Err is nil while the parent is not done, the deadline has not passed
// and the stage has not returned; otherwise it is the real context's.
func (c *deadlineCtx) Err() error {
	if m := c.inner.Load(); m != nil {
		return m.ctx.Err()
	}
	if c.stopped.Load() != 0 || c.parent.Err() != nil || !time.Now().Before(c.at) {
		return c.made().Err()
	}
	return nil
}

// Value is the parent's value while the context is live; afterwards it
// is the real context's, so that context.Cause finds the real cause.
func (c *deadlineCtx) Value(key any) any {
	if _, ok := key.(stateKey); ok {
		return c.parent.Value(key) // bankhook's own key, asked on every stage: the same answer either way
	}
	if m := c.inner.Load(); m != nil {
		return m.ctx.Value(key)
	}
	if c.stopped.Load() != 0 || !time.Now().Before(c.at) {
		return c.made().Value(key)
	}
	return c.parent.Value(key)
}

// String names the context for debugging, as the standard contexts do.
func (c *deadlineCtx) String() string {
	return "bankhook.Deadline(" + c.at.String() + ")"
}

// made returns the real context, making it on first use: a running
// context gets its timer and its registration with the parent now; a
// stopped one is made in the state the real one would have been left in.
func (c *deadlineCtx) made() context.Context {
	if m := c.inner.Load(); m != nil {
		return m.ctx
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if m := c.inner.Load(); m != nil {
		return m.ctx
	}
	m := new(madeCtx)
	switch c.stopped.Load() {
	case 0, stoppedByParent:
		// Running: the real thing. Stopped by the parent: the parent
		// stays done, so the new context is born cancelled with the
		// parent's error and cause, with no timer.
		m.ctx, m.cancel = context.WithDeadline(c.parent, c.at)
	case stoppedByDeadline:
		// The deadline has passed: born cancelled with
		// context.DeadlineExceeded, whatever the parent does later.
		m.ctx, m.cancel = context.WithDeadline(context.WithoutCancel(c.parent), c.at)
	default: // stoppedByStage
		var cancel context.CancelFunc
		m.ctx, cancel = context.WithCancel(context.WithoutCancel(c.parent))
		cancel()
	}
	c.inner.Store(m)
	return m.ctx
}

// stop is the stage's cancel: it cancels the real context if there is
// one, and otherwise records what the real one would have been cancelled
// by, for a caller that asks later.
func (c *deadlineCtx) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if m := c.inner.Load(); m != nil {
		if m.cancel != nil {
			m.cancel()
		}
		return
	}
	switch {
	case c.parent.Err() != nil:
		c.stopped.Store(stoppedByParent)
	case !time.Now().Before(c.at):
		c.stopped.Store(stoppedByDeadline)
	default:
		c.stopped.Store(stoppedByStage)
	}
}
