package service_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/bankhook/bankhook/examples/internal/service"
	"github.com/bankhook/bankhook/hooktest/samples"
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
				"TRUSTED_PROXIES":       "10.0.0.0/8, 192.0.2.7,2001:db8::1,,198.51.100.9/24,fe80::1%eth0",
			},
			want: service.Config{
				Addr:           "127.0.0.1:9000",
				BunqTokens:     []string{"new", "old"},
				BankhubTokens:  []string{"hub"},
				TrustedProxies: []string{"10.0.0.0/8", "192.0.2.7/32", "2001:db8::1/128", "198.51.100.0/24", "fe80::1/128"},
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

// What each receiver books and answers, in process; the programs' tests
// cover the same over the network.
func TestReceivers(t *testing.T) {
	sample := func(get func(string) ([]byte, bool), name string) []byte {
		b, ok := get(name)
		require.True(t, ok, name)
		return b
	}
	tests := []struct {
		name   string
		bank   string // "bunq" or "bankhub"
		body   []byte
		broken bool // the ledger cannot write
		status int
		booked string // the ledger's line, "" for none
	}{
		{
			name: "bunq mutation", bank: "bunq", body: sample(samples.Bunq, "MUTATION"), status: http.StatusOK,
			booked: `{"bank":"bunq","id":"2938471","amount":"-24.95","currency":"EUR","description":"Order 2025-0042 Boekhandel Centrum"}` + "\n",
		},
		// The same payments come as MUTATION callbacks: booked there.
		{name: "bunq payment", bank: "bunq", body: sample(samples.Bunq, "PAYMENT"), status: http.StatusOK},
		{name: "bunq card transaction, not routed", bank: "bunq", body: sample(samples.Bunq, "CARD_TRANSACTION_SUCCESSFUL"), status: http.StatusOK},
		{
			name: "bankhub transaction", bank: "bankhub", body: sample(samples.Bankhub, "TRANSACTIONS_DEFAULT_UPDATE"), status: http.StatusOK,
			booked: `{"bank":"bankhub","id":"b2e4c6a8-1d3f-4a5b-8c7d-9e0f1a2b3c4d","amount":"123456789012345678","currency":"VND","description":"CONG TY TNHH AN PHAT thanh toan DH10234"}` + "\n",
		},
		{name: "bankhub grant error, not routed", bank: "bankhub", body: sample(samples.Bankhub, "GRANT_ERROR"), status: http.StatusOK},
		// A payment the ledger could not book is not acknowledged: the
		// bank delivers it again.
		{name: "bunq mutation, ledger down", bank: "bunq", body: sample(samples.Bunq, "MUTATION"), broken: true, status: http.StatusInternalServerError},
		{name: "bankhub transaction, ledger down", bank: "bankhub", body: sample(samples.Bankhub, "TRANSACTIONS_DEFAULT_UPDATE"), broken: true, status: http.StatusInternalServerError},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			var w io.Writer = &out
			if tc.broken {
				w = failingWriter{}
			}
			bunqHandler, bankhubHandler, err := service.Receivers(service.Config{}, service.NewLedger(w))
			require.NoError(t, err)
			h, sender := bunqHandler, "185.40.108.17"
			if tc.bank == "bankhub" {
				h, sender = bankhubHandler, "34.87.150.47"
			}
			req := httptest.NewRequest(http.MethodPost, "/webhooks/"+tc.bank, bytes.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/json")
			req.RemoteAddr = sender + ":40000"
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			assert.Equal(t, tc.status, rec.Code, "body %s", rec.Body)
			assert.Equal(t, tc.booked, out.String())
		})
	}
}
