package hooktest_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook/hooktest"
)

func TestNewDeliveryRequest(t *testing.T) {
	body := []byte(`{"NotificationUrl":{}}`)
	d := hooktest.NewDelivery("/bunq/callback", body)
	d.RemoteAddr = hooktest.BunqAddr
	d.Query = url.Values{"token": {"s3cret"}}
	d.Header.Set("User-Agent", "bunq-callback")

	for i := range 2 { // a fresh, readable body for every request
		r := d.Request()
		assert.Equal(t, http.MethodPost, r.Method, "request %d", i)
		assert.Equal(t, "/bunq/callback", r.URL.Path)
		assert.Equal(t, "s3cret", r.URL.Query().Get("token"))
		assert.Equal(t, "/bunq/callback?token=s3cret", r.RequestURI)
		assert.Equal(t, "example.com", r.Host)
		assert.Equal(t, hooktest.BunqAddr, r.RemoteAddr)
		assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
		assert.Equal(t, "bunq-callback", r.Header.Get("User-Agent"))
		assert.EqualValues(t, len(body), r.ContentLength)
		assert.Nil(t, r.TLS)
		got, err := io.ReadAll(r.Body)
		require.NoError(t, err)
		assert.Equal(t, body, got)

		again, err := r.GetBody()
		require.NoError(t, err)
		got, err = io.ReadAll(again)
		require.NoError(t, err)
		assert.Equal(t, body, got)

		r.Header.Set("Content-Type", "text/plain") // must not leak into d
	}
	assert.Equal(t, "application/json", d.Header.Get("Content-Type"))
}

func TestDeliveryTargets(t *testing.T) {
	tests := []struct {
		name       string
		d          hooktest.Delivery
		wantURI    string
		wantHost   string
		wantRemote string
		wantTLS    bool
	}{
		{
			name:       "zero value",
			d:          hooktest.Delivery{},
			wantURI:    "/",
			wantHost:   "example.com",
			wantRemote: hooktest.DefaultRemoteAddr,
		},
		{
			name:       "query merged with the target's",
			d:          hooktest.Delivery{Target: "/hook?a=1", Query: url.Values{"token": {"x y"}}},
			wantURI:    "/hook?a=1&token=x+y",
			wantHost:   "example.com",
			wantRemote: hooktest.DefaultRemoteAddr,
		},
		{
			name:       "absolute https target",
			d:          hooktest.Delivery{Target: "https://hooks.example.org:8443/bankhub", RemoteAddr: hooktest.BankHubAddr},
			wantURI:    "https://hooks.example.org:8443/bankhub",
			wantHost:   "hooks.example.org:8443",
			wantRemote: hooktest.BankHubAddr,
			wantTLS:    true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := tt.d.NewRequest(t.Context())
			require.NoError(t, err)
			assert.Equal(t, http.MethodPost, r.Method)
			assert.Equal(t, tt.wantURI, r.RequestURI)
			assert.Equal(t, tt.wantHost, r.Host)
			assert.Equal(t, tt.wantRemote, r.RemoteAddr)
			assert.Equal(t, tt.wantTLS, r.TLS != nil)
			assert.Equal(t, http.NoBody, r.Body)
			assert.NotNil(t, r.Header)
		})
	}
}

func TestDeliveryInvalid(t *testing.T) {
	tests := []struct {
		name    string
		d       hooktest.Delivery
		wantErr string
	}{
		{"method with a space", hooktest.Delivery{Method: "PO ST"}, `invalid method "PO ST"`},
		{"relative target", hooktest.Delivery{Target: "bunq"}, "target"},
		{"absolute target without host", hooktest.Delivery{Target: "http:/bunq"}, "has no host"},
		{"labelled", hooktest.Delivery{Label: "payment", Target: "::"}, `delivery "payment"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.d.NewRequest(context.Background())
			require.Error(t, err)
			assert.Contains(t, err.Error(), "hooktest: ")
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.Panics(t, func() { tt.d.Request() })
		})
	}
}

func TestDeliveryFromFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "payment.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"id":1}`), 0o600))

	d, err := hooktest.DeliveryFromFile("/bunq", path)
	require.NoError(t, err)
	assert.Equal(t, "payment.json", d.Label)
	assert.Equal(t, []byte(`{"id":1}`), d.Body)
	assert.Equal(t, "application/json", d.Header.Get("Content-Type"))

	_, err = hooktest.DeliveryFromFile("/bunq", filepath.Join(dir, "missing.json"))
	require.ErrorIs(t, err, os.ErrNotExist)
	assert.Contains(t, err.Error(), "hooktest: ")
}
