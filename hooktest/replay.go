package hooktest

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bankhook/bankhook"
)

// ReplayOptions configures [Replay] and [ReplayURL]. The zero value sends
// each event once at the start of a fresh clock, from one sender, with up
// to GOMAXPROCS attempts in flight, each bounded by the policy's Timeout.
type ReplayOptions struct {
	// Clock is the fake time attempts are scheduled on. Replay moves it
	// forward to each scheduled attempt; give the same Clock to the
	// receiver's dedupe store and rate limiter. Default: a new Clock at
	// [Epoch]().
	Clock *Clock
	// Workers bounds the attempts in flight at once. Default
	// runtime.GOMAXPROCS(0).
	Workers int
	// Senders returns how many senders deliver event i (the index in the
	// replayed set). Each sends the same delivery at the same moment and
	// retries on its own schedule, as a bank that delivers one event
	// twice does. Default (nil, or a result below 1): one.
	Senders func(i int) int
	// Spacing is the time between the first deliveries of consecutive
	// events: event i is first sent at the start plus i×Spacing. Default 0:
	// every event at the start.
	Spacing time.Duration
	// Timeout is how long an attempt may take before it counts as failed:
	// a deadline on the request's context, measured on the real clock (the
	// handler runs in real time) or, inside a testing/synctest bubble, on
	// the bubble's. Default: the policy's Timeout; with both zero, or a
	// negative Timeout, attempts have no deadline. Set it shorter than
	// the policy's to keep tests of hanging handlers fast.
	Timeout time.Duration
	// Client sends ReplayURL's requests. Default http.DefaultClient.
	// Replay does not use it.
	Client *http.Client
}

// Replay delivers ds to h in-process under policy p, as the bank would,
// and reports what became of each delivery.
//
// Every sender of an event sends its first attempt at the scheduled time;
// an attempt that is not acknowledged (any status outside 2xx, no answer,
// or an answer later than the timeout) is sent again after the policy's
// next delay, until one is acknowledged or the policy's attempts are
// used up. Attempts happen on o.Clock, which Replay advances from one
// scheduled time to the next without sleeping; the attempts due at the
// same time run concurrently on up to o.Workers goroutines, and the clock
// moves on only when all of them have returned, so fake time stands still
// while handlers run. A handler that answers after its deadline is waited
// for, and counted as failed.
//
// A panic that escapes h is recovered and counted as no answer, as
// net/http would close the connection. Replay does not call h after ctx
// ends: it returns the report so far with ctx's error. Other errors name
// an invalid policy, delivery or option before anything is sent.
func Replay(ctx context.Context, h http.Handler, p bankhook.RetryPolicy, ds []*Delivery, o ReplayOptions) (*Report, error) {
	if h == nil {
		return nil, errors.New("hooktest: Replay needs a handler")
	}
	for i, d := range ds {
		if d == nil {
			return nil, fmt.Errorf("%w at index %d", errNilDelivery, i)
		}
		if _, _, err := d.parse(); err != nil {
			return nil, err
		}
	}
	return replay(ctx, p, ds, o, func(ctx context.Context, d *Delivery) answer { return serveInProcess(ctx, h, d) })
}

// ReplayURL is [Replay] over the network: each attempt is a request from
// o.Client to target joined with the delivery's path and query
// (ReplayURL(ctx, srv.URL, …) sends a delivery to "/bunq?token=x" to
// srv.URL+"/bunq?token=x"). The receiver sees the real peer address, not
// the delivery's RemoteAddr. A request that fails or passes the timeout
// counts as no answer.
func ReplayURL(ctx context.Context, target string, p bankhook.RetryPolicy, ds []*Delivery, o ReplayOptions) (*Report, error) {
	base, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("hooktest: replay target: %w", err)
	}
	if base.Scheme != "http" && base.Scheme != "https" || base.Host == "" {
		return nil, fmt.Errorf("hooktest: replay target %q is not an http or https URL", target)
	}
	for i, d := range ds {
		if d == nil {
			return nil, fmt.Errorf("%w at index %d", errNilDelivery, i)
		}
		if _, err := d.clientRequest(context.Background(), base); err != nil {
			return nil, err
		}
	}
	client := o.Client
	if client == nil {
		client = http.DefaultClient
	}
	return replay(ctx, p, ds, o, func(ctx context.Context, d *Delivery) answer { return sendOverNetwork(ctx, client, base, d) })
}

// errNotSent marks an attempt skipped because the replay's context ended.
var errNotSent = errors.New("hooktest: not sent")

// answer is what one attempt got back.
type answer struct {
	status   int
	replayed bool
	err      error
}

func serveInProcess(ctx context.Context, h http.Handler, d *Delivery) (a answer) {
	r, err := d.NewRequest(ctx)
	if err != nil {
		return answer{err: err}
	}
	defer func() {
		if p := recover(); p != nil {
			a = answer{err: fmt.Errorf("hooktest: handler panicked: %v", p)}
		}
	}()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	res := w.Result()
	return answer{status: res.StatusCode, replayed: isReplayed(res.Header)}
}

func sendOverNetwork(ctx context.Context, c *http.Client, base *url.URL, d *Delivery) answer {
	r, err := d.clientRequest(ctx, base)
	if err != nil {
		return answer{err: err}
	}
	res, err := c.Do(r)
	if err != nil {
		return answer{err: err}
	}
	defer res.Body.Close()
	// Drain a little so the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	return answer{status: res.StatusCode, replayed: isReplayed(res.Header)}
}

func isReplayed(h http.Header) bool {
	v, _ := strconv.ParseBool(h.Get(bankhook.HeaderIdempotentReplayed))
	return v
}

// due is an attempt waiting for its time.
type due struct {
	at     time.Time
	seq    uint64 // order of scheduling, among attempts due at the same time
	event  int
	sender int
	n      int // attempt number for the sender, from 1
}

// schedule is a min-heap of attempts by time, then scheduling order.
type schedule []due

func (s schedule) Len() int { return len(s) }
func (s schedule) Less(i, j int) bool {
	if !s[i].at.Equal(s[j].at) {
		return s[i].at.Before(s[j].at)
	}
	return s[i].seq < s[j].seq
}
func (s schedule) Swap(i, j int) { s[i], s[j] = s[j], s[i] }
func (s *schedule) Push(x any)   { *s = append(*s, x.(due)) }
func (s *schedule) Pop() any {
	old := *s
	x := old[len(old)-1]
	*s = old[:len(old)-1]
	return x
}

// replay is Replay and ReplayURL once their deliveries are checked: it
// moves the clock from one scheduled time to the next, makes the attempts
// due with do, and records their answers.
func replay(ctx context.Context, p bankhook.RetryPolicy, ds []*Delivery, o ReplayOptions, do func(context.Context, *Delivery) answer) (*Report, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("hooktest: %w", err)
	}
	o, err := o.withDefaults(p)
	if err != nil {
		return nil, err
	}
	run := startReplay(p, ds, o)
	var batch []due
	for run.sched.Len() > 0 {
		if err := ctx.Err(); err != nil {
			run.rep.total()
			return run.rep, err
		}
		now := o.Clock.advanceTo(run.sched[0].at)
		batch = run.takeDue(batch[:0], now)
		got := runBatch(ctx, batch, o.Workers, o.Timeout, ds, do)
		run.rep.End = now
		run.record(batch, got, now)
	}
	run.rep.total()
	return run.rep, ctx.Err()
}

// withDefaults checks o and returns it with its defaults filled in: a new
// Clock, GOMAXPROCS workers, and the policy's timeout.
func (o ReplayOptions) withDefaults(p bankhook.RetryPolicy) (ReplayOptions, error) {
	if o.Workers < 0 {
		return o, fmt.Errorf("hooktest: negative Workers %d", o.Workers)
	}
	if o.Spacing < 0 {
		return o, fmt.Errorf("hooktest: negative Spacing %v", o.Spacing)
	}
	if o.Clock == nil {
		o.Clock = new(Clock)
	}
	if o.Workers == 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.Timeout == 0 {
		o.Timeout = p.Timeout
	}
	return o, nil
}

// replayRun is a replay under way: the attempts still due, and the report
// so far.
type replayRun struct {
	policy bankhook.RetryPolicy
	sched  schedule
	seq    uint64 // the next attempt's place in the order of scheduling
	rep    *Report
	trying []int // senders of each event still trying
}

// startReplay starts the report of a replay of ds at o.Clock's time, and
// schedules every sender's first attempt at each event's time (the start
// plus its index times o.Spacing).
func startReplay(p bankhook.RetryPolicy, ds []*Delivery, o ReplayOptions) *replayRun {
	start := o.Clock.Now()
	run := &replayRun{
		policy: p,
		rep:    &Report{Policy: p.Name, Start: start, End: start, Events: make([]EventReport, len(ds))},
		trying: make([]int, len(ds)),
	}
	for i, d := range ds {
		senders := 1
		if o.Senders != nil {
			senders = max(o.Senders(i), 1)
		}
		label := d.Label
		if label == "" {
			label = strconv.Itoa(i)
		}
		run.rep.Events[i] = EventReport{Index: i, Label: label, Senders: senders}
		run.trying[i] = senders
		at := start.Add(time.Duration(i) * o.Spacing)
		for s := range senders {
			run.push(due{at: at, event: i, sender: s, n: 1})
		}
	}
	return run
}

// push schedules an attempt, after those already scheduled for the same
// time.
func (run *replayRun) push(x due) {
	x.seq = run.seq
	run.seq++
	heap.Push(&run.sched, x)
}

// takeDue appends to batch, and takes off the schedule, every attempt due
// at or before now, in order.
func (run *replayRun) takeDue(batch []due, now time.Time) []due {
	for run.sched.Len() > 0 && !run.sched[0].at.After(now) {
		batch = append(batch, heap.Pop(&run.sched).(due))
	}
	return batch
}

// record adds to the report the attempts of batch made at now, with the
// answers got, and schedules the retry of each one that failed while the
// policy has attempts left. An event whose senders have all stopped
// without an acknowledgement is marked as given up.
func (run *replayRun) record(batch []due, got []Attempt, now time.Time) {
	for j, x := range batch {
		a := got[j]
		if errors.Is(a.Err, errNotSent) {
			continue // ctx ended first; the replay stops
		}
		a.Sender, a.N, a.At = x.sender, x.n, now
		e := &run.rep.Events[x.event]
		e.Attempts = append(e.Attempts, a)
		switch {
		case a.Acknowledged():
			if !e.Acknowledged {
				e.Acknowledged, e.AcknowledgedAt = true, now
			}
			run.trying[x.event]--
		case x.n < run.policy.Attempts():
			run.push(due{at: now.Add(run.policy.Delays[x.n-1]), event: x.event, sender: x.sender, n: x.n + 1})
		default:
			run.trying[x.event]--
		}
		if run.trying[x.event] == 0 && !e.Acknowledged {
			e.GaveUp = true
		}
	}
}

// runBatch makes the attempts of one batch on up to workers goroutines and
// returns their answers in batch order. Attempts not started when ctx ends
// are answered with errNotSent.
func runBatch(ctx context.Context, batch []due, workers int, timeout time.Duration, ds []*Delivery, do func(context.Context, *Delivery) answer) []Attempt {
	got := make([]Attempt, len(batch))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, len(batch)) {
		wg.Go(func() {
			for {
				j := int(next.Add(1) - 1)
				if j >= len(batch) {
					return
				}
				got[j] = makeAttempt(ctx, timeout, ds[batch[j].event], do)
			}
		})
	}
	wg.Wait()
	return got
}

func makeAttempt(ctx context.Context, timeout time.Duration, d *Delivery, do func(context.Context, *Delivery) answer) Attempt {
	if ctx.Err() != nil {
		return Attempt{Err: errNotSent}
	}
	var cancel context.CancelFunc
	if timeout > 0 {
		ctx, cancel = context.WithTimeoutCause(ctx, timeout, ErrTimeout)
	} else {
		ctx, cancel = context.WithCancel(ctx)
	}
	defer cancel()
	a := do(ctx, d)
	err := a.err
	if errors.Is(context.Cause(ctx), ErrTimeout) {
		err = ErrTimeout
	}
	return Attempt{Status: a.status, Replayed: a.replayed, Err: err}
}
