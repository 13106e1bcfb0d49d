package gateway

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/cmd/bankhook/internal/output"
)

// TestSettleLater: a line still being written when the request's deadline
// came keeps its key reserved (a retry meets 409) until the output knows:
// stored makes the retry a replay, not written lets it be handled again,
// and an outcome unknown for good leaves the key reserved.
func TestSettleLater(t *testing.T) {
	for _, tc := range []struct {
		name    string
		outcome error
		want    int // what the retry after the outcome is answered
	}{
		{"stored", nil, http.StatusOK},
		{"not written", errors.New("write: no space left on device"), http.StatusAccepted},
		{"unknown", output.ErrOutcomeUnknown, http.StatusConflict},
	} {
		t.Run(tc.name, func(t *testing.T) {
			outcome := make(chan error, 1)
			calls := 0
			app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls++
				if calls > 1 {
					w.WriteHeader(http.StatusAccepted)
					return
				}
				err := settleLater(r.Context(), &output.PendingError{Err: context.DeadlineExceeded, Outcome: outcome})
				require.ErrorIs(t, err, context.DeadlineExceeded)
				w.WriteHeader(http.StatusServiceUnavailable)
			})
			store := bankhook.NewLRUStore(bankhook.LRUStoreOptions{})
			h := bankhook.Chain(app, bankhook.ReadBody(bankhook.BodyOptions{}), bankhook.Dedupe(bankhook.DedupeOptions{Store: store}))
			deliver := func() int {
				rec := httptest.NewRecorder()
				req := httptest.NewRequest(http.MethodPost, "/bunq", strings.NewReader(`{"id":1}`))
				req.Header.Set("Content-Type", "application/json")
				h.ServeHTTP(rec, req)
				return rec.Code
			}
			assert.Equal(t, http.StatusServiceUnavailable, deliver())
			assert.Equal(t, http.StatusConflict, deliver(), "reserved while the line is on its way")
			outcome <- tc.outcome
			require.Eventually(t, func() bool { return deliver() == tc.want }, 10*time.Second, time.Millisecond)
		})
	}
}

// TestSettleLaterUnknown: an output whose outcome is unknown for good
// answers 503 and keeps the key reserved.
func TestSettleLaterUnknown(t *testing.T) {
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := settleLater(r.Context(), output.ErrOutcomeUnknown)
		var se *bankhook.StatusError
		require.ErrorAs(t, err, &se)
		w.WriteHeader(se.Status)
	})
	h := bankhook.Chain(app, bankhook.ReadBody(bankhook.BodyOptions{}), bankhook.Dedupe(bankhook.DedupeOptions{}))
	for _, want := range []int{http.StatusServiceUnavailable, http.StatusConflict} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/bunq", strings.NewReader(`{"id":1}`))
		req.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(rec, req)
		assert.Equal(t, want, rec.Code)
	}
}
