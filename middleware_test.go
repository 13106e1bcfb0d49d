package bankhook_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
)

// problemDoc is the RFC 9457 document Reject writes. Decoding it with
// unknown fields disallowed proves no other member (an error text) leaks.
type problemDoc struct {
	Type   string  `json:"type"`
	Title  string  `json:"title"`
	Status int     `json:"status"`
	Detail string  `json:"detail"`
	Reason string  `json:"reason"`
	Field  *string `json:"field"`
}

// problemOf checks that rec holds a well-formed problem+json answer with
// the given status and reason, and returns the document.
func problemOf(t *testing.T, rec *httptest.ResponseRecorder, status int, reason bankhook.Reason) problemDoc {
	t.Helper()
	require.Equal(t, status, rec.Code, "status; body: %s", rec.Body)
	assert.Equal(t, bankhook.ProblemContentType, rec.Header().Get("Content-Type"))
	assert.Equal(t, "nosniff", rec.Header().Get("X-Content-Type-Options"))
	assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
	assert.Equal(t, strconv.Itoa(rec.Body.Len()), rec.Header().Get("Content-Length"))
	var p problemDoc
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&p), "body: %s", rec.Body)
	assert.Equal(t, "about:blank", p.Type)
	assert.Equal(t, http.StatusText(status), p.Title)
	assert.Equal(t, status, p.Status)
	assert.Equal(t, string(reason), p.Reason)
	assert.NotEmpty(t, p.Detail)
	return p
}

// observed collects what an Observer is told.
type observed struct {
	rejected []bankhook.Rejection
	handled  []bankhook.Outcome
}

// observer returns an Observe middleware reporting into o.
func (o *observed) observer() bankhook.Middleware {
	return bankhook.Observe(bankhook.ObserverFuncs{
		OnRejected: func(_ *http.Request, rej bankhook.Rejection) { o.rejected = append(o.rejected, rej) },
		OnHandled:  func(_ *http.Request, out bankhook.Outcome) { o.handled = append(o.handled, out) },
	})
}

// serveGuard runs r through h and returns the recorded answer.
func serveGuard(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

// reached is a final handler that counts its calls and answers 204.
type reached struct{ calls int }

func (h *reached) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	h.calls++
	w.WriteHeader(http.StatusNoContent)
}

// unreadBody is a request body that fails the test when it is read: the
// stages that must decide before reading use it.
type unreadBody struct{ t *testing.T }

func (b unreadBody) Read([]byte) (int, error) {
	b.t.Helper()
	b.t.Error("the request body was read")
	return 0, io.EOF
}

func (unreadBody) Close() error { return nil }

func TestChain(t *testing.T) {
	var order []string
	mark := func(name string) bankhook.Middleware {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				order = append(order, name+">")
				next.ServeHTTP(w, r)
				order = append(order, "<"+name)
			})
		}
	}
	final := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { order = append(order, "handler") })

	tests := []struct {
		name string
		m    []bankhook.Middleware
		want []string
	}{
		{"none", nil, []string{"handler"}},
		{"one", []bankhook.Middleware{mark("a")}, []string{"a>", "handler", "<a"}},
		{"first is outermost", []bankhook.Middleware{mark("a"), mark("b"), mark("c")},
			[]string{"a>", "b>", "c>", "handler", "<c", "<b", "<a"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			order = nil
			serveGuard(bankhook.Chain(final, tc.m...), httptest.NewRequest(http.MethodPost, "/", nil))
			assert.Equal(t, tc.want, order)
		})
	}
}

func TestReject(t *testing.T) {
	const secret = "internal: db password hunter2"
	tests := []struct {
		name      string
		status    int
		reason    bankhook.Reason
		err       error
		preset    http.Header
		wantField *string
	}{
		{name: "ip denied", status: http.StatusForbidden, reason: bankhook.ReasonIPDenied, err: errors.New(secret)},
		{name: "nil error", status: http.StatusUnauthorized, reason: bankhook.ReasonBadToken},
		{name: "retry-after kept", status: http.StatusTooManyRequests, reason: bankhook.ReasonRateLimited,
			err: errors.New(secret), preset: http.Header{"Retry-After": {"7"}}},
		{name: "allow kept", status: http.StatusMethodNotAllowed, reason: bankhook.ReasonMethodNotAllowed,
			preset: http.Header{"Allow": {"POST"}}},
		{name: "decode error names the field", status: http.StatusBadRequest, reason: bankhook.ReasonBadPayload,
			err:       &bankhook.DecodeError{Provider: "bunq", Path: "/NotificationUrl/object/Payment/amount/value", Err: errors.New(secret)},
			wantField: fieldOf("/NotificationUrl/object/Payment/amount/value")},
		{name: "wrapped decode error", status: http.StatusBadRequest, reason: bankhook.ReasonBadPayload,
			err:       fmt.Errorf("outer: %w", &bankhook.DecodeError{Path: "", Err: errors.New(secret)}),
			wantField: fieldOf("")},
		{name: "server error", status: http.StatusInternalServerError, reason: bankhook.ReasonHandlerFailed, err: errors.New(secret)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []bankhook.Rejection
			h := bankhook.Chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tc.preset {
					w.Header()[k] = v
				}
				bankhook.Reject(w, r, tc.status, tc.reason, tc.err)
			}), bankhook.Observe(bankhook.ObserverFuncs{
				OnRejected: func(_ *http.Request, rej bankhook.Rejection) { got = append(got, rej) },
			}))

			rec := serveGuard(h, httptest.NewRequest(http.MethodPost, "/hook", nil))

			p := problemOf(t, rec, tc.status, tc.reason)
			assert.Equal(t, tc.wantField, p.Field)
			assert.NotContains(t, rec.Body.String(), "hunter2")
			for k, v := range tc.preset {
				assert.Equal(t, v, rec.Header()[k], k)
			}
			require.Len(t, got, 1)
			assert.Positive(t, got[0].Elapsed, "measured from Observe")
			got[0].Elapsed = 0
			assert.Equal(t, bankhook.Rejection{Status: tc.status, Reason: tc.reason, Err: tc.err}, got[0])
		})
	}
}

func TestRejectDetailPerReason(t *testing.T) {
	reasons := []bankhook.Reason{
		bankhook.ReasonIPDenied, bankhook.ReasonRateLimited, bankhook.ReasonMethodNotAllowed,
		bankhook.ReasonUnsupportedMediaType, bankhook.ReasonBodyTooLarge, bankhook.ReasonBadToken,
		bankhook.ReasonBadSignature, bankhook.ReasonBadPayload, bankhook.ReasonInFlight,
		bankhook.ReasonStoreUnavailable, bankhook.ReasonHandlerFailed, bankhook.ReasonTimeout,
	}
	seen := map[string]bankhook.Reason{}
	for _, reason := range reasons {
		t.Run(string(reason), func(t *testing.T) {
			rec := httptest.NewRecorder()
			r := httptest.NewRequest(http.MethodPost, "/", nil)
			bankhook.Observe(bankhook.ObserverFuncs{})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				bankhook.Reject(w, r, http.StatusBadRequest, reason, nil)
			})).ServeHTTP(rec, r)
			p := problemOf(t, rec, http.StatusBadRequest, reason)
			prev, dup := seen[p.Detail]
			assert.False(t, dup, "detail %q shared with %s", p.Detail, prev)
			seen[p.Detail] = reason
		})
	}
}

func TestObserveReportsRejections(t *testing.T) {
	var obs observed
	guard := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("ok") == "" {
				bankhook.Reject(w, r, http.StatusForbidden, bankhook.ReasonIPDenied, bankhook.ErrNoClientIP)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	final := &reached{}
	h := bankhook.Chain(final, obs.observer(), guard)

	rec := serveGuard(h, httptest.NewRequest(http.MethodPost, "/", nil))
	problemOf(t, rec, http.StatusForbidden, bankhook.ReasonIPDenied)
	rec = serveGuard(h, httptest.NewRequest(http.MethodPost, "/?ok=1", nil))
	assert.Equal(t, http.StatusNoContent, rec.Code)

	require.Len(t, obs.rejected, 1)
	assert.Equal(t, bankhook.ReasonIPDenied, obs.rejected[0].Reason)
	assert.ErrorIs(t, obs.rejected[0].Err, bankhook.ErrNoClientIP)
	assert.Equal(t, 1, final.calls)
}

func TestObserverFuncsZeroValue(t *testing.T) {
	var o bankhook.Observer = bankhook.ObserverFuncs{}
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	assert.NotPanics(t, func() {
		o.Rejected(r, bankhook.Rejection{Status: http.StatusForbidden, Reason: bankhook.ReasonIPDenied})
		o.Handled(r, bankhook.Outcome{Status: http.StatusOK})
	})
}

// captureLog returns a logger writing JSON records into buf.
func captureLog(buf *bytes.Buffer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// logRecords decodes the JSON lines in buf.
func logRecords(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(buf.String()) {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), line)
		out = append(out, m)
	}
	return out
}

func TestSlogObserver(t *testing.T) {
	const token = "s3cr3t-t0ken"
	tests := []struct {
		name     string
		status   int
		reason   bankhook.Reason
		err      error
		clientIP bool
		want     map[string]any
	}{
		{
			name: "warn for 4xx", status: http.StatusUnauthorized, reason: bankhook.ReasonBadToken, err: bankhook.ErrBadToken,
			want: map[string]any{"level": "WARN", "status": 401.0, "reason": "bad_token", "error": bankhook.ErrBadToken.Error(),
				"method": "POST", "path": "/bunq", "remote": "185.40.108.7:4321"},
		},
		{
			name: "error for 5xx", status: http.StatusServiceUnavailable, reason: bankhook.ReasonStoreUnavailable,
			want: map[string]any{"level": "ERROR", "status": 503.0, "reason": "store_unavailable"},
		},
		{
			name: "client ip when resolved", status: http.StatusForbidden, reason: bankhook.ReasonIPDenied, clientIP: true,
			want: map[string]any{"level": "WARN", "client_ip": "185.40.108.7"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			m := []bankhook.Middleware{bankhook.Observe(bankhook.NewSlogObserver(bankhook.SlogObserverOptions{Logger: captureLog(&buf)}))}
			if tc.clientIP {
				m = append(m, bankhook.ClientIP(nil))
			}
			h := bankhook.Chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				bankhook.Reject(w, r, tc.status, tc.reason, tc.err)
			}), m...)
			r := httptest.NewRequest(http.MethodPost, "/bunq?token="+token+"&x=1", nil)
			r.RemoteAddr = "185.40.108.7:4321"
			serveGuard(h, r)

			assert.NotContains(t, buf.String(), token)
			assert.NotContains(t, buf.String(), "x=1")
			recs := logRecords(t, &buf)
			require.Len(t, recs, 1)
			assert.Equal(t, "bankhook: request rejected", recs[0]["msg"])
			for k, v := range tc.want {
				assert.Equal(t, v, recs[0][k], k)
			}
			if tc.err == nil {
				assert.NotContains(t, recs[0], "error")
			}
			if !tc.clientIP {
				assert.NotContains(t, recs[0], "client_ip")
			}
		})
	}
}

func TestSlogObserverHandled(t *testing.T) {
	var buf bytes.Buffer
	o := bankhook.NewSlogObserver(bankhook.SlogObserverOptions{Logger: captureLog(&buf)})
	r := httptest.NewRequest(http.MethodPost, "/bankhub?token=s3cr3t", nil)
	o.Handled(r, bankhook.Outcome{Status: http.StatusOK, Key: "bankhub:tx:42", Replayed: true, Elapsed: 1500 * time.Millisecond})

	assert.NotContains(t, buf.String(), "s3cr3t")
	recs := logRecords(t, &buf)
	require.Len(t, recs, 1)
	for k, v := range map[string]any{
		"level": "INFO", "msg": "bankhook: event acknowledged", "status": 200.0, "key": "bankhub:tx:42",
		"replayed": true, "elapsed": float64(1500 * time.Millisecond), "path": "/bankhub",
	} {
		assert.Equal(t, v, recs[0][k], k)
	}
}

// TestRejectWithoutObserve checks the fallback: no Observe in the chain
// (or Observe(nil)) logs through slog.Default. It swaps the process-wide
// default logger, so it must not run in parallel.
func TestRejectWithoutObserve(t *testing.T) {
	tests := []struct {
		name string
		m    []bankhook.Middleware
	}{
		{"no Observe", nil},
		{"Observe(nil)", []bankhook.Middleware{bankhook.Observe(nil)}},
		{"NewSlogObserver(SlogObserverOptions{})", []bankhook.Middleware{bankhook.Observe(bankhook.NewSlogObserver(bankhook.SlogObserverOptions{}))}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			prev := slog.Default()
			slog.SetDefault(captureLog(&buf))
			t.Cleanup(func() { slog.SetDefault(prev) })

			h := bankhook.Chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				bankhook.Reject(w, r, http.StatusTooManyRequests, bankhook.ReasonRateLimited, nil)
			}), tc.m...)
			rec := serveGuard(h, httptest.NewRequest(http.MethodPost, "/?token=s3cr3t", nil))

			problemOf(t, rec, http.StatusTooManyRequests, bankhook.ReasonRateLimited)
			recs := logRecords(t, &buf)
			require.Len(t, recs, 1)
			assert.Equal(t, "rate_limited", recs[0]["reason"])
			assert.NotContains(t, buf.String(), "s3cr3t")
		})
	}
}

func fieldOf(s string) *string { return &s }

func TestMultiObserver(t *testing.T) {
	var got []string
	record := func(name string) bankhook.Observer {
		return bankhook.ObserverFuncs{
			OnRejected: func(_ *http.Request, rej bankhook.Rejection) { got = append(got, name+" "+string(rej.Reason)) },
			OnHandled:  func(_ *http.Request, o bankhook.Outcome) { got = append(got, name+" "+o.Key) },
		}
	}
	m := bankhook.MultiObserver(record("a"), nil, record("b"))
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	m.Rejected(r, bankhook.Rejection{Status: 403, Reason: bankhook.ReasonIPDenied})
	m.Handled(r, bankhook.Outcome{Status: 200, Key: "k"})
	assert.Equal(t, []string{"a ip_denied", "b ip_denied", "a k", "b k"}, got, "every observer, in order; nil skipped")

	assert.NotPanics(t, func() { bankhook.MultiObserver().Rejected(r, bankhook.Rejection{}) }, "none at all")
}

// TestStageWithoutObserve checks what a chain without Observe logs: a
// stage reports to a NewSlogObserver(SlogObserverOptions{}) of its own, whose sampler holds a
// flood back, while Reject called outside the stages logs every call.
func TestStageWithoutObserve(t *testing.T) {
	const flood = 100
	tests := []struct {
		name    string
		h       http.Handler
		sampled bool
	}{
		{"a stage samples", bankhook.AllowIPs(bankhook.MustIPAllowlist())(http.NotFoundHandler()), true},
		{"Reject on its own logs every call", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			bankhook.Reject(w, r, http.StatusForbidden, bankhook.ReasonIPDenied, nil)
		}), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			prev := slog.Default()
			slog.SetDefault(captureLog(&buf))
			t.Cleanup(func() { slog.SetDefault(prev) })

			for range flood {
				r := httptest.NewRequest(http.MethodPost, "/", nil)
				r.RemoteAddr = "203.0.113.9:4000"
				rec := serveGuard(tc.h, r)
				problemOf(t, rec, http.StatusForbidden, bankhook.ReasonIPDenied)
			}
			recs := logRecords(t, &buf)
			require.NotEmpty(t, recs)
			assert.Equal(t, "ip_denied", recs[0]["reason"])
			if tc.sampled {
				assert.Less(t, len(recs), flood, "the stage's sampler held most of the flood back")
			} else {
				assert.Len(t, recs, flood)
			}
		})
	}
}
