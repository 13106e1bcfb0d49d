package bunqapi

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sign(t *testing.T, key *rsa.PrivateKey, b []byte) string {
	t.Helper()
	sum := sha256.Sum256(b)
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	require.NoError(t, err)
	return base64.StdEncoding.EncodeToString(sig)
}

func TestVerifyResponse(t *testing.T) {
	server, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	body := []byte(`{"Response":[{"Id":{"id":1561}}]}`)
	headers := func(sig string) http.Header {
		h := http.Header{}
		h.Set("Content-Type", "application/json")
		h.Set("X-Bunq-Client-Response-Id", "89dcaa5c-fa55-4068-9822-3f87985d2268")
		h.Set("X-Bunq-Client-Request-Id", "57061b04b67ef")
		if sig != "" {
			h.Set("X-Bunq-Server-Signature", sig)
		}
		return h
	}
	// The pre-2020 scheme, written out by hand as bunq documented it.
	legacy := "200\n" +
		"X-Bunq-Client-Request-Id: 57061b04b67ef\n" +
		"X-Bunq-Client-Response-Id: 89dcaa5c-fa55-4068-9822-3f87985d2268\n" +
		"\n" + string(body)

	tests := []struct {
		name    string
		status  int
		header  http.Header
		body    []byte
		wantErr string
	}{
		{"body", 200, headers(sign(t, server, body)), body, ""},
		{"status, headers and body", 200, headers(sign(t, server, []byte(legacy))), body, ""},
		{"older scheme with another status", 201, headers(sign(t, server, []byte(legacy))), body, "does not verify"},
		{"missing", 200, headers(""), body, "no X-Bunq-Server-Signature"},
		{"other key", 200, headers(sign(t, other, body)), body, "does not verify"},
		{"body changed", 200, headers(sign(t, server, body)), []byte(`{"Response":[]}`), "does not verify"},
		{"not base64", 200, headers("%%%"), body, "not base64"},
		{"empty body signed, body sent", 200, headers(sign(t, server, nil)), body, "does not verify"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := verifyResponse(&server.PublicKey, tt.status, tt.header, tt.body)
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrSignature)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
	t.Run("two signatures", func(t *testing.T) {
		h := headers(sign(t, server, body))
		h.Add("X-Bunq-Server-Signature", sign(t, server, body))
		require.ErrorIs(t, verifyResponse(&server.PublicKey, 200, h, body), ErrSignature)
	})
}

func TestLegacySigned(t *testing.T) {
	h := http.Header{}
	// Header names as a server or proxy may case them, and a header that
	// is not bunq's: only X-Bunq- headers count, in canonical form.
	h["x-bunq-warning"] = []string{"b", "a"}
	h["X-Bunq-Client-Request-Id"] = []string{"r1"}
	h["X-Bunq-Server-Signature"] = []string{"sig"}
	h["Date"] = []string{"today"}
	got := string(legacySigned(404, h, []byte("BODY")))
	assert.Equal(t, "404\nX-Bunq-Client-Request-Id: r1\nX-Bunq-Warning: a\nX-Bunq-Warning: b\n\nBODY", got)
}

func TestSignBody(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	for _, body := range [][]byte{nil, []byte(`{"secret":"k"}`)} {
		sig, err := signBody(key, body)
		require.NoError(t, err)
		raw, err := base64.StdEncoding.DecodeString(sig)
		require.NoError(t, err)
		sum := sha256.Sum256(body)
		assert.NoError(t, rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, sum[:], raw))
	}
}

func TestRetryAfter(t *testing.T) {
	h := func(v string) http.Header { return http.Header{"Retry-After": {v}} }
	assert.Equal(t, 2*time.Second, retryAfter(h("2"), 0))
	assert.Equal(t, 4*maxBackoff, retryAfter(h("3600"), 0), "capped")
	d := retryAfter(h(time.Now().Add(10*time.Second).UTC().Format(http.TimeFormat)), 0)
	assert.InDelta(t, 10*time.Second, d, float64(1500*time.Millisecond), "an HTTP date")
	for n := range 12 {
		want := min(firstBackoff<<n, maxBackoff)
		for range 20 {
			d := retryAfter(h("soon"), n)
			assert.GreaterOrEqual(t, d, want-want/4, "n=%d", n)
			assert.LessOrEqual(t, d, want, "n=%d", n)
		}
	}
	assert.LessOrEqual(t, retryAfter(http.Header{}, 0), firstBackoff)
	var least time.Duration
	for n := range maxRateLimitWaits {
		least += min(firstBackoff<<n, maxBackoff) * 3 / 4
	}
	assert.Greater(t, least, 30*time.Second, "the waits outlast bunq's session-server window even at their shortest")
	assert.LessOrEqual(t, retryAfter(h("-5"), 0), firstBackoff, "a negative value is ignored")
}

func TestRequestIDs(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 1000 {
		id := newRequestID()
		require.Regexp(t, re, id)
		require.False(t, seen[id])
		seen[id] = true
	}
}
