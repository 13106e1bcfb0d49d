package bankhook

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ctxView is what a caller can observe of a context at one moment.
type ctxView struct {
	Err      error
	Cause    error
	Done     bool
	Deadline time.Time
	Value    any
}

type viewKey struct{}

// view observes ctx. Which method is asked first matters to a lazy
// context, so view can ask context.Cause (which goes through Value) or
// Err first.
func view(ctx context.Context, causeFirst bool) ctxView {
	var v ctxView
	if causeFirst {
		v.Cause, v.Err = context.Cause(ctx), ctx.Err()
	} else {
		v.Err, v.Cause = ctx.Err(), context.Cause(ctx)
	}
	v.Value = ctx.Value(viewKey{})
	v.Deadline, _ = ctx.Deadline()
	select {
	case <-ctx.Done():
		v.Done = true
	default:
	}
	return v
}

// lazyDeadline makes the context Deadline gives the handler, and the
// stage's cancel.
func lazyDeadline(parent context.Context, at time.Time) (context.Context, func()) {
	c := &deadlineCtx{parent: parent, at: at}
	return c, c.stop
}

// stdDeadline is what lazyDeadline must behave like.
func stdDeadline(parent context.Context, at time.Time) (context.Context, func()) {
	return context.WithDeadline(parent, at)
}

// deadlineScene is what a scenario step acts on.
type deadlineScene struct {
	ctx          context.Context
	stop         func()                  // the stage returns
	cancelParent context.CancelCauseFunc // the request ends
	views        []ctxView               // what was observed so far
}

type deadlineStep func(s *deadlineScene)

var errClientGone = errors.New("client went away")

func observeCauseFirst(s *deadlineScene) { s.views = append(s.views, view(s.ctx, true)) }
func observeErrFirst(s *deadlineScene)   { s.views = append(s.views, view(s.ctx, false)) }
func stopStage(s *deadlineScene)         { s.stop() }
func waitDone(s *deadlineScene)          { <-s.ctx.Done() }
func cancelParent(s *deadlineScene) {
	s.cancelParent(errClientGone)
	synctest.Wait() // any propagation goroutine has run
}
func sleep(d time.Duration) deadlineStep { return func(*deadlineScene) { time.Sleep(d) } }

// cancelParentWhileWaiting waits on Done while the parent is cancelled.
func cancelParentWhileWaiting(s *deadlineScene) {
	go func() {
		time.Sleep(time.Second)
		s.cancelParent(errClientGone)
	}()
	<-s.ctx.Done()
}

// children derives a context and an AfterFunc from the handler's context
// and observes the child once the stage has returned.
func children(s *deadlineScene) {
	c, cancel := context.WithCancel(s.ctx)
	defer cancel()
	fired := make(chan struct{})
	context.AfterFunc(s.ctx, func() { close(fired) })
	s.stop()
	<-c.Done()
	<-fired
	s.views = append(s.views, view(c, false))
}

// TestDeadlineContextMatchesStandard plays scenarios — the handler waits
// on Done or never does, finishes before or after the deadline, the
// parent is cancelled with a cause before or after, the caller keeps the
// context after the stage returned and asks it later, in either order —
// on bankhook's context and on context.WithDeadline's, in a synctest
// bubble so that both see the same clock, and requires the same
// observations.
func TestDeadlineContextMatchesStandard(t *testing.T) {
	tests := []struct {
		name  string
		steps []deadlineStep
	}{
		{"in time, never waits, asked while running", []deadlineStep{observeErrFirst, observeCauseFirst, sleep(time.Second), stopStage, observeErrFirst}},
		{"in time, never waits, cause asked after", []deadlineStep{sleep(time.Second), stopStage, observeCauseFirst, sleep(time.Hour), observeErrFirst}},
		{"in time, never waits, err asked after", []deadlineStep{stopStage, sleep(time.Hour), observeErrFirst}},
		{"waits past the deadline", []deadlineStep{waitDone, stopStage, observeErrFirst}},
		{"ignores the context past the deadline, cause asked", []deadlineStep{sleep(30 * time.Second), observeCauseFirst, stopStage, observeErrFirst}},
		{"ignores the context past the deadline, err asked", []deadlineStep{sleep(30 * time.Second), observeErrFirst, stopStage, observeCauseFirst}},
		{"returns late, cause asked after", []deadlineStep{sleep(30 * time.Second), stopStage, observeCauseFirst}},
		{"returns late, err asked after", []deadlineStep{sleep(30 * time.Second), stopStage, observeErrFirst}},
		{"parent cancelled mid-handler, asked", []deadlineStep{cancelParent, observeCauseFirst, stopStage, observeErrFirst}},
		{"parent cancelled mid-handler, cause asked after", []deadlineStep{cancelParent, stopStage, observeCauseFirst}},
		{"parent cancelled mid-handler, err asked after", []deadlineStep{cancelParent, stopStage, observeErrFirst}},
		{"parent cancelled after the stage returned", []deadlineStep{stopStage, cancelParent, observeCauseFirst}},
		{"parent cancelled while waiting", []deadlineStep{cancelParentWhileWaiting, stopStage, observeErrFirst}},
		{"children and AfterFunc end with the stage", []deadlineStep{children, observeCauseFirst}},
		{"asked after the deadline, then waits", []deadlineStep{sleep(26 * time.Second), observeCauseFirst, waitDone, stopStage, observeErrFirst}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := func(make func(context.Context, time.Time) (context.Context, func())) []ctxView {
				var views []ctxView
				synctest.Test(t, func(t *testing.T) {
					parent, cancel := context.WithCancelCause(context.WithValue(t.Context(), viewKey{}, "v"))
					defer cancel(nil)
					ctx, stop := make(parent, time.Now().Add(DefaultDeadline))
					defer stop()
					s := &deadlineScene{ctx: ctx, stop: stop, cancelParent: cancel}
					for _, step := range tt.steps {
						step(s)
					}
					views = s.views
				})
				return views
			}
			want := run(stdDeadline)
			require.NotEmpty(t, want)
			require.Equal(t, want, run(lazyDeadline))
		})
	}
}

// TestDeadlineParentEarlier: a parent with an earlier deadline keeps it.
func TestDeadlineParentEarlier(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		parent, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		ctx, stop := lazyDeadline(parent, time.Now().Add(DefaultDeadline))
		defer stop()
		d, ok := ctx.Deadline()
		assert.True(t, ok)
		want, _ := parent.Deadline()
		assert.Equal(t, want, d)
		<-ctx.Done()
		assert.ErrorIs(t, ctx.Err(), context.DeadlineExceeded)
	})
}

// TestDeadlineLazy: a handler that does not wait on Done starts no timer
// and leaves nothing registered with its parent.
func TestDeadlineLazy(t *testing.T) {
	c := &deadlineCtx{parent: context.Background(), at: time.Now().Add(time.Hour)}
	require.NoError(t, c.Err())
	assert.Nil(t, c.Value(viewKey{}))
	assert.Nil(t, c.Value(stateKey{}))
	assert.Nil(t, c.inner.Load(), "Err and Value before the deadline make nothing")
	c.stop()
	assert.Nil(t, c.inner.Load(), "stopping makes nothing")
	assert.ErrorIs(t, c.Err(), context.Canceled)
}
