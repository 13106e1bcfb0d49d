package bankhub_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/bankhub"
	"github.com/bankhook/bankhook/hooktest/samples"
)

const bankhubSender = "34.87.150.47:51234"

func post(h http.Handler, target, remote string, body []byte) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.RemoteAddr = remote
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestNewReceiverConfig(t *testing.T) {
	handler := func(context.Context, *bankhub.Webhook) error { return nil }
	tests := []struct {
		name    string
		cfg     bankhub.Config
		wantErr string
	}{
		{"handler only", bankhub.Config{Handler: handler}, ""},
		{"nothing to call", bankhub.Config{}, "needs a Handler or Routes"},
		{"zero route", bankhub.Config{Routes: []bankhub.Route{{}}}, "Routes[0] was not built with On"},
		{"event routed twice", bankhub.Config{Routes: []bankhub.Route{
			bankhub.On(func(context.Context, *bankhub.Webhook, *bankhub.NewTransaction) error { return nil }),
			bankhub.On(func(context.Context, *bankhub.Webhook, *bankhub.NewTransaction) error { return nil }),
		}}, "*bankhub.NewTransaction routed twice"},
		{"lease shorter than deadline", bankhub.Config{Handler: handler, ReceiverOptions: bankhook.ReceiverOptions{Deadline: 90 * time.Second}}, "lease"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := bankhub.NewReceiver(tt.cfg)
			if tt.wantErr == "" {
				require.NoError(t, err)
				require.NotNil(t, h)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

func TestNewReceiverSenders(t *testing.T) {
	body := readBody(t, "TRANSACTIONS_DEFAULT_UPDATE.json")
	ok := func(context.Context, *bankhub.Webhook) error { return nil }
	tests := []struct {
		name    string
		sandbox bool
		allow   *bankhook.IPAllowlist
		remote  string
		want    int
	}{
		{"production sender 1", false, nil, "34.87.150.47:1", http.StatusOK},
		{"production sender 2", false, nil, "34.124.145.244:1", http.StatusOK},
		{"sandbox sender refused in production", false, nil, "20.2.69.168:1", http.StatusForbidden},
		{"sandbox sender", true, nil, "20.2.69.168:1", http.StatusOK},
		{"production sender refused in sandbox", true, nil, "34.87.150.47:1", http.StatusForbidden},
		{"neighbour address", false, nil, "34.87.150.48:1", http.StatusForbidden},
		{"Allow replaces the defaults", true, bankhook.MustIPAllowlist("198.51.100.0/24"), "198.51.100.9:1", http.StatusOK},
		{"even the sandbox sender's", true, bankhook.MustIPAllowlist("198.51.100.0/24"), "20.2.69.168:1", http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := bankhub.Config{Handler: ok, Sandbox: tt.sandbox}
			cfg.Allow = tt.allow
			cfg.Observer = bankhook.ObserverFuncs{}
			h, err := bankhub.NewReceiver(cfg)
			require.NoError(t, err)
			assert.Equal(t, tt.want, post(h, "/bankhub", tt.remote, body).Code)
		})
	}
}

func TestNewReceiverRoutesAndDedupe(t *testing.T) {
	var txs, grants, revoked atomic.Int32
	h, err := bankhub.NewReceiver(bankhub.Config{
		Routes: []bankhub.Route{
			bankhub.On(func(_ context.Context, _ *bankhub.Webhook, e *bankhub.NewTransaction) error {
				txs.Add(1)
				assert.Equal(t, "123456789012345678", e.Transaction.Amount.String())
				return nil
			}),
			bankhub.On(func(_ context.Context, _ *bankhub.Webhook, e *bankhub.GrantFailed) error {
				grants.Add(1)
				assert.NotEmpty(t, e.GrantID)
				return nil
			}),
		},
		Handler:         func(context.Context, *bankhub.Webhook) error { revoked.Add(1); return nil },
		ReceiverOptions: bankhook.ReceiverOptions{Observer: bankhook.ObserverFuncs{}},
	})
	require.NoError(t, err)

	for _, name := range []string{"TRANSACTIONS_DEFAULT_UPDATE", "GRANT_ERROR", "GRANT_USER_PERMISSION_REVOKED"} {
		body := readBody(t, name+".json")
		for attempt := range 3 { // bankHub's retries of one delivery
			w := post(h, "/bankhub", bankhubSender, body)
			require.Equal(t, http.StatusOK, w.Code, name)
			assert.Equal(t, attempt > 0, w.Header().Get(bankhook.HeaderIdempotentReplayed) == "true")
		}
	}
	assert.Equal(t, int32(1), txs.Load())
	assert.Equal(t, int32(1), grants.Load())
	assert.Equal(t, int32(1), revoked.Load())
}

func TestNewReceiverBadPayloadNamesField(t *testing.T) {
	h, err := bankhub.NewReceiver(bankhub.Config{
		Handler:         func(context.Context, *bankhub.Webhook) error { return nil },
		ReceiverOptions: bankhook.ReceiverOptions{Observer: bankhook.ObserverFuncs{}},
	})
	require.NoError(t, err)
	w := post(h, "/bankhub", bankhubSender, []byte(`{"webhookType":"TRANSACTIONS","webhookCode":"DEFAULT_UPDATE","transaction":{"id":"t1","amount":"ten"}}`))
	require.Equal(t, http.StatusBadRequest, w.Code)
	var p struct{ Reason, Field string }
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &p))
	assert.Equal(t, "bad_payload", p.Reason)
	assert.Equal(t, "/transaction/amount", p.Field)
}

// A bankHub receiver in a mux, with one typed function per kind of event.
func ExampleNewReceiver() {
	receiver, err := bankhub.NewReceiver(bankhub.Config{
		Routes: []bankhub.Route{
			bankhub.On(func(ctx context.Context, w *bankhub.Webhook, e *bankhub.NewTransaction) error {
				tx := e.Transaction
				fmt.Println("new transaction", tx.ID, tx.Amount, tx.Currency)
				return nil
			}),
			bankhub.On(func(ctx context.Context, w *bankhub.Webhook, e *bankhub.GrantFailed) error {
				fmt.Println("grant", e.GrantID, "needs the user:", e.Error.ErrorCode)
				return nil
			}),
		},
		ReceiverOptions: bankhook.ReceiverOptions{Observer: bankhook.ObserverFuncs{}},
	})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/bankhub", receiver)

	for _, name := range []string{"TRANSACTIONS_DEFAULT_UPDATE", "GRANT_ERROR"} {
		body, _ := samples.Bankhub(name)
		r := httptest.NewRequest(http.MethodPost, "/webhooks/bankhub", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.RemoteAddr = "34.124.145.244:443"
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		fmt.Println(w.Code)
	}
	// Output:
	// new transaction b2e4c6a8-1d3f-4a5b-8c7d-9e0f1a2b3c4d 123456789012345678 VND
	// 200
	// grant 8c3f2a10-5b7e-4d21-9f6a-1e2d3c4b5a69 needs the user: OTP_REQUIRED
	// 200
}

// TestNewReceiverMiddleware checks that ReceiverOptions.Middleware reaches
// the bankHub receiver and wraps every request, rejected ones included.
func TestNewReceiverMiddleware(t *testing.T) {
	var wrapped atomic.Int32
	cfg := bankhub.Config{Handler: func(context.Context, *bankhub.Webhook) error { return nil }}
	cfg.Observer = bankhook.ObserverFuncs{}
	cfg.Middleware = []bankhook.Middleware{func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			wrapped.Add(1)
			next.ServeHTTP(w, r)
		})
	}}
	h, err := bankhub.NewReceiver(cfg)
	require.NoError(t, err)
	body := readBody(t, "TRANSACTIONS_DEFAULT_UPDATE.json")
	assert.Equal(t, http.StatusOK, post(h, "/bankhub", bankhubSender, body).Code)
	assert.Equal(t, http.StatusForbidden, post(h, "/bankhub", "192.0.2.1:1", body).Code)
	assert.Equal(t, int32(2), wrapped.Load())
}
