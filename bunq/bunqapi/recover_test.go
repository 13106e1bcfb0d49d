package bunqapi_test

import (
	"context"
	"errors"
	"strings"
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
	srv.Advance(bunq.RetrySchedule.Span())
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
	srv.Advance(bunq.RetrySchedule.Span()) // the target is still down: listed again
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
