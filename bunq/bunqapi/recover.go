package bunqapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
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
// failed callback, of every target and age, every [DefaultRecoverInterval].
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
	// Target, when set, is the callback URL whose failures this
	// Recoverer re-sends (the URL given to bunq's notification filters):
	// failures whose [bunq.NotificationFilterFailure.Target] is another
	// URL, or unknown, are left alone, for the receiver they belong to,
	// and only counted (Recovery.OtherTarget). URLs are compared with
	// scheme and host case-insensitive and the rest (port, path, query
	// with its token) exactly: https://Example.com/bunq?token=a is
	// https://example.com/bunq?token=a, but not
	// https://example.com:443/bunq?token=a, https://example.com/bunq/ or
	// https://example.com/bunq?token=b. An absolute http or https URL.
	// Default "": failures of every target.
	Target string
	// MaxAge, when positive, keeps failures created longer ago than it
	// (on Now) from being re-sent: set it below the receiver's dedupe TTL,
	// since a re-sent callback whose event was handled before the TTL
	// ended would be handled again. A failure without a created time
	// counts as too old. Each pass logs the ids of these, once, at Warn,
	// and returns them (Recovery.TooOld), for someone to re-send by hand
	// those that were never handled. Default 0: no limit.
	MaxAge time.Duration
	// Now is the clock MaxAge is measured on: a test's, such as a
	// bunqtest.Server's Now. It must be safe for concurrent use. Default
	// time.Now.
	Now func() time.Time
	// Match selects the failures to re-send among those of Target, for
	// a bunq user whose callbacks go to several services: return false for
	// the ones another service recovers. It must be safe for concurrent
	// use. Default: all.
	Match func(bunq.NotificationFilterFailure) bool
	// Logger receives a line per pass that re-sent something, failed,
	// found failures older than MaxAge or met stale ids (Recovery.Stale),
	// never a secret or a callback URL.
	// Default slog.Default().
	Logger *slog.Logger
}

// Recovery is what one pass of a [Recoverer] did; the zero value is a
// pass that found nothing. A plain value.
type Recovery struct {
	Listed      int     // the failed callbacks bunq listed
	OtherTarget int     // those of a target other than RecoverOptions.Target, left alone
	Matched     int     // those of the target that RecoverOptions.Match selected, too old ones included
	TooOld      []int64 // the ids of the matched failures older than RecoverOptions.MaxAge, not re-sent, newest first
	Resent      int     // those bunq accepted to send again
	Requests    int     // the re-send requests bunq accepted, 100 ids at most each
	IDs         []int64 // the ids of the failures re-sent, newest first
	Stale       []int64 // the ids bunq no longer listed when re-sent (re-sent or re-delivered meanwhile), newest first
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
// A pass lists every failure and re-sends those of its target
// (RecoverOptions.Target) that are young enough (MaxAge), in requests of
// 100 ids. A pass that fails (bunq unreachable, a bad signature) is logged and the
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
	if o.Target != "" {
		if _, _, err := splitTarget(o.Target); err != nil {
			return nil, fmt.Errorf("bunqapi: RecoverOptions.Target: %w", err)
		}
	}
	if o.MaxAge < 0 {
		return nil, fmt.Errorf("bunqapi: RecoverOptions.MaxAge %v: negative", o.MaxAge)
	}
	if o.Now == nil {
		o.Now = time.Now
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
	if len(rec.TooOld) > 0 {
		r.o.Logger.Warn("bunq recovery: not re-sending failed callbacks older than the maximum age; re-send by hand those never handled",
			"too_old", len(rec.TooOld), "max_age", r.o.MaxAge, "ids", joinIDs(rec.TooOld))
	}
	if len(rec.Stale) > 0 {
		r.o.Logger.Info("bunq recovery: failed callbacks no longer listed by bunq (re-sent or re-delivered meanwhile); left out",
			"stale", len(rec.Stale), "ids", joinIDs(rec.Stale))
	}
	switch {
	case err != nil:
		r.o.Logger.Warn("bunq recovery: pass failed; trying again at the next interval",
			"listed", rec.Listed, "resent", rec.Resent, "stale", len(rec.Stale), "err", err)
	case rec.Resent > 0:
		r.o.Logger.Info("bunq recovery: re-sent failed callbacks",
			"resent", rec.Resent, "requests", rec.Requests, "listed", rec.Listed, "ids", idRange(rec.IDs),
			"other_target", rec.OtherTarget, "too_old", len(rec.TooOld), "stale", len(rec.Stale))
	default:
		r.o.Logger.Debug("bunq recovery: nothing to re-send", "listed", rec.Listed,
			"other_target", rec.OtherTarget, "too_old", len(rec.TooOld), "stale", len(rec.Stale))
	}
}

// RecoverOnce makes one pass: it lists the failed callbacks and has bunq
// send again those of RecoverOptions.Target that Match selects and that
// are not older than MaxAge. Those bunq no longer lists by the time they
// are re-sent (stale: another pass or a retry by hand re-sent them
// meanwhile) are left out and returned in Recovery.Stale; the others are
// re-sent all the same (see [Client.RetryFailures]). It returns what it
// did, also when it fails part way (the failures re-sent before the
// error).
func (r *Recoverer) RecoverOnce(ctx context.Context) (Recovery, error) {
	failures, err := r.c.ListFailures(ctx)
	if err != nil {
		return Recovery{}, err
	}
	now := r.o.Now()
	rec := Recovery{Listed: len(failures)}
	for _, f := range failures {
		if r.o.Target != "" && !sameTarget(f.Target(), r.o.Target) {
			rec.OtherTarget++
			continue
		}
		if r.o.Match != nil && !r.o.Match(f) {
			continue
		}
		rec.Matched++
		if r.o.MaxAge > 0 && (f.Created.IsZero() || now.Sub(f.Created.Time) > r.o.MaxAge) {
			rec.TooOld = append(rec.TooOld, f.ID)
			continue
		}
		rec.IDs = append(rec.IDs, f.ID)
	}
	if len(rec.IDs) == 0 {
		rec.IDs = nil
		return rec, nil
	}
	res, err := r.c.RetryFailures(ctx, rec.IDs)
	rec.IDs, rec.Stale = res.Resent, res.Stale
	rec.Resent, rec.Requests = len(res.Resent), res.Requests
	return rec, err
}

// splitTarget splits an absolute http or https URL into its scheme and
// authority, lower-cased, and the rest, as written. Its errors never
// quote the URL, whose query holds a token.
func splitTarget(target string) (origin, rest string, err error) {
	scheme, after, ok := strings.Cut(target, "://")
	if !ok || !strings.EqualFold(scheme, "https") && !strings.EqualFold(scheme, "http") {
		return "", "", errors.New("not an absolute http or https URL")
	}
	end := strings.IndexAny(after, "/?#")
	if end < 0 {
		end = len(after)
	}
	authority := after[:end]
	if authority == "" || strings.Contains(authority, "@") {
		return "", "", errors.New("want a host, and no user information")
	}
	if _, err := url.Parse(target); err != nil {
		return "", "", errors.New("malformed URL")
	}
	return strings.ToLower(scheme) + "://" + strings.ToLower(authority), after[end:], nil
}

// sameTarget reports whether the callback URLs a and b are the same:
// scheme and host (with the port) case-insensitive, the rest exact. A
// URL that is not an absolute http or https URL is no target's.
func sameTarget(a, b string) bool {
	oa, ra, err := splitTarget(a)
	if err != nil {
		return false
	}
	ob, rb, err := splitTarget(b)
	return err == nil && oa == ob && ra == rb
}

// joinIDs writes ids for a log line, comma-separated: "25,24,17".
func joinIDs(ids []int64) string {
	b := make([]byte, 0, len(ids)*8)
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(b)
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
