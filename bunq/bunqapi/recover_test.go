package bunqapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook/bunq"
	"github.com/bankhook/bankhook/bunq/bunqapi"
	"github.com/bankhook/bankhook/bunq/bunqtest"
)

func TestNewRecovererErrors(t *testing.T) {
	_, err := bunqapi.NewRecoverer(nil, bunqapi.RecoverOptions{})
	assert.ErrorContains(t, err, "no client")
	srv := standIn(t, bunqtest.Options{})
	c, _ := setup(t, srv, bunqapi.Options{})
	_, err = bunqapi.NewRecoverer(c, bunqapi.RecoverOptions{Interval: 10 * time.Millisecond})
	assert.ErrorContains(t, err, "want at least 1s")
	_, err = bunqapi.NewRecoverer(c, bunqapi.RecoverOptions{})
	assert.NoError(t, err)
}

// failN has n MUTATION callbacks of u, for payments 1..n, fail for good.
func failN(t *testing.T, srv *bunqtest.Server, u bunqtest.User, categories []bunq.Category, n int) {
	t.Helper()
	var filters []bunq.NotificationFilterURL
	for _, c := range categories {
		filters = append(filters, bunq.NotificationFilterURL{Category: c, NotificationTarget: "https://127.0.0.1:1/down"})
	}
	require.NoError(t, srv.SetFilters(u.ID, 0, filters))
	for i := range n {
		_, err := srv.Pay(u.AccountID, "-1.00", "x")
		require.NoError(t, err, i)
	}
	srv.Advance(bunq.RetrySchedule().Span())
}

func TestRecoverOnce(t *testing.T) {
	srv := standIn(t, bunqtest.Options{})
	c, u := setup(t, srv, bunqapi.Options{})
	failN(t, srv, u, []bunq.Category{bunq.CategoryMutation, bunq.CategoryPayment}, 120)
	require.Len(t, srv.Failures(u.ID), 240)

	r, err := bunqapi.NewRecoverer(c, bunqapi.RecoverOptions{
		Match: func(f bunq.NotificationFilterFailure) bool { return f.Category == bunq.CategoryMutation },
	})
	require.NoError(t, err)
	rec, err := r.RecoverOnce(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 240, rec.Listed)
	assert.Equal(t, 120, rec.Matched)
	assert.Equal(t, 120, rec.Resent)
	assert.Equal(t, 2, rec.Requests)
	assert.Len(t, rec.IDs, 120)
	left := srv.Failures(u.ID)
	assert.Len(t, left, 120, "the PAYMENT failures are left to someone else")
	for _, f := range left {
		assert.Equal(t, bunq.CategoryPayment, f.Category)
	}

	srv.SetSignatureMode(bunqtest.SignNone)
	rec, err = r.RecoverOnce(context.Background())
	require.ErrorIs(t, err, bunqapi.ErrSignature)
	assert.Zero(t, rec.Resent)
}

func TestRecovererRun(t *testing.T) {
	srv := standIn(t, bunqtest.Options{})
	logs := &logBuffer{}
	c, u := setup(t, srv, bunqapi.Options{})
	failN(t, srv, u, []bunq.Category{bunq.CategoryMutation}, 3)

	ticks := make(chan time.Time)
	r, err := bunqapi.NewRecoverer(c, bunqapi.RecoverOptions{Ticks: ticks, Logger: logs.logger()})
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- r.Run(context.Background()) }()
	waitLog := func(substr string, n int) {
		t.Helper()
		require.Eventually(t, func() bool { return strings.Count(logs.String(), substr) >= n }, 10*time.Second, 5*time.Millisecond, logs.String())
	}

	waitLog("re-sent failed callbacks", 1) // the first pass runs at once
	assert.Contains(t, logs.String(), "resent=3 requests=1 listed=3 ids=1…3")
	srv.Advance(bunq.RetrySchedule().Span()) // the target is still down: listed again
	require.Len(t, srv.Failures(u.ID), 3)

	srv.SetSignatureMode(bunqtest.SignTampered)
	ticks <- time.Now()
	waitLog("pass failed; trying again at the next interval", 1)
	assert.Len(t, srv.Failures(u.ID), 3, "nothing re-sent on a forged listing")

	srv.SetSignatureMode(bunqtest.SignBody)
	ticks <- time.Now()
	waitLog("re-sent failed callbacks", 2)
	assert.Empty(t, srv.Failures(u.ID))

	ticks <- time.Now() // nothing left: a quiet pass
	close(ticks)
	require.NoError(t, <-done)
	assert.Equal(t, 2, strings.Count(logs.String(), "re-sent failed callbacks"))
	assert.NotContains(t, logs.String(), "127.0.0.1:1", "no callback URL is logged")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r, err = bunqapi.NewRecoverer(c, bunqapi.RecoverOptions{Logger: discard})
	require.NoError(t, err)
	assert.True(t, errors.Is(r.Run(ctx), context.Canceled))
}

// TestRecoverOwnTargetOnly has callbacks fail for two targets, some of
// them long ago: a Recoverer re-sends only the young failures of its own
// target, leaves the other target's alone and logs the old ones' ids.
func TestRecoverOwnTargetOnly(t *testing.T) {
	srv := standIn(t, bunqtest.Options{})
	c, u := setup(t, srv, bunqapi.Options{})
	const own, other = "https://127.0.0.1:1/bunq?token=a", "https://127.0.0.1:2/bunq?token=b"
	require.NoError(t, srv.SetFilters(u.ID, 0, []bunq.NotificationFilterURL{
		{Category: bunq.CategoryMutation, NotificationTarget: own},
		{Category: bunq.CategoryMutation, NotificationTarget: other},
	}))
	pay := func(n int) {
		t.Helper()
		for i := range n {
			_, err := srv.Pay(u.AccountID, "-1.00", "x")
			require.NoError(t, err, i)
		}
		srv.Advance(bunq.RetrySchedule().Span())
	}
	pay(2) // old: created 73 h before the pass
	var old []int64
	for _, f := range srv.Failures(u.ID) {
		require.Contains(t, []string{own, other}, f.NotificationTarget, "the stand-in lists the URL the callback failed on")
		if f.NotificationTarget == own {
			old = append(old, f.ID)
		}
	}
	require.Len(t, old, 2)
	srv.Advance(73 * time.Hour)
	pay(3) // young
	require.Len(t, srv.Failures(u.ID), 10)

	logs := &logBuffer{}
	ticks := make(chan time.Time)
	r, err := bunqapi.NewRecoverer(c, bunqapi.RecoverOptions{
		Target: "HTTPS://127.0.0.1:1/bunq?token=a", // scheme and host are case-insensitive
		MaxAge: 72 * time.Hour, Now: srv.Now, Ticks: ticks, Logger: logs.logger(),
	})
	require.NoError(t, err)
	rec, err := r.RecoverOnce(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 10, rec.Listed)
	assert.Equal(t, 5, rec.OtherTarget)
	assert.Equal(t, 5, rec.Matched)
	assert.ElementsMatch(t, old, rec.TooOld)
	assert.Equal(t, 3, rec.Resent)
	assert.Equal(t, 1, rec.Requests)

	left := srv.Failures(u.ID)
	require.Len(t, left, 7)
	for _, f := range left {
		if f.NotificationTarget == own {
			assert.Contains(t, old, f.ID, "only the old failures of its own target are left")
		}
	}
	assert.Equal(t, 3, srv.Advance(0), "the re-sent callbacks are delivered, to its own target only")

	// A pass in Run logs the old failures' ids, once, at Warn, and no URL.
	done := make(chan error, 1)
	go func() { done <- r.Run(context.Background()) }()
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "nothing to re-send") }, 10*time.Second, 5*time.Millisecond, logs.String())
	close(ticks)
	require.NoError(t, <-done)
	line := logs.String()
	assert.Equal(t, 1, strings.Count(line, "older than the maximum age"), line)
	assert.Contains(t, line, "level=WARN msg=\"bunq recovery: not re-sending failed callbacks older than the maximum age")
	assert.Contains(t, line, fmt.Sprintf("too_old=2 max_age=72h0m0s ids=%d,%d", old[1], old[0]), "newest first")
	assert.Contains(t, line, "other_target=5")
	assert.NotContains(t, line, "127.0.0.1:", "no callback URL is logged")
	assert.NotContains(t, line, "token")
}

func TestNewRecovererTarget(t *testing.T) {
	srv := standIn(t, bunqtest.Options{})
	c, _ := setup(t, srv, bunqapi.Options{})
	for _, target := range []string{"example.com/bunq", "ftp://example.com/", "https:///bunq", "https://u:p@example.com/", "https://exa mple.com/?token=s3cret"} {
		t.Run(target, func(t *testing.T) {
			_, err := bunqapi.NewRecoverer(c, bunqapi.RecoverOptions{Target: target})
			require.ErrorContains(t, err, "bunqapi: RecoverOptions.Target")
			assert.NotContains(t, err.Error(), "s3cret", "the token is not quoted")
		})
	}
	_, err := bunqapi.NewRecoverer(c, bunqapi.RecoverOptions{MaxAge: -time.Hour})
	assert.ErrorContains(t, err, "MaxAge")
}

// TestRecoverStaleIDs: failures re-sent by someone else between the
// pass's listing and its re-send are left out and reported, logged and
// counted; the others are re-sent in the same pass.
func TestRecoverStaleIDs(t *testing.T) {
	srv := standIn(t, bunqtest.Options{})
	c, u := setup(t, srv, bunqapi.Options{})
	failN(t, srv, u, []bunq.Category{bunq.CategoryMutation}, 30)
	listed := srv.Failures(u.ID)
	require.Len(t, listed, 30)
	byHand := []int64{listed[4].ID, listed[20].ID}

	other, err := bunqapi.Load(saveTo(t, c), bunqapi.Options{Logger: discard})
	require.NoError(t, err)
	var once sync.Once
	hook := &hookTransport{before: func(_ int64, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/notification-filter-failure") {
			once.Do(func() { // a retry by hand, between the listing and the re-send
				_, err := other.RetryFailures(context.Background(), byHand)
				assert.NoError(t, err)
			})
		}
	}}
	racing, err := bunqapi.Load(saveTo(t, c), bunqapi.Options{HTTPClient: &http.Client{Transport: hook}, Logger: discard})
	require.NoError(t, err)
	logs := &logBuffer{}
	ticks := make(chan time.Time)
	r, err := bunqapi.NewRecoverer(racing, bunqapi.RecoverOptions{Ticks: ticks, Logger: logs.logger()})
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- r.Run(context.Background()) }()
	close(ticks)
	require.NoError(t, <-done)

	assert.Empty(t, srv.Failures(u.ID), "every failure re-sent, by hand or by the pass")
	assert.Equal(t, 30, srv.Pending())
	line := logs.String()
	assert.Contains(t, line, fmt.Sprintf("no longer listed by bunq (re-sent or re-delivered meanwhile); left out\" stale=2 ids=%d,%d", byHand[1], byHand[0]), line)
	assert.Contains(t, line, "re-sent failed callbacks\" resent=28")
	assert.Contains(t, line, "stale=2")

	t.Run("RecoverOnce returns them", func(t *testing.T) {
		srv.Advance(bunq.RetrySchedule().Span()) // the 30 fail again
		listed := srv.Failures(u.ID)
		require.Len(t, listed, 30)
		byHand = []int64{listed[0].ID}
		once = sync.Once{}
		rec, err := r.RecoverOnce(context.Background())
		require.NoError(t, err)
		assert.Equal(t, byHand, rec.Stale)
		assert.Equal(t, 29, rec.Resent)
		assert.Len(t, rec.IDs, 29)
		assert.NotContains(t, rec.IDs, byHand[0])
	})
}

// TestRecoverMatchSeesTheTarget: Match is given the failure's
// notification_target, as bunq lists it at the failure's top level.
func TestRecoverMatchSeesTheTarget(t *testing.T) {
	srv := standIn(t, bunqtest.Options{})
	c, u := setup(t, srv, bunqapi.Options{})
	const mine, theirs = "https://127.0.0.1:1/bunq?service=mine", "https://127.0.0.1:1/bunq?service=theirs"
	require.NoError(t, srv.SetFilters(u.ID, 0, []bunq.NotificationFilterURL{
		{Category: bunq.CategoryMutation, NotificationTarget: mine},
		{Category: bunq.CategoryMutation, NotificationTarget: theirs},
	}))
	for range 3 {
		_, err := srv.Pay(u.AccountID, "-1.00", "x")
		require.NoError(t, err)
	}
	srv.Advance(bunq.RetrySchedule().Span())
	require.Len(t, srv.Failures(u.ID), 6)

	var seen []string
	r, err := bunqapi.NewRecoverer(c, bunqapi.RecoverOptions{Match: func(f bunq.NotificationFilterFailure) bool {
		seen = append(seen, f.NotificationTarget)
		return strings.HasSuffix(f.NotificationTarget, "service=mine")
	}})
	require.NoError(t, err)
	rec, err := r.RecoverOnce(context.Background())
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{mine, mine, mine, theirs, theirs, theirs}, seen)
	assert.Equal(t, 3, rec.Resent)
	for _, f := range srv.Failures(u.ID) {
		assert.Equal(t, theirs, f.NotificationTarget, "the other service's failures are left alone")
	}
}
