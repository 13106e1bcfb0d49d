package bankhook_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-json-experiment/json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/internal/fastpath"
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

// TestNewReceiverBodyKey checks a receiver with a trusted key reader (a
// bank preset's, through internal/fastpath), whose key is read from the
// body before decoding: a duplicate is answered from the store without being
// decoded, once its JSON is found well-formed; a new event is decoded
// after its key is reserved, and a body the decoder refuses is answered
// as the decode stage answers it and leaves its key free; a body whose
// key cannot be read is decoded once, for its key and its handler both.
func TestNewReceiverBodyKey(t *testing.T) {
	decoded, handled := 0, 0
	decode := func(body []byte) (*dedupeEvent, error) {
		decoded++
		var e struct {
			ID     string `json:"id"`
			Amount int    `json:"amount"`
		}
		if err := json.Unmarshal(body, &e); err != nil {
			return nil, &bankhook.DecodeError{Provider: "test", Path: "/amount", Err: err}
		}
		return &dedupeEvent{ID: e.ID}, nil
	}
	// The key of {"id":"…",…} with a plain id first, else no key.
	bodyKey := func(body []byte) (string, bool) {
		rest, ok := strings.CutPrefix(string(body), `{"id":"`)
		id, _, ok2 := strings.Cut(rest, `"`)
		if !ok || !ok2 || id == "" {
			return "", false
		}
		return "evt:" + id, true
	}
	h, err := bankhook.NewReceiver(decode, func(context.Context, *dedupeEvent) error {
		handled++
		return nil
	}, fastpath.Trusted(bankhook.ReceiverOptions{
		Tokens:   []string{"s3cret"},
		Observer: bankhook.ObserverFuncs{},
	}, bodyKey))
	require.NoError(t, err)
	post := func(body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, "/hook?token=s3cret", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec
	}
	count := func() [2]int { return [2]int{decoded, handled} }

	require.Equal(t, http.StatusOK, post(`{"id":"a","amount":1}`).Code)
	assert.Equal(t, [2]int{1, 1}, count(), "a new event: decoded once, handled")
	assertReplayed(t, post(`{"id":"a","amount":1}`), http.StatusOK)
	assert.Equal(t, [2]int{1, 1}, count(), "a duplicate: neither decoded nor handled")
	assertReplayed(t, post(`{"id":"a","amount":"x"}`), http.StatusOK)
	assert.Equal(t, [2]int{1, 1}, count(), "a duplicate is not decoded: only its JSON is checked")
	rec := post(`{"id":"a","amount":1,"amount":2}`)
	assert.Equal(t, http.StatusBadRequest, rec.Code, "a duplicate that is not well-formed JSON is decoded, and refused")
	assert.Contains(t, rec.Body.String(), `"field":"/amount"`)
	assert.Equal(t, [2]int{2, 1}, count())

	rec = post(`{"id":"b","amount":"x"}`)
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	assert.Contains(t, rec.Body.String(), `"field":"/amount"`)
	assert.Equal(t, [2]int{3, 1}, count())
	require.Equal(t, http.StatusOK, post(`{"id":"b","amount":2}`).Code, "the refused body left its key free")
	assert.Equal(t, [2]int{4, 2}, count())

	require.Equal(t, http.StatusOK, post(`{"amount":3,"id":"c"}`).Code)
	assert.Equal(t, [2]int{5, 3}, count(), "no key in the body: decoded once, for the key and the handler")
	assertReplayed(t, post(`{"amount":3,"id":"c"}`), http.StatusOK)
	assert.Equal(t, [2]int{6, 3}, count(), "decoded for its key, then answered from the store")

	rec = post(`{"amount":"x"}`)
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	assert.Contains(t, rec.Body.String(), `"field":"/amount"`, "a body decoded for its key is refused the same way")
	rec = post(`{"amount":4}`)
	assert.Equal(t, http.StatusBadRequest, rec.Code, "an event without a key")
	assert.Equal(t, [2]int{8, 3}, count())
}

// TestNewReceiverBodyKeyIgnoredWithKey: a Dedupe.Key of the receiver's
// own wins over NewKeyedReceiver's key reader, and the body is decoded before the store is
// asked.
func TestNewReceiverBodyKeyIgnoredWithKey(t *testing.T) {
	errCalled := errors.New("BodyKey called")
	var keyErr error
	h, err := bankhook.NewKeyedReceiver(decodeDedupeEvent, func([]byte) (string, bool) { keyErr = errCalled; return "", false },
		func(context.Context, *dedupeEvent) error { return nil },
		bankhook.ReceiverOptions{
			Tokens:   []string{"s3cret"},
			Observer: bankhook.ObserverFuncs{},
			Dedupe: bankhook.DedupeOptions{Key: func(r *http.Request) (string, error) {
				e, ok := bankhook.EventFrom[*dedupeEvent](r.Context())
				require.True(t, ok, "decoded before the key is asked")
				return "own:" + e.ID, nil
			}},
		})
	require.NoError(t, err)
	r := httptest.NewRequest(http.MethodPost, "/hook?token=s3cret", strings.NewReader(dedupeBody("a")))
	r.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.NoError(t, keyErr)
}

// TestNewReceiverBodyKeyEventFrom: a duplicate a trusted key reader
// answered without decoding is decoded for an Observer that asks EventFrom for it, and only then.
func TestNewReceiverBodyKeyEventFrom(t *testing.T) {
	decoded := 0
	var seen []string
	h, err := bankhook.NewReceiver(func(b []byte) (*orderPaid, error) {
		decoded++
		return decodeOrderPaid(b)
	}, func(context.Context, *orderPaid) error { return nil }, fastpath.Trusted(bankhook.ReceiverOptions{
		Tokens: []string{"s3cret"},
		Observer: bankhook.ObserverFuncs{OnHandled: func(r *http.Request, o bankhook.Outcome) {
			if !o.Replayed || len(seen) > 0 {
				return
			}
			e, ok := bankhook.EventFrom[*orderPaid](r.Context())
			require.True(t, ok)
			seen = append(seen, e.ID)
		}},
	}, func([]byte) (string, bool) { return "shop:order-paid:A-30", true }))
	require.NoError(t, err)
	post := func() int {
		r := httptest.NewRequest(http.MethodPost, "/hook?token=s3cret", strings.NewReader(`{"id":"A-30","amount":"1.00"}`))
		r.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec.Code
	}
	require.Equal(t, http.StatusOK, post())
	require.Equal(t, http.StatusOK, post())
	assert.Equal(t, []string{"A-30"}, seen)
	assert.Equal(t, 2, decoded, "decoded for the handler, then for the Observer of the duplicate")
	require.Equal(t, http.StatusOK, post())
	assert.Equal(t, 2, decoded, "not decoded when nobody asks")
}
