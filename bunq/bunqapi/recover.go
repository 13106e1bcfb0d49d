package bunqapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/bankhook/bankhook/bunq"
)

// DefaultRecoverInterval is how often a [Recoverer] looks for failed
// callbacks unless told otherwise: bunq gives a callback up about five
// minutes after its first attempt.
const DefaultRecoverInterval = 5 * time.Minute

// MinRecoverInterval is the shortest interval a Recoverer accepts: bunq
// allows a few calls per endpoint per 3 seconds.
const MinRecoverInterval = time.Second

// RecoverOptions configures [NewRecoverer]. The zero value re-sends every
// failed callback every [DefaultRecoverInterval].
type RecoverOptions struct {
	// Interval is the time between the starts of two passes; each pass
	// must end within it. At least [MinRecoverInterval]. Default
	// [DefaultRecoverInterval].
	Interval time.Duration
	// Ticks, when set, starts a pass on each value received instead of
	// every Interval, and Run returns nil when it is closed: a test's
	// clock, or a scheduler of your own. Passes then have no time limit
	// but the context's.
	Ticks <-chan time.Time
	// Match selects the failures to re-send, for a bunq user whose
	// callbacks go to several services: return false for the ones another
	// service recovers. It must be safe for concurrent use. Default: all.
	Match func(bunq.NotificationFilterFailure) bool
	// Logger receives a line per pass that re-sent something or failed,
	// never a secret or a callback URL. Default slog.Default().
	Logger *slog.Logger
}

// Recovery is what one pass of a [Recoverer] did; the zero value is a
// pass that found nothing. A plain value.
type Recovery struct {
	Listed   int     // the failed callbacks bunq listed
	Matched  int     // those RecoverOptions.Match selected
	Resent   int     // those bunq accepted to send again
	Requests int     // the re-send requests bunq accepted, 100 ids at most each
	IDs      []int64 // the ids of the failures re-sent, newest first
}

// Recoverer re-sends the callbacks bunq gave up on. bunq tries a callback
// six times over five minutes and then only lists it under
// notification-filter-failure; a receiver down for longer (a bad deploy,
// a database outage) loses those events unless someone re-sends them.
// Run does that every interval, in the process of your choice: beside
// the receiver, or apart from it. bunq delivers the re-sent callbacks to
// the URLs they failed on, and a receiver with dedupe (bunq.NewReceiver
// has it) handles an event that did get through before only once.
//
// A pass lists every failure and re-sends them in requests of 100 ids. A
// pass that fails (bunq unreachable, a bad signature) is logged and the
// next pass tries again; the receiver never waits on it.
//
// The zero value is not usable; build one with NewRecoverer. A Recoverer
// is safe for concurrent use; it starts no goroutine of its own.
type Recoverer struct {
	c *Client
	o RecoverOptions
}

// NewRecoverer returns a Recoverer re-sending c's failed callbacks.
func NewRecoverer(c *Client, o RecoverOptions) (*Recoverer, error) {
	if c == nil {
		return nil, errors.New("bunqapi: NewRecoverer: no client")
	}
	switch {
	case o.Interval == 0:
		o.Interval = DefaultRecoverInterval
	case o.Interval < MinRecoverInterval:
		return nil, fmt.Errorf("bunqapi: RecoverOptions.Interval %v: want at least %v", o.Interval, MinRecoverInterval)
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Recoverer{c: c, o: o}, nil
}

// Run makes a pass at once, then one every interval (or on every tick),
// until ctx ends; it returns ctx's error then, or nil when
// RecoverOptions.Ticks is closed. Passes never overlap. A failed pass is
// logged, not returned.
func (r *Recoverer) Run(ctx context.Context) error {
	var ticks <-chan time.Time
	if r.o.Ticks != nil {
		ticks = r.o.Ticks
	} else {
		t := time.NewTicker(r.o.Interval)
		defer t.Stop()
		ticks = t.C
	}
	for {
		r.pass(ctx)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case _, ok := <-ticks:
			if !ok {
				return nil
			}
		}
	}
}

// pass runs RecoverOnce within the interval and logs what it did.
func (r *Recoverer) pass(ctx context.Context) {
	if ctx.Err() != nil {
		return
	}
	if r.o.Ticks == nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.o.Interval)
		defer cancel()
	}
	rec, err := r.RecoverOnce(ctx)
	switch {
	case err != nil:
		r.o.Logger.Warn("bunq recovery: pass failed; trying again at the next interval",
			"listed", rec.Listed, "resent", rec.Resent, "err", err)
	case rec.Resent > 0:
		r.o.Logger.Info("bunq recovery: re-sent failed callbacks",
			"resent", rec.Resent, "requests", rec.Requests, "listed", rec.Listed, "ids", idRange(rec.IDs))
	default:
		r.o.Logger.Debug("bunq recovery: nothing to re-send", "listed", rec.Listed)
	}
}

// RecoverOnce makes one pass: it lists the failed callbacks and has bunq
// send the matching ones again. It returns what it did, also when it
// fails part way (the failures re-sent before the error).
func (r *Recoverer) RecoverOnce(ctx context.Context) (Recovery, error) {
	failures, err := r.c.ListFailures(ctx)
	if err != nil {
		return Recovery{}, err
	}
	rec := Recovery{Listed: len(failures)}
	for _, f := range failures {
		if r.o.Match == nil || r.o.Match(f) {
			rec.IDs = append(rec.IDs, f.ID)
		}
	}
	rec.Matched = len(rec.IDs)
	if rec.Matched == 0 {
		rec.IDs = nil
		return rec, nil
	}
	rec.Resent, err = r.c.RetryFailures(ctx, rec.IDs)
	rec.Requests = (rec.Resent + bunq.MaxRetryFailures - 1) / bunq.MaxRetryFailures
	rec.IDs = rec.IDs[:rec.Resent]
	return rec, err
}

// idRange describes ids compactly for a log line: "17…25", or "17".
func idRange(ids []int64) string {
	if len(ids) == 0 {
		return ""
	}
	lo, hi := slices.Min(ids), slices.Max(ids)
	var b strings.Builder
	fmt.Fprintf(&b, "%d", lo)
	if hi != lo {
		fmt.Fprintf(&b, "…%d", hi)
	}
	return b.String()
}
