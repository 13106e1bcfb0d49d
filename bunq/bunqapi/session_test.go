package bunqapi_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook/bunq/bunqapi"
	"github.com/bankhook/bankhook/bunq/bunqtest"
)

// savedContext reads the fields of a context file the session tests
// look at.
type savedContext struct {
	Session string    `json:"session_token"`
	Expires time.Time `json:"session_expires"`
}

func readContext(t *testing.T, path string) savedContext {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var f savedContext
	require.NoError(t, json.Unmarshal(b, &f))
	return f
}

// TestEndedSessionIsRenewed ends the session as bunq does (403
// "Insufficient authentication.") and as its older documents say (401):
// either way, concurrent calls open one new session, retry once and save
// it.
func TestEndedSessionIsRenewed(t *testing.T) {
	for _, status := range []int{http.StatusForbidden, http.StatusUnauthorized} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			srv := standIn(t, bunqtest.Options{})
			require.NoError(t, srv.SetEndedSessionStatus(status))
			logs := &logBuffer{}
			c, u := setup(t, srv, bunqapi.Options{Logger: logs.logger()})
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "ctx.json")
			require.NoError(t, c.Save(path))
			first := readContext(t, path).Session

			srv.ExpireSessions()
			start := len(srv.Requests())
			var wg sync.WaitGroup
			errs := make([]error, 5)
			for i := range errs {
				wg.Go(func() { _, errs[i] = c.ListFilters(ctx) })
			}
			wg.Wait()
			for _, err := range errs {
				require.NoError(t, err)
			}
			assert.Positive(t, countRequests(srv, start, "GET", "", status))
			assert.Equal(t, 1, countRequests(srv, start, "POST", "/v1/session-server", 200), "one new session for all the calls whose session ended")
			assert.Equal(t, 5, countRequests(srv, start, "GET", "", 200))
			assert.NotEqual(t, first, readContext(t, path).Session, "the new session is saved to the context file")
			assert.Contains(t, logs.String(), "opened a new session")
			assert.Contains(t, logs.String(), "reason="+strconv.Itoa(status))
			assert.NotContains(t, logs.String(), readContext(t, path).Session)
			assert.NotContains(t, logs.String(), u.APIKey)

			loaded, err := bunqapi.Load(path, bunqapi.Options{Logger: discard})
			require.NoError(t, err)
			start = len(srv.Requests())
			_, err = loaded.ListFilters(ctx)
			require.NoError(t, err)
			assert.Zero(t, countRequests(srv, start, "POST", "/v1/session-server", 200), "the saved session works")

			t.Run("a second end is returned", func(t *testing.T) {
				hook := &hookTransport{before: func(_ int64, r *http.Request) {
					if r.Method == "GET" {
						srv.ExpireSessions() // every session ends before each GET arrives
					}
				}}
				flaky, _ := setup(t, srv, bunqapi.Options{HTTPClient: &http.Client{Transport: hook}, Logger: discard})
				start := len(srv.Requests())
				_, err := flaky.ListFilters(ctx)
				assert.True(t, bunqapi.IsStatus(err, status), "%v", err)
				assert.Equal(t, 2, countRequests(srv, start, "GET", "", status), "one retry, not a loop")
			})
		})
	}
}

// TestForbiddenIsNotARenewal: a 403 for a permission is returned with
// bunq's description, without a new session.
func TestForbiddenIsNotARenewal(t *testing.T) {
	srv := standIn(t, bunqtest.Options{})
	c, u := setup(t, srv, bunqapi.Options{})
	other, err := srv.AddUser(bunqtest.UserOptions{})
	require.NoError(t, err)
	hook := &hookTransport{before: func(_ int64, r *http.Request) {
		// The path of another user: bunq answers 403 "not allowed".
		r.URL.Path = strings.Replace(r.URL.Path, "/user/"+strconv.FormatInt(u.ID, 10)+"/", "/user/"+strconv.FormatInt(other.ID, 10)+"/", 1)
	}}
	forbidden, err := bunqapi.Load(saveTo(t, c), bunqapi.Options{HTTPClient: &http.Client{Transport: hook}, Logger: discard})
	require.NoError(t, err)
	start := len(srv.Requests())
	_, err = forbidden.ListFilters(context.Background())
	require.Error(t, err)
	assert.True(t, bunqapi.IsStatus(err, http.StatusForbidden), "%v", err)
	assert.Contains(t, err.Error(), "You are not allowed to access user", "bunq's description")
	assert.Equal(t, 1, countRequests(srv, start, "GET", "", http.StatusForbidden), "no retry")
	assert.Zero(t, countRequests(srv, start, "POST", "/v1/session-server", 200), "no new session")
}

// saveTo saves c to a file of the test and returns its path.
func saveTo(t *testing.T, c *bunqapi.Client) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ctx.json")
	require.NoError(t, c.Save(path))
	return path
}

// TestSessionTimeoutIsRenewedAhead: the client keeps the session_timeout
// bunq answered, renews 30 s before it runs out on its clock, and keeps
// the expiry in the context file; no call goes out with a session the
// stand-in has timed out.
func TestSessionTimeoutIsRenewedAhead(t *testing.T) {
	srv := standIn(t, bunqtest.Options{SessionTimeout: time.Hour})
	logs := &logBuffer{}
	c, _ := setup(t, srv, bunqapi.Options{Now: srv.Now, Logger: logs.logger()})
	ctx := context.Background()
	path := saveTo(t, c)
	saved := readContext(t, path)
	assert.Equal(t, srv.Now().Add(time.Hour), saved.Expires, "opened now, one hour of session_timeout")

	start := len(srv.Requests())
	srv.Advance(time.Hour - 31*time.Second)
	_, err := c.ListPins(ctx)
	require.NoError(t, err)
	assert.Zero(t, countRequests(srv, start, "POST", "/v1/session-server", 200), "31 s before the timeout: the session is kept")

	// The session, used a moment ago, still has an hour at the stand-in
	// (bunq extends a used session); the client renews at its own
	// expiry all the same, as bunq's SDKs do.
	srv.Advance(2 * time.Second)
	_, err = c.ListPins(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, countRequests(srv, start, "POST", "/v1/session-server", 200), "29 s before: renewed first")
	assert.Zero(t, countRequests(srv, start, "GET", "", http.StatusForbidden), "no call with a timed-out session")
	assert.Contains(t, logs.String(), "reason=session_timeout")
	renewed := readContext(t, path)
	assert.NotEqual(t, saved.Session, renewed.Session)
	assert.Equal(t, srv.Now().Add(time.Hour), renewed.Expires, "the new expiry is saved")

	t.Run("a loaded context renews ahead too", func(t *testing.T) {
		loaded, err := bunqapi.Load(path, bunqapi.Options{Now: srv.Now, Logger: discard})
		require.NoError(t, err)
		srv.Advance(2 * time.Hour) // past the stand-in's timeout as well
		start := len(srv.Requests())
		_, err = loaded.ListPins(ctx)
		require.NoError(t, err)
		assert.Equal(t, 1, countRequests(srv, start, "POST", "/v1/session-server", 200))
		assert.Zero(t, countRequests(srv, start, "GET", "", http.StatusForbidden))
	})
	t.Run("a context file without an expiry still loads", func(t *testing.T) {
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(b, &m))
		delete(m, "session_expires")
		old, err := json.Marshal(m)
		require.NoError(t, err)
		oldPath := filepath.Join(t.TempDir(), "old.json")
		require.NoError(t, os.WriteFile(oldPath, old, 0o600))
		loaded, err := bunqapi.Load(oldPath, bunqapi.Options{Now: srv.Now, Logger: discard})
		require.NoError(t, err)
		srv.Advance(2 * time.Hour) // the stand-in times the session out
		start := len(srv.Requests())
		_, err = loaded.ListPins(ctx)
		require.NoError(t, err, "renewed on bunq's 403")
		assert.Equal(t, 1, countRequests(srv, start, "GET", "", http.StatusForbidden))
		assert.Equal(t, srv.Now().Add(time.Hour), readContext(t, oldPath).Expires, "and from then on the expiry is kept")
	})
}

func TestSessionRenewalFails(t *testing.T) {
	srv := standIn(t, bunqtest.Options{})
	c, _ := setup(t, srv, bunqapi.Options{})
	srv.ExpireSessions()
	srv.SetSignatureMode(bunqtest.SignNone)
	_, err := c.ListFilters(context.Background())
	require.Error(t, err)
	assert.True(t, bunqapi.IsStatus(err, http.StatusForbidden), "the call's own error is kept: %v", err)
	assert.Contains(t, err.Error(), "Insufficient authentication.")
	assert.ErrorIs(t, err, bunqapi.ErrSignature, "and why no session could be opened")
	assert.Contains(t, err.Error(), "opening a new session")
}
