package bankhook_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
)

// decodeTestEvent is the event of these tests: {"id": "...", "amount": "1.00"}.
type decodeTestEvent struct {
	ID     string           `json:"id"`
	Amount bankhook.Decimal `json:"amount"`
}

func (e *decodeTestEvent) IdempotencyKey() string { return "test:" + e.ID }

// otherTestEvent is a second event type, for a Handle that does not match
// its Decode.
type otherTestEvent struct{}

func (*otherTestEvent) IdempotencyKey() string { return "other" }

// decodeTestEvents decodes like a provider: a *DecodeError whose Path is
// the JSON Pointer of the bad value.
func decodeTestEvents(body []byte) (*decodeTestEvent, error) {
	var e decodeTestEvent
	if err := json.Unmarshal(body, &e, json.RejectUnknownMembers(false)); err != nil {
		de := &bankhook.DecodeError{Provider: "test", Err: err}
		var se *json.SemanticError
		var se2 *jsontext.SyntacticError
		switch {
		case errors.As(err, &se):
			de.Path = string(se.JSONPointer)
		case errors.As(err, &se2):
			de.Path = string(se2.JSONPointer)
		}
		return nil, de
	}
	if e.ID == "" {
		return nil, &bankhook.DecodeError{Provider: "test", Path: "/id", Err: errors.New("missing")}
	}
	return &e, nil
}

// decodeRecorder is an Observer that keeps what it is told.
type decodeRecorder struct {
	mu       sync.Mutex // guards the slices
	rejected []bankhook.Rejection
	handled  []bankhook.Outcome
}

func (o *decodeRecorder) Rejected(_ *http.Request, rej bankhook.Rejection) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.rejected = append(o.rejected, rej)
}

func (o *decodeRecorder) Handled(_ *http.Request, out bankhook.Outcome) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.handled = append(o.handled, out)
}

// decodeProblem is the problem+json answer of a rejection.
type decodeProblem struct {
	Status int     `json:"status"`
	Reason string  `json:"reason"`
	Detail string  `json:"detail"`
	Field  *string `json:"field"`
}

func decodeReadProblem(t *testing.T, rec *httptest.ResponseRecorder) decodeProblem {
	t.Helper()
	require.Equal(t, bankhook.ProblemContentType, rec.Header().Get("Content-Type"))
	var p decodeProblem
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &p), rec.Body.String())
	assert.Equal(t, rec.Code, p.Status)
	return p
}

func decodePost(ctx context.Context, body string) *http.Request {
	r := httptest.NewRequestWithContext(ctx, http.MethodPost, "/hook", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return r
}

// decodeChain is Observe → ReadBody → Decode → extra… → h.
func decodeChain(obs bankhook.Observer, h http.Handler, extra ...bankhook.Middleware) http.Handler {
	m := []bankhook.Middleware{bankhook.Observe(obs), bankhook.ReadBody(bankhook.BodyOptions{}), bankhook.Decode(decodeTestEvents)}
	return bankhook.Chain(h, append(m, extra...)...)
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		wantCode  int
		wantField *string
	}{
		{"valid", `{"id":"p-1","amount":"24.95"}`, http.StatusOK, nil},
		{"unknown members ignored", `{"id":"p-1","amount":1,"new":true}`, http.StatusOK, nil},
		{"wrong type names the field", `{"id":"p-1","amount":{"value":1}}`, http.StatusBadRequest, decodeTestField("/amount")},
		{"missing id names the field", `{"amount":"1"}`, http.StatusBadRequest, decodeTestField("/id")},
		{"truncated body", `{"id":"p-1","amount":"1`, http.StatusBadRequest, decodeTestField("/amount")},
		{"not JSON", `payment`, http.StatusBadRequest, decodeTestField("")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var obs decodeRecorder
			var got *decodeTestEvent
			next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				e, ok := bankhook.EventFrom[*decodeTestEvent](r.Context())
				require.True(t, ok)
				got = e
			})
			rec := httptest.NewRecorder()
			decodeChain(&obs, next).ServeHTTP(rec, decodePost(t.Context(), tt.body))

			require.Equal(t, tt.wantCode, rec.Code, rec.Body.String())
			if tt.wantCode == http.StatusOK {
				require.NotNil(t, got)
				assert.Equal(t, "p-1", got.ID)
				assert.Empty(t, obs.rejected)
				return
			}
			assert.Nil(t, got, "next is not called for a bad body")
			p := decodeReadProblem(t, rec)
			assert.Equal(t, string(bankhook.ReasonBadPayload), p.Reason)
			assert.Equal(t, tt.wantField, p.Field)
			require.Len(t, obs.rejected, 1)
			var de *bankhook.DecodeError
			require.ErrorAs(t, obs.rejected[0].Err, &de)
			assert.Equal(t, "test", de.Provider)
			assert.NotContains(t, rec.Body.String(), de.Err.Error(), "the cause stays internal")
		})
	}
}

func TestDecodePlainErrorHasNoField(t *testing.T) {
	d := bankhook.Decode(func([]byte) (*decodeTestEvent, error) { return nil, errors.New("secret detail") })
	rec := httptest.NewRecorder()
	bankhook.Chain(http.NotFoundHandler(), bankhook.Observe(&decodeRecorder{}), bankhook.ReadBody(bankhook.BodyOptions{}), d).
		ServeHTTP(rec, decodePost(t.Context(), `{}`))
	p := decodeReadProblem(t, rec)
	assert.Equal(t, http.StatusBadRequest, p.Status)
	assert.Nil(t, p.Field)
	assert.NotContains(t, rec.Body.String(), "secret detail")
}

func TestDecodeWithoutReadBody(t *testing.T) {
	var obs decodeRecorder
	rec := httptest.NewRecorder()
	bankhook.Chain(http.NotFoundHandler(), bankhook.Observe(&obs), bankhook.Decode(decodeTestEvents)).
		ServeHTTP(rec, decodePost(t.Context(), `{"id":"p-1"}`))
	p := decodeReadProblem(t, rec)
	assert.Equal(t, http.StatusInternalServerError, p.Status)
	assert.Equal(t, string(bankhook.ReasonHandlerFailed), p.Reason)
	require.Len(t, obs.rejected, 1)
	assert.ErrorIs(t, obs.rejected[0].Err, bankhook.ErrNoBody)
}

func TestEventFrom(t *testing.T) {
	_, ok := bankhook.EventFrom[*decodeTestEvent](context.Background())
	assert.False(t, ok, "a context without request state")

	var kinds []bool
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, ok1 := bankhook.EventFrom[*decodeTestEvent](r.Context())
		_, ok2 := bankhook.EventFrom[*otherTestEvent](r.Context())
		e, ok3 := bankhook.EventFrom[bankhook.Event](r.Context())
		kinds = []bool{ok1, ok2, ok3 && e.IdempotencyKey() == "test:p-1"}
	})
	decodeChain(&decodeRecorder{}, next).ServeHTTP(httptest.NewRecorder(), decodePost(t.Context(), `{"id":"p-1"}`))
	assert.Equal(t, []bool{true, false, true}, kinds)

	kinds = nil
	bankhook.Chain(next, bankhook.ReadBody(bankhook.BodyOptions{})).ServeHTTP(httptest.NewRecorder(), decodePost(t.Context(), `{}`))
	assert.Equal(t, []bool{false, false, false}, kinds, "a body without Decode")
}

func TestHandle(t *testing.T) {
	tests := []struct {
		name       string
		fn         func(context.Context, *decodeTestEvent) error
		wantCode   int
		wantReason bankhook.Reason // "" for an acknowledged event
	}{
		{
			name:     "nil acknowledges with 200",
			fn:       func(context.Context, *decodeTestEvent) error { return nil },
			wantCode: http.StatusOK,
		},
		{
			name: "StatusError 503 asks for a retry",
			fn: func(context.Context, *decodeTestEvent) error {
				return &bankhook.StatusError{Status: http.StatusServiceUnavailable, Err: errors.New("ledger down")}
			},
			wantCode:   http.StatusServiceUnavailable,
			wantReason: bankhook.ReasonHandlerFailed,
		},
		{
			name: "StatusError 202 acknowledges",
			fn: func(context.Context, *decodeTestEvent) error {
				return &bankhook.StatusError{Status: http.StatusAccepted}
			},
			wantCode: http.StatusAccepted,
		},
		{
			name: "wrapped StatusError",
			fn: func(context.Context, *decodeTestEvent) error {
				return fmt.Errorf("storing: %w", &bankhook.StatusError{Status: http.StatusTooManyRequests})
			},
			wantCode:   http.StatusTooManyRequests,
			wantReason: bankhook.ReasonHandlerFailed,
		},
		{
			name: "StatusError without a valid status",
			fn: func(context.Context, *decodeTestEvent) error {
				return &bankhook.StatusError{Status: 0, Err: errors.New("forgot the status")}
			},
			wantCode:   http.StatusInternalServerError,
			wantReason: bankhook.ReasonHandlerFailed,
		},
		{
			name:       "other error",
			fn:         func(context.Context, *decodeTestEvent) error { return errors.New("ledger password rejected") },
			wantCode:   http.StatusInternalServerError,
			wantReason: bankhook.ReasonHandlerFailed,
		},
		{
			name: "context.DeadlineExceeded returned",
			fn: func(context.Context, *decodeTestEvent) error {
				return fmt.Errorf("query: %w", context.DeadlineExceeded)
			},
			wantCode:   http.StatusServiceUnavailable,
			wantReason: bankhook.ReasonTimeout,
		},
		{
			name:       "panic",
			fn:         func(context.Context, *decodeTestEvent) error { panic("ledger corrupted") },
			wantCode:   http.StatusInternalServerError,
			wantReason: bankhook.ReasonHandlerFailed,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var obs decodeRecorder
			rec := httptest.NewRecorder()
			decodeChain(&obs, bankhook.Handle(tt.fn)).ServeHTTP(rec, decodePost(t.Context(), `{"id":"p-1"}`))
			require.Equal(t, tt.wantCode, rec.Code, rec.Body.String())

			if tt.wantReason == "" {
				assert.Empty(t, rec.Body.String())
				assert.Empty(t, obs.rejected)
				require.Len(t, obs.handled, 1)
				assert.Equal(t, tt.wantCode, obs.handled[0].Status)
				assert.False(t, obs.handled[0].Replayed)
				return
			}
			p := decodeReadProblem(t, rec)
			assert.Equal(t, string(tt.wantReason), p.Reason)
			assert.Nil(t, p.Field)
			assert.Empty(t, obs.handled)
			require.Len(t, obs.rejected, 1)
			rej := obs.rejected[0]
			assert.Equal(t, tt.wantCode, rej.Status)
			assert.Equal(t, tt.wantReason, rej.Reason)
			require.Error(t, rej.Err)
			assert.NotContains(t, rec.Body.String(), rej.Err.Error(), "the cause stays internal")
		})
	}
}

func TestHandlePanicReported(t *testing.T) {
	var obs decodeRecorder
	rec := httptest.NewRecorder()
	h := bankhook.Handle(func(context.Context, *decodeTestEvent) error { panic(fmt.Sprint("ledger ", 42)) })
	decodeChain(&obs, h).ServeHTTP(rec, decodePost(t.Context(), `{"id":"p-1"}`))

	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	require.Len(t, obs.rejected, 1)
	var pe *bankhook.PanicError
	require.ErrorAs(t, obs.rejected[0].Err, &pe)
	assert.Equal(t, "ledger 42", pe.Value)
	assert.Contains(t, string(pe.Stack), "TestHandlePanicReported", "the stack of the panic")
	assert.Equal(t, "bankhook: handler panicked: ledger 42", pe.Error())
}

func TestHandleWithoutEvent(t *testing.T) {
	tests := []struct {
		name  string
		chain func(http.Handler) http.Handler
	}{
		{"no Decode", func(h http.Handler) http.Handler {
			return bankhook.Chain(h, bankhook.ReadBody(bankhook.BodyOptions{}))
		}},
		{"Decode of another type", func(h http.Handler) http.Handler {
			return bankhook.Chain(h, bankhook.ReadBody(bankhook.BodyOptions{}),
				bankhook.Decode(func([]byte) (*otherTestEvent, error) { return &otherTestEvent{}, nil }))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var obs decodeRecorder
			called := false
			h := bankhook.Handle(func(context.Context, *decodeTestEvent) error { called = true; return nil })
			rec := httptest.NewRecorder()
			bankhook.Chain(tt.chain(h), bankhook.Observe(&obs)).ServeHTTP(rec, decodePost(t.Context(), `{"id":"p-1"}`))

			assert.False(t, called)
			p := decodeReadProblem(t, rec)
			assert.Equal(t, http.StatusInternalServerError, p.Status)
			assert.Equal(t, string(bankhook.ReasonHandlerFailed), p.Reason)
			require.Len(t, obs.rejected, 1)
			assert.ErrorIs(t, obs.rejected[0].Err, bankhook.ErrNoEvent)
		})
	}
}

func TestDeadline(t *testing.T) {
	tests := []struct {
		name    string
		handler func(ctx context.Context, e *decodeTestEvent) error
	}{
		{"handler returns the context's error", func(ctx context.Context, _ *decodeTestEvent) error {
			<-ctx.Done()
			return ctx.Err()
		}},
		{"handler returns another error after the deadline", func(ctx context.Context, _ *decodeTestEvent) error {
			<-ctx.Done()
			return errors.New("gave up waiting for the ledger")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// In the bubble the 25 s deadline passes without waiting.
			synctest.Test(t, func(t *testing.T) {
				var obs decodeRecorder
				start := time.Now()
				var deadline time.Time
				h := bankhook.Handle(func(ctx context.Context, e *decodeTestEvent) error {
					deadline, _ = ctx.Deadline()
					return tt.handler(ctx, e)
				})
				rec := httptest.NewRecorder()
				decodeChain(&obs, h, bankhook.Deadline(bankhook.DefaultDeadline)).ServeHTTP(rec, decodePost(t.Context(), `{"id":"p-1"}`))

				assert.Equal(t, start.Add(bankhook.DefaultDeadline), deadline)
				p := decodeReadProblem(t, rec)
				assert.Equal(t, http.StatusServiceUnavailable, p.Status)
				assert.Equal(t, string(bankhook.ReasonTimeout), p.Reason)
			})
		})
	}
}

func TestDeadlineDisabled(t *testing.T) {
	for _, d := range []time.Duration{0, -time.Second} {
		t.Run(d.String(), func(t *testing.T) {
			var has bool
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, has = r.Context().Deadline() })
			bankhook.Deadline(d)(h).ServeHTTP(httptest.NewRecorder(), decodePost(t.Context(), `{}`))
			assert.False(t, has)
		})
	}
}

func TestStatusError(t *testing.T) {
	cause := errors.New("ledger down")
	tests := []struct {
		name string
		err  *bankhook.StatusError
		want string
	}{
		{"with cause", &bankhook.StatusError{Status: 503, Err: cause}, "bankhook: status 503: ledger down"},
		{"without cause", &bankhook.StatusError{Status: 202}, "bankhook: status 202"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.err.Error())
			assert.Equal(t, tt.err.Err, tt.err.Unwrap())
		})
	}
	assert.ErrorIs(t, fmt.Errorf("wrapped: %w", &bankhook.StatusError{Status: 503, Err: cause}), cause)
}

// FuzzDecode checks the decode stage for any body: the next handler runs
// exactly when the decoder accepts the body, and a refusal is a 400
// problem+json whose "field" is the decoder's JSON Pointer and which
// carries no internal error text.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"id":"p-1","amount":"24.95"}`, `{"id":"x","amount":1e3}`, `{"amount":"1"}`, `{"id":1}`, `[]`, ``, `{"id":"\u00e9","amount":-0.5}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		want, wantErr := decodeTestEvents(body)
		var obs decodeRecorder
		var got *decodeTestEvent
		next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got, _ = bankhook.EventFrom[*decodeTestEvent](r.Context())
		})
		rec := httptest.NewRecorder()
		decodeChain(&obs, next).ServeHTTP(rec, decodePost(context.Background(), string(body)))

		if wantErr == nil {
			require.Equal(t, http.StatusOK, rec.Code)
			require.NotNil(t, got)
			require.Equal(t, want.ID, got.ID)
			require.Equal(t, want.Amount.String(), got.Amount.String())
			return
		}
		require.Nil(t, got)
		require.Equal(t, http.StatusBadRequest, rec.Code)
		require.True(t, jsontext.Value(rec.Body.Bytes()).IsValid(), "problem body %q", rec.Body.Bytes())
		p := decodeReadProblem(t, rec)
		require.Equal(t, string(bankhook.ReasonBadPayload), p.Reason)
		var de *bankhook.DecodeError
		require.ErrorAs(t, wantErr, &de)
		require.NotNil(t, p.Field)
		require.Equal(t, de.Path, *p.Field)
		require.NotContains(t, rec.Body.String(), de.Err.Error())
	})
}

func decodeTestField(s string) *string { return &s }
