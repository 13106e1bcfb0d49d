package service_test

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/bankhook/bankhook/bunq"
	"github.com/bankhook/bankhook/examples/internal/service"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFromEnv(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want service.Config
		err  string
	}{
		{name: "nothing set", env: nil, want: service.Config{Addr: ":8080"}},
		{
			name: "everything set",
			env: map[string]string{
				"ADDR":                  "127.0.0.1:9000",
				"BUNQ_CALLBACK_TOKEN":   "new, old",
				"BANKHUB_WEBHOOK_TOKEN": "hub",
				"TRUSTED_PROXIES":       "10.0.0.0/8, 192.0.2.7,2001:db8::1,,198.51.100.9/24",
			},
			want: service.Config{
				Addr:           "127.0.0.1:9000",
				BunqTokens:     []string{"new", "old"},
				BankhubTokens:  []string{"hub"},
				TrustedProxies: []string{"10.0.0.0/8", "192.0.2.7/32", "2001:db8::1/128", "198.51.100.0/24"},
			},
		},
		{name: "empty entries only", env: map[string]string{"BUNQ_CALLBACK_TOKEN": " , ", "TRUSTED_PROXIES": ","}, want: service.Config{Addr: ":8080"}},
		{name: "bad proxy", env: map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8,lb.internal"}, err: `"lb.internal"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := service.FromEnv(func(k string) string { return tc.env[k] })
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestReceiversRefuseBadConfig(t *testing.T) {
	_, _, err := service.Receivers(service.Config{TrustedProxies: []string{"10.0.0.300/8"}}, service.NewLedger(nil))
	require.ErrorContains(t, err, "10.0.0.300")
}

// failingWriter stands for a database that is down.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// A payment the ledger could not book is not acknowledged: the bank
// delivers it again.
func TestUnbookedIsNotAcknowledged(t *testing.T) {
	bunqHandler, _, err := service.Receivers(service.Config{}, service.NewLedger(failingWriter{}))
	require.NoError(t, err)
	body, ok := bunq.Sample("MUTATION")
	require.True(t, ok)
	req := httptest.NewRequest(http.MethodPost, "/webhooks/bunq", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.RemoteAddr = "185.40.108.17:40000"
	rec := httptest.NewRecorder()
	bunqHandler.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.Contains(t, rec.Body.String(), `"reason":"handler_failed"`)
}
