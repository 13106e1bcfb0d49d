package bunq_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/bunq"
	"github.com/bankhook/bankhook/hooktest/samples"
)

// bunqSender is an address inside bunq's production range.
const bunqSender = "185.40.108.10:40122"

func sample(t *testing.T, name string) []byte {
	t.Helper()
	b, ok := samples.Bunq(name)
	require.True(t, ok, "no sample %s", name)
	return b
}

func deliver(t *testing.T, h http.Handler, target, remote string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(string(body)))
	r.Header.Set("Content-Type", "application/json")
	r.RemoteAddr = remote
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func problemReason(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	var p struct {
		Reason string `json:"reason"`
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &p), w.Body.String())
	return p.Reason
}

// quiet keeps the tests' output free of the default slog lines.
var quiet = bankhook.ObserverFuncs{}

func TestNewReceiverConfig(t *testing.T) {
	handler := func(context.Context, *bunq.Notification) error { return nil }
	tests := []struct {
		name    string
		cfg     bunq.Config
		wantErr string
	}{
		{"handler only", bunq.Config{Handler: handler}, ""},
		{"routes only", bunq.Config{Routes: []bunq.Route{bunq.On(func(context.Context, *bunq.Notification, *bunq.Payment) error { return nil })}}, ""},
		{"nothing to call", bunq.Config{}, "needs a Handler or Routes"},
		{"zero route", bunq.Config{Routes: []bunq.Route{{}}}, "Routes[0] was not built with On"},
		{"type routed twice", bunq.Config{Routes: []bunq.Route{
			bunq.On(func(context.Context, *bunq.Notification, *bunq.Payment) error { return nil }),
			bunq.On(func(context.Context, *bunq.Notification, *bunq.Payment) error { return nil }),
		}}, "*bunq.Payment routed twice"},
		{"bad trusted proxy", bunq.Config{Handler: handler, ReceiverOptions: bankhook.ReceiverOptions{TrustedProxies: []string{"proxy"}}}, `"proxy"`},
		{"sandbox without token", bunq.Config{Handler: handler, Sandbox: true}, "needs Tokens"},
		{"sandbox with token", bunq.Config{Handler: handler, Sandbox: true, ReceiverOptions: bankhook.ReceiverOptions{Tokens: []string{"s3cret"}}}, ""},
		{"sandbox with allow", bunq.Config{Handler: handler, Sandbox: true, ReceiverOptions: bankhook.ReceiverOptions{Allow: bankhook.MustIPAllowlist("3.120.0.0/14")}}, ""},
		{"only empty tokens", bunq.Config{Handler: handler, ReceiverOptions: bankhook.ReceiverOptions{Tokens: []string{""}}}, "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := bunq.NewReceiver(tt.cfg)
			if tt.wantErr == "" {
				require.NoError(t, err)
				require.NotNil(t, h)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.True(t, strings.HasPrefix(err.Error(), "bunq: "), err.Error())
		})
	}
}

func TestNewReceiverGuards(t *testing.T) {
	body := sample(t, "MUTATION")
	var calls atomic.Int32
	h, err := bunq.NewReceiver(bunq.Config{
		Handler:         func(context.Context, *bunq.Notification) error { calls.Add(1); return nil },
		ReceiverOptions: bankhook.ReceiverOptions{Observer: quiet},
	})
	require.NoError(t, err)

	tests := []struct {
		name       string
		remote     string
		method     string
		ctype      string
		body       string
		wantStatus int
		wantReason string
	}{
		{"loopback is not bunq", "127.0.0.1:5000", http.MethodPost, "application/json", string(body), 403, "ip_denied"},
		{"outside the /22", "185.40.112.1:5000", http.MethodPost, "application/json", string(body), 403, "ip_denied"},
		{"mapped bunq address", "[::ffff:185.40.111.254]:5000", http.MethodPost, "application/json", "{}", 400, "bad_payload"},
		{"GET", bunqSender, http.MethodGet, "application/json", "", 405, "method_not_allowed"},
		{"form body", bunqSender, http.MethodPost, "application/x-www-form-urlencoded", "a=b", 415, "unsupported_media_type"},
		{"not a notification", bunqSender, http.MethodPost, "application/json", `{"NotificationUrl":"x"}`, 400, "bad_payload"},
		{"too large", bunqSender, http.MethodPost, "application/json", `"` + strings.Repeat("a", 1<<20) + `"`, 413, "body_too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, "/bunq", strings.NewReader(tt.body))
			r.Header.Set("Content-Type", tt.ctype)
			r.RemoteAddr = tt.remote
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			assert.Equal(t, tt.wantStatus, w.Code)
			assert.Equal(t, tt.wantReason, problemReason(t, w))
		})
	}
	assert.Zero(t, calls.Load(), "no rejected request reaches the handler")
}

func TestNewReceiverHandlesOnce(t *testing.T) {
	body := sample(t, "MUTATION")
	var calls atomic.Int32
	h, err := bunq.NewReceiver(bunq.Config{
		Handler: func(_ context.Context, n *bunq.Notification) error {
			calls.Add(1)
			p, ok := n.Object.(*bunq.Payment)
			require.True(t, ok)
			assert.Equal(t, "-24.95", p.Amount.Value.String())
			return nil
		},
		ReceiverOptions: bankhook.ReceiverOptions{Observer: quiet},
	})
	require.NoError(t, err)

	first := deliver(t, h, "/bunq", bunqSender, body)
	assert.Equal(t, http.StatusOK, first.Code)
	assert.Empty(t, first.Header().Get(bankhook.HeaderIdempotentReplayed))

	// bunq's retry, possibly reformatted, from another of its addresses.
	var v any
	require.NoError(t, json.Unmarshal(body, &v))
	compact, err := json.Marshal(v)
	require.NoError(t, err)
	again := deliver(t, h, "/bunq", "185.40.109.77:1234", compact)
	assert.Equal(t, http.StatusOK, again.Code)
	assert.Equal(t, "true", again.Header().Get(bankhook.HeaderIdempotentReplayed))
	assert.Equal(t, int32(1), calls.Load())
}

func TestNewReceiverRetriesFailures(t *testing.T) {
	body := sample(t, "PAYMENT")
	var calls atomic.Int32
	h, err := bunq.NewReceiver(bunq.Config{
		Handler: func(context.Context, *bunq.Notification) error {
			if calls.Add(1) == 1 {
				return errors.New("database down")
			}
			return nil
		},
		ReceiverOptions: bankhook.ReceiverOptions{Observer: quiet},
	})
	require.NoError(t, err)

	w := deliver(t, h, "/bunq", bunqSender, body)
	assert.Equal(t, http.StatusInternalServerError, w.Code)
	assert.Equal(t, "handler_failed", problemReason(t, w))
	assert.NotContains(t, w.Body.String(), "database down", "internal error text never reaches the sender")

	w = deliver(t, h, "/bunq", bunqSender, body)
	assert.Equal(t, http.StatusOK, w.Code, "the retry after a failure is handled")
	assert.Equal(t, int32(2), calls.Load())
}

func TestNewReceiverRoutes(t *testing.T) {
	var payments, cards, others atomic.Int32
	h, err := bunq.NewReceiver(bunq.Config{
		Routes: []bunq.Route{
			bunq.On(func(_ context.Context, n *bunq.Notification, p *bunq.Payment) error {
				payments.Add(1)
				assert.NotZero(t, p.ID)
				return nil
			}),
			bunq.On(func(_ context.Context, n *bunq.Notification, m *bunq.MasterCardAction) error {
				cards.Add(1)
				return nil
			}),
		},
		Handler:         func(context.Context, *bunq.Notification) error { others.Add(1); return nil },
		ReceiverOptions: bankhook.ReceiverOptions{Observer: quiet},
	})
	require.NoError(t, err)

	for _, name := range []string{"MUTATION", "CARD_TRANSACTION_SUCCESSFUL", "BILLING"} {
		w := deliver(t, h, "/bunq", bunqSender, sample(t, name))
		require.Equal(t, http.StatusOK, w.Code, name)
	}
	assert.Equal(t, int32(1), payments.Load())
	assert.Equal(t, int32(1), cards.Load())
	assert.Equal(t, int32(1), others.Load(), "an invoice goes to Handler")
}

func TestNewReceiverUnhandled(t *testing.T) {
	route := bunq.On(func(context.Context, *bunq.Notification, *bunq.Payment) error { return nil })

	t.Run("acknowledged by default", func(t *testing.T) {
		h, err := bunq.NewReceiver(bunq.Config{Routes: []bunq.Route{route}, ReceiverOptions: bankhook.ReceiverOptions{Observer: quiet, Logger: discardLogger()}})
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, deliver(t, h, "/bunq", bunqSender, sample(t, "CHAT")).Code)
	})
	t.Run("refused when configured", func(t *testing.T) {
		h, err := bunq.NewReceiver(bunq.Config{
			Routes:          []bunq.Route{route},
			Unhandled:       func(context.Context, *bunq.Notification) error { return &bankhook.StatusError{Status: 503} },
			ReceiverOptions: bankhook.ReceiverOptions{Observer: quiet},
		})
		require.NoError(t, err)
		assert.Equal(t, http.StatusServiceUnavailable, deliver(t, h, "/bunq", bunqSender, sample(t, "CHAT")).Code)
	})
}

func TestNewReceiverSandboxToken(t *testing.T) {
	body := sample(t, "MUTATION")
	h, err := bunq.NewReceiver(bunq.Config{
		Handler:         func(context.Context, *bunq.Notification) error { return nil },
		Sandbox:         true,
		ReceiverOptions: bankhook.ReceiverOptions{Tokens: []string{"old-secret", "new-secret"}, Observer: quiet},
	})
	require.NoError(t, err)

	// The sandbox calls from AWS addresses nobody lists: the token decides.
	const aws = "3.121.8.9:443"
	assert.Equal(t, http.StatusUnauthorized, deliver(t, h, "/bunq", aws, body).Code)
	assert.Equal(t, http.StatusUnauthorized, deliver(t, h, "/bunq?token=guess", aws, body).Code)
	assert.Equal(t, http.StatusOK, deliver(t, h, "/bunq?token=new-secret", aws, body).Code)
}

func TestNewReceiverTrustedProxy(t *testing.T) {
	body := sample(t, "MUTATION")
	h, err := bunq.NewReceiver(bunq.Config{
		Handler:         func(context.Context, *bunq.Notification) error { return nil },
		ReceiverOptions: bankhook.ReceiverOptions{TrustedProxies: []string{"10.0.0.0/8"}, Observer: quiet},
	})
	require.NoError(t, err)

	req := func(remote, xff string) int {
		r := httptest.NewRequest(http.MethodPost, "/bunq", strings.NewReader(string(body)))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("X-Forwarded-For", xff)
		r.RemoteAddr = remote
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	assert.Equal(t, http.StatusOK, req("10.1.2.3:80", "185.40.108.20"), "bunq behind our load balancer")
	assert.Equal(t, http.StatusForbidden, req("10.1.2.3:80", "185.40.108.20, 203.0.113.9"), "the right-most untrusted hop decides")
	assert.Equal(t, http.StatusForbidden, req("203.0.113.9:80", "185.40.108.20"), "a forged header from an untrusted peer is ignored")
}

// Every option of bankhook.ReceiverOptions reaches a bunq receiver,
// including those the bank's own fields say nothing about.
func TestNewReceiverPipelineOptions(t *testing.T) {
	body := sample(t, "MUTATION")
	handler := func(context.Context, *bunq.Notification) error { return nil }
	tests := []struct {
		name       string
		set        func(*bunq.Config)
		remote     string
		wantStatus int
		wantReason string
	}{
		{"Allow replaces the production ranges", func(c *bunq.Config) { c.Allow = bankhook.MustIPAllowlist("203.0.113.0/24") }, "203.0.113.7:1", 200, ""},
		{"and bunq's own addresses are then refused", func(c *bunq.Config) { c.Allow = bankhook.MustIPAllowlist("203.0.113.0/24") }, bunqSender, 403, "ip_denied"},
		{"Verifier", func(c *bunq.Config) {
			c.Verifier = bankhook.Verifier(func(*http.Request, []byte) error { return errors.New("no signature") })
		}, bunqSender, 401, "bad_signature"},
		{"Body", func(c *bunq.Config) { c.Body.MaxBytes = 64 }, bunqSender, 413, "body_too_large"},
		{"RateLimit", func(c *bunq.Config) { c.RateLimit = bankhook.RateLimitOptions{Rate: 0.001, Burst: 1} }, bunqSender, 200, ""},
		{"Dedupe", func(c *bunq.Config) { c.Dedupe.FailClosed = true; c.Dedupe.Store = failingStore{} }, bunqSender, 503, "store_unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := bunq.Config{Handler: handler}
			cfg.Observer = quiet
			tt.set(&cfg)
			h, err := bunq.NewReceiver(cfg)
			require.NoError(t, err)
			w := deliver(t, h, "/bunq", tt.remote, body)
			assert.Equal(t, tt.wantStatus, w.Code)
			if tt.wantReason != "" {
				assert.Equal(t, tt.wantReason, problemReason(t, w))
			}
			if tt.name == "RateLimit" {
				assert.Equal(t, http.StatusTooManyRequests, deliver(t, h, "/bunq", tt.remote, body).Code, "the burst of 1 is spent")
			}
		})
	}
}

// failingStore is a dedupe store that is always down.
type failingStore struct{}

func (failingStore) Reserve(context.Context, string, time.Duration) (bankhook.Reservation, error) {
	return bankhook.Reservation{}, errors.New("store down")
}
func (failingStore) Complete(context.Context, string, string, int, time.Duration) error {
	return errors.New("store down")
}
func (failingStore) Release(context.Context, string, string) error { return errors.New("store down") }

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// A bunq receiver mounted next to the application's own routes. The
// request comes from bunq's production range and carries a payment.
func ExampleNewReceiver() {
	cfg := bunq.Config{
		Routes: []bunq.Route{
			bunq.On(func(ctx context.Context, n *bunq.Notification, p *bunq.Payment) error {
				fmt.Printf("payment %d: %s %s (%s)\n", p.ID, p.Amount.Value, p.Amount.Currency, n.Category)
				return nil // acknowledged: bunq stops retrying
			}),
		},
	}
	cfg.Observer = bankhook.ObserverFuncs{} // the pipeline's options are set by name; this one keeps the output clean
	receiver, err := bunq.NewReceiver(cfg)
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/bunq", receiver)

	body, _ := samples.Bunq("MUTATION")
	for range 2 { // bunq's retry of the same callback is not handled twice
		r := httptest.NewRequest(http.MethodPost, "/webhooks/bunq", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.RemoteAddr = "185.40.108.10:40122"
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		fmt.Printf("%d replayed=%q\n", w.Code, w.Header().Get("Idempotent-Replayed"))
	}
	// Output:
	// payment 2938471: -24.95 EUR (MUTATION)
	// 200 replayed=""
	// 200 replayed="true"
}

// TestNewReceiverMiddleware checks that ReceiverOptions.Middleware reaches
// the bunq receiver and wraps every request, rejected ones included.
func TestNewReceiverMiddleware(t *testing.T) {
	var wrapped atomic.Int32
	cfg := bunq.Config{Handler: func(context.Context, *bunq.Notification) error { return nil }}
	cfg.Observer = quiet
	cfg.Middleware = []bankhook.Middleware{func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			wrapped.Add(1)
			next.ServeHTTP(w, r)
		})
	}}
	h, err := bunq.NewReceiver(cfg)
	require.NoError(t, err)
	body := sample(t, "MUTATION")
	assert.Equal(t, http.StatusOK, deliver(t, h, "/bunq", bunqSender, body).Code)
	assert.Equal(t, http.StatusForbidden, deliver(t, h, "/bunq", "192.0.2.1:1", body).Code)
	assert.Equal(t, int32(2), wrapped.Load())
}
