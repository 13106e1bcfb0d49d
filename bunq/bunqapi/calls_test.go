package bunqapi_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook/bunq"
	"github.com/bankhook/bankhook/bunq/bunqapi"
	"github.com/bankhook/bankhook/bunq/bunqtest"
)

// countRequests counts the stand-in's answers to method path with
// status since request number from.
func countRequests(srv *bunqtest.Server, from int, method, path string, status int) int {
	n := 0
	for _, r := range srv.Requests()[from:] {
		if r.Method == method && (path == "" || r.Path == path) && r.Status == status {
			n++
		}
	}
	return n
}

func TestFilters(t *testing.T) {
	srv := standIn(t, bunqtest.Options{})
	c, u := setup(t, srv, bunqapi.Options{})
	ctx := context.Background()
	account2, err := srv.AddAccount(u.ID)
	require.NoError(t, err)

	got, err := c.ListFilters(ctx)
	require.NoError(t, err)
	assert.Empty(t, got)
	assert.NotNil(t, got, "an empty list, not nil")

	want := []bunq.NotificationFilterURL{
		{Category: bunq.CategoryMutation, NotificationTarget: "https://hooks.example/bunq?token=s3cret"},
		{Category: bunq.CategoryPayment, NotificationTarget: "https://hooks.example/bunq?token=s3cret"},
	}
	require.NoError(t, c.SetFilters(ctx, want))
	got, err = c.ListFilters(ctx)
	require.NoError(t, err)
	assert.Equal(t, want, got)

	accountFilters := []bunq.NotificationFilterURL{{Category: bunq.CategoryMutation, NotificationTarget: "https://other.example/"}}
	require.NoError(t, c.SetAccountFilters(ctx, account2, accountFilters))
	got, err = c.ListAccountFilters(ctx, account2)
	require.NoError(t, err)
	assert.Equal(t, accountFilters, got)
	got, err = c.ListFilters(ctx)
	require.NoError(t, err)
	assert.Len(t, got, 2, "the user's filters are the user's")

	require.NoError(t, c.SetFilters(ctx, nil))
	got, err = c.ListFilters(ctx)
	require.NoError(t, err)
	assert.Empty(t, got, "an empty list removes every filter")

	t.Run("refused before sending", func(t *testing.T) {
		before := len(srv.Requests())
		for _, filters := range [][]bunq.NotificationFilterURL{
			{{Category: "CARD_DISPUTE", NotificationTarget: "https://a.example/"}},
			{{Category: bunq.CategoryMutation, NotificationTarget: "http://a.example/?token=s3cret"}},
		} {
			err := c.SetFilters(ctx, filters)
			require.Error(t, err)
			assert.NotContains(t, err.Error(), "s3cret")
		}
		assert.ErrorContains(t, c.SetAccountFilters(ctx, 0, nil), "not positive")
		_, err := c.ListAccountFilters(ctx, -1)
		assert.ErrorContains(t, err, "not positive")
		assert.Len(t, srv.Requests(), before, "nothing was sent")
	})

	t.Run("bunq's 4xx is returned, not retried", func(t *testing.T) {
		before := len(srv.Requests())
		err := c.SetAccountFilters(ctx, 999999, nil)
		var apiErr *bunqapi.Error
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, http.StatusNotFound, apiErr.StatusCode)
		assert.Contains(t, apiErr.Error(), "No monetary account")
		assert.Len(t, srv.Requests(), before+1)
	})

	t.Run("a category bunq added later", func(t *testing.T) {
		extra, _ := setup(t, srv, bunqapi.Options{Filter: bunq.FilterOptions{ExtraCategories: []bunq.Category{"CARD_DISPUTE"}}})
		err := extra.SetFilters(ctx, []bunq.NotificationFilterURL{{Category: "CARD_DISPUTE", NotificationTarget: "https://a.example/"}})
		assert.True(t, bunqapi.IsStatus(err, 400), "sent, and refused by the stand-in, which knows the documented ones only: %v", err)
	})
}

// selfSigned returns a self-signed ECDSA certificate for name and
// 127.0.0.1.
func selfSigned(t *testing.T, name string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: name},
		DNSNames:     []string{name},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(90 * 24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	leaf, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

func selfSignedPEM(t *testing.T, name string) []byte {
	t.Helper()
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: selfSigned(t, name).Leaf.Raw})
}

func loopbackCert(t *testing.T) tls.Certificate { return selfSigned(t, "localhost") }

func TestPins(t *testing.T) {
	srv := standIn(t, bunqtest.Options{})
	c, u := setup(t, srv, bunqapi.Options{})
	ctx := context.Background()
	leaf, ca := selfSignedPEM(t, "hooks.example"), selfSignedPEM(t, "Example CA")

	// The stand-in takes only the body bunq's API reference gives,
	// {"certificate_chain":[{"certificate":…},…]}: this call passing is
	// the check that CertificatePinnedBody builds it.
	id, err := c.CreatePin(ctx, append(append([]byte{}, leaf...), ca...))
	require.NoError(t, err)
	assert.Positive(t, id)
	assert.Equal(t, []string{string(leaf) + string(ca)}, srv.PinnedChains(u.ID))

	pins, err := c.ListPins(ctx)
	require.NoError(t, err)
	require.Len(t, pins, 1)
	assert.Equal(t, id, pins[0].ID)
	certs, err := pins[0].Certificates()
	require.NoError(t, err)
	require.Len(t, certs, 2)
	assert.Equal(t, "hooks.example", certs[0].Subject.CommonName)
	assert.Equal(t, "Example CA", certs[1].Subject.CommonName)

	before := len(srv.Requests())
	_, err = c.CreatePin(ctx, []byte("not PEM"))
	assert.ErrorContains(t, err, "data outside a PEM block")
	assert.ErrorContains(t, c.DeletePin(ctx, 0), "not positive")
	assert.Len(t, srv.Requests(), before, "refused before sending")

	require.NoError(t, c.DeletePin(ctx, id))
	pins, err = c.ListPins(ctx)
	require.NoError(t, err)
	assert.Empty(t, pins)
	assert.True(t, bunqapi.IsStatus(c.DeletePin(ctx, id), 404))
}

func TestFailuresAcrossPagesAndChunks(t *testing.T) {
	srv := standIn(t, bunqtest.Options{})
	c, u := setup(t, srv, bunqapi.Options{})
	ctx := context.Background()
	require.NoError(t, srv.SetFilters(u.ID, 0, []bunq.NotificationFilterURL{{Category: bunq.CategoryMutation, NotificationTarget: "https://127.0.0.1:1/down"}}))
	for i := range 250 {
		_, err := srv.Notify(u.ID, 0, bunq.CategoryMutation, bunq.EventMutationCreated, &bunq.Payment{ID: int64(1000 + i)})
		require.NoError(t, err)
	}
	srv.Advance(bunq.RetrySchedule().Span())
	require.Len(t, srv.Failures(u.ID), 250)

	start := len(srv.Requests())
	failures, err := c.ListFailures(ctx)
	require.NoError(t, err)
	require.Len(t, failures, 250)
	for i, f := range failures {
		assert.Equal(t, int64(250-i), f.ID, "newest first")
		assert.Equal(t, int64(1000+250-1-i), f.ObjectID)
		assert.Equal(t, bunq.CategoryMutation, f.Category)
	}
	path := fmt.Sprintf("/v1/user/%d/notification-filter-failure", u.ID)
	var queries []string
	for _, r := range srv.Requests()[start:] {
		queries = append(queries, r.Query)
	}
	assert.Equal(t, []string{"count=200", "count=200&older_id=51"}, queries, "two pages, following older_url")

	ids := make([]int64, len(failures))
	for i, f := range failures {
		ids[i] = f.ID
	}
	start = len(srv.Requests())
	res, err := c.RetryFailures(ctx, ids)
	require.NoError(t, err)
	assert.Equal(t, ids, res.Resent)
	assert.Empty(t, res.Stale)
	assert.Equal(t, 3, res.Requests)
	assert.Equal(t, 3, countRequests(srv, start, "POST", path, 200), "100 + 100 + 50 ids")
	assert.Empty(t, srv.Failures(u.ID))
	assert.Equal(t, 250, srv.Pending(), "bunq delivers them again")

	t.Run("ids are checked before anything is sent", func(t *testing.T) {
		before := len(srv.Requests())
		_, err := c.RetryFailures(ctx, []int64{1, 2, 1})
		assert.ErrorContains(t, err, "id 1 given twice")
		_, err = c.RetryFailures(ctx, []int64{3, 0})
		assert.ErrorContains(t, err, "position 1")
		res, err := c.RetryFailures(ctx, nil)
		assert.NoError(t, err)
		assert.Zero(t, res)
		assert.Len(t, srv.Requests(), before)
	})
}

// TestRetryFailuresSkipsStaleIDs: bunq refuses a whole re-send with 404
// when one id is no longer listed; the client halves the request until
// the stale ids are alone, re-sends all the others in the same call and
// returns the stale ones.
func TestRetryFailuresSkipsStaleIDs(t *testing.T) {
	srv := standIn(t, bunqtest.Options{})
	c, u := setup(t, srv, bunqapi.Options{})
	ctx := context.Background()
	require.NoError(t, srv.SetFilters(u.ID, 0, []bunq.NotificationFilterURL{{Category: bunq.CategoryMutation, NotificationTarget: "https://127.0.0.1:1/down"}}))
	for i := range 150 {
		_, err := srv.Notify(u.ID, 0, bunq.CategoryMutation, bunq.EventMutationCreated, &bunq.Payment{ID: int64(1000 + i)})
		require.NoError(t, err)
	}
	srv.Advance(bunq.RetrySchedule().Span())
	failures, err := c.ListFailures(ctx)
	require.NoError(t, err)
	require.Len(t, failures, 150)
	ids := make([]int64, len(failures))
	for i, f := range failures {
		ids[i] = f.ID
	}

	// Meanwhile, someone re-sends three of them by hand.
	stale := []int64{ids[7], ids[60], ids[130]}
	_, err = c.RetryFailures(ctx, stale)
	require.NoError(t, err)

	path := fmt.Sprintf("/v1/user/%d/notification-filter-failure", u.ID)
	start := len(srv.Requests())
	res, err := c.RetryFailures(ctx, ids)
	require.NoError(t, err, "stale ids are not an error")
	assert.Equal(t, stale, res.Stale)
	var want []int64
	for _, id := range ids {
		if !slices.Contains(stale, id) {
			want = append(want, id)
		}
	}
	assert.Equal(t, want, res.Resent, "every other id, in one call")
	assert.Equal(t, res.Requests, countRequests(srv, start, "POST", path, 200))
	assert.Less(t, countRequests(srv, start, "POST", path, 200)+countRequests(srv, start, "POST", path, 404), 60, "halving, not one request per id")
	assert.Empty(t, srv.Failures(u.ID), "none left behind for the next pass")

	t.Run("an id never listed is stale too", func(t *testing.T) {
		res, err := c.RetryFailures(ctx, []int64{999})
		require.NoError(t, err)
		assert.Equal(t, bunqapi.RetryResult{Stale: []int64{999}}, res)
	})
	t.Run("a route bunq does not serve is no stale id", func(t *testing.T) {
		hook := &hookTransport{before: func(_ int64, r *http.Request) {
			r.URL.Path = strings.Replace(r.URL.Path, "/notification-filter-failure", "/notification-filter-failures", 1)
		}}
		wrong, err := bunqapi.Load(saveTo(t, c), bunqapi.Options{HTTPClient: &http.Client{Transport: hook}, Logger: discard})
		require.NoError(t, err)
		start := len(srv.Requests())
		res, err := wrong.RetryFailures(ctx, []int64{1, 2, 3})
		assert.True(t, bunqapi.IsStatus(err, http.StatusNotFound), "%v", err)
		assert.ErrorContains(t, err, "Route not found.")
		assert.Zero(t, res)
		assert.Len(t, srv.Requests(), start+1, "not split")
	})
	t.Run("any other refusal stops", func(t *testing.T) {
		srv.Advance(bunq.RetrySchedule().Span()) // the re-sent ones fail again
		listed := srv.Failures(u.ID)
		require.NotEmpty(t, listed)
		id := listed[0].ID
		srv.SetSignatureMode(bunqtest.SignNone) // the 200 does not verify
		defer srv.SetSignatureMode(bunqtest.SignBody)
		res, err := c.RetryFailures(ctx, []int64{999, id})
		require.ErrorIs(t, err, bunqapi.ErrSignature)
		assert.Equal(t, []int64{999}, res.Stale, "found before the error")
		assert.Empty(t, res.Resent)
	})
}

func TestTamperedAnswersAreRefused(t *testing.T) {
	srv := standIn(t, bunqtest.Options{})
	c, u := setup(t, srv, bunqapi.Options{})
	ctx := context.Background()
	makeFailure(t, srv, u)

	for _, mode := range []bunqtest.SignatureMode{bunqtest.SignTampered, bunqtest.SignNone} {
		t.Run(mode.String(), func(t *testing.T) {
			srv.SetSignatureMode(mode)
			failures, err := c.ListFailures(ctx)
			require.ErrorIs(t, err, bunqapi.ErrSignature)
			assert.Nil(t, failures, "a faked empty list is not returned")
			_, err = c.ListFilters(ctx)
			require.ErrorIs(t, err, bunqapi.ErrSignature)
			_, err = c.CreatePin(ctx, selfSignedPEM(t, "x.example"))
			require.ErrorIs(t, err, bunqapi.ErrSignature)
		})
	}
	srv.SetSignatureMode(bunqtest.SignHeadersAndBody)
	failures, err := c.ListFailures(ctx)
	require.NoError(t, err, "bunq's older scheme verifies")
	assert.Len(t, failures, 1)
}

// makeFailure has one callback of u fail six times.
func makeFailure(t *testing.T, srv *bunqtest.Server, u bunqtest.User) {
	t.Helper()
	require.NoError(t, srv.SetFilters(u.ID, 0, []bunq.NotificationFilterURL{{Category: bunq.CategoryMutation, NotificationTarget: "https://127.0.0.1:1/down"}}))
	_, err := srv.Notify(u.ID, 0, bunq.CategoryMutation, bunq.EventMutationCreated, &bunq.Payment{ID: 1})
	require.NoError(t, err)
	srv.Advance(bunq.RetrySchedule().Span())
	require.Len(t, srv.Failures(u.ID), 1)
}

func TestRateLimitIsWaitedOut(t *testing.T) {
	srv := standIn(t, bunqtest.Options{RateWindow: 300 * time.Millisecond})
	logs := &logBuffer{}
	c, _ := setup(t, srv, bunqapi.Options{Logger: logs.logger()})
	ctx := context.Background()
	start := len(srv.Requests())
	for range 7 {
		_, err := c.ListFilters(ctx)
		require.NoError(t, err)
	}
	assert.Equal(t, 7, countRequests(srv, start, "GET", "", 200))
	assert.Positive(t, countRequests(srv, start, "GET", "", 429), "3 GETs per window: some were refused and waited out")
	assert.Contains(t, logs.String(), "rate limited")

	t.Run("bounded by the context", func(t *testing.T) {
		slow := standIn(t, bunqtest.Options{RateWindow: time.Hour})
		c, _ := setup(t, slow, bunqapi.Options{})
		for range 3 {
			_, err := c.ListFilters(ctx)
			require.NoError(t, err)
		}
		short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		began := time.Now()
		_, err := c.ListFilters(short)
		assert.True(t, bunqapi.IsStatus(err, 429), "%v", err)
		assert.True(t, errors.Is(err, context.DeadlineExceeded), "%v", err)
		assert.Less(t, time.Since(began), 5*time.Second)
	})
}
