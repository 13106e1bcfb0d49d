package bankhook_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
)

type spanKey struct{}

// TestNewReceiverMiddleware checks that ReceiverOptions.Middleware wraps
// the whole pipeline: it sees rejected requests too, in order, and the
// context it hands on reaches the Observer and the handler.
func TestNewReceiverMiddleware(t *testing.T) {
	var calls []string
	mark := func(name string) bankhook.Middleware {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls = append(calls, name)
				next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), spanKey{}, name)))
			})
		}
	}
	var seen []string
	obs := bankhook.ObserverFuncs{
		OnRejected: func(r *http.Request, rej bankhook.Rejection) {
			seen = append(seen, "rejected:"+r.Context().Value(spanKey{}).(string))
			assert.Positive(t, rej.Elapsed, "measured from Observe")
		},
		OnHandled: func(r *http.Request, o bankhook.Outcome) {
			seen = append(seen, "handled:"+r.Context().Value(spanKey{}).(string))
		},
	}
	h, err := bankhook.NewReceiver(decodeOrderPaid, func(ctx context.Context, _ *orderPaid) error {
		seen = append(seen, "handler:"+ctx.Value(spanKey{}).(string))
		return nil
	}, bankhook.ReceiverOptions{
		Tokens:     []string{"s3cret"},
		Observer:   obs,
		Middleware: []bankhook.Middleware{mark("outer"), mark("inner")},
	})
	require.NoError(t, err)

	for _, target := range []string{"/?token=guess", "/?token=s3cret"} {
		r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(`{"id":"o-1"}`))
		r.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	assert.Equal(t, []string{"outer", "inner", "outer", "inner"}, calls, "every request, Middleware[0] outermost")
	assert.Equal(t, []string{"rejected:inner", "handler:inner", "handled:inner"}, seen)

	_, err = bankhook.NewReceiver(decodeOrderPaid, func(context.Context, *orderPaid) error { return nil },
		bankhook.ReceiverOptions{Tokens: []string{"s3cret"}, Middleware: []bankhook.Middleware{mark("a"), nil}})
	assert.EqualError(t, err, "bankhook: ReceiverOptions.Middleware[1] is nil")
}
