package bankhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
)

func TestRequireToken(t *testing.T) {
	const (
		oldToken = "0ld-s3cret-rotating-out"
		newToken = "n3w-s3cret-rotating-in"
	)
	tests := []struct {
		name    string
		param   string
		tokens  []string
		query   string
		allowed bool
		noToken bool // the rejection reports ErrNoTokens
	}{
		{name: "old token", tokens: []string{oldToken, newToken}, query: "token=" + oldToken, allowed: true},
		{name: "new token", tokens: []string{oldToken, newToken}, query: "token=" + newToken, allowed: true},
		{name: "among other parameters", tokens: []string{oldToken}, query: "a=1&token=" + oldToken + "&b=2", allowed: true},
		{name: "escaped token", tokens: []string{"a b/c"}, query: "token=a+b%2Fc", allowed: true},
		{name: "missing", tokens: []string{oldToken, newToken}, query: ""},
		{name: "wrong", tokens: []string{oldToken, newToken}, query: "token=guess"},
		{name: "empty value", tokens: []string{oldToken, newToken}, query: "token="},
		{name: "prefix of a token", tokens: []string{oldToken}, query: "token=" + oldToken[:5]},
		{name: "token with a suffix", tokens: []string{oldToken}, query: "token=" + oldToken + "x"},
		{name: "case matters", tokens: []string{oldToken}, query: "token=" + strings.ToUpper(oldToken)},
		{name: "first value counts", tokens: []string{oldToken}, query: "token=guess&token=" + oldToken},
		{name: "other parameter name", tokens: []string{oldToken}, query: "key=" + oldToken},
		{name: "custom parameter", param: "key", tokens: []string{oldToken}, query: "key=" + oldToken, allowed: true},
		{name: "custom parameter ignores token", param: "key", tokens: []string{oldToken}, query: "token=" + oldToken},
		{name: "empty configured tokens ignored", tokens: []string{"", oldToken, ""}, query: "token=" + oldToken, allowed: true},
		{name: "empty configured token never matches", tokens: []string{"", oldToken}, query: "token="},
		{name: "no tokens refuses everything", tokens: nil, query: "token=", noToken: true},
		{name: "only empty tokens refuse everything", tokens: []string{"", ""}, query: "token=", noToken: true},
		{name: "only empty tokens refuse a missing token", tokens: []string{""}, query: "", noToken: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var obs observed
			final := &reached{}
			h := bankhook.Chain(final, obs.observer(), bankhook.RequireToken(tc.param, tc.tokens...))
			r := httptest.NewRequest(http.MethodPost, "/bunq?"+tc.query, nil)
			r.Body = unreadBody{t}
			rec := serveGuard(h, r)

			if tc.allowed {
				assert.Equal(t, http.StatusNoContent, rec.Code)
				assert.Equal(t, 1, final.calls)
				return
			}
			problemOf(t, rec, http.StatusUnauthorized, bankhook.ReasonBadToken)
			assert.Zero(t, final.calls)
			for _, tok := range tc.tokens {
				if tok != "" {
					assert.NotContains(t, rec.Body.String(), tok)
				}
			}
			require.Len(t, obs.rejected, 1)
			want := bankhook.ErrBadToken
			if tc.noToken {
				want = bankhook.ErrNoTokens
			}
			assert.ErrorIs(t, obs.rejected[0].Err, want)
		})
	}
}

// hmacVerifier checks an HMAC-SHA256 of the body, hex in X-Signature.
func hmacVerifier(key []byte) bankhook.Verifier {
	return bankhook.Verifier(func(r *http.Request, body []byte) error {
		got, err := hex.DecodeString(r.Header.Get("X-Signature"))
		if err != nil {
			return fmt.Errorf("signature not hex: %w", err)
		}
		mac := hmac.New(sha256.New, key)
		mac.Write(body)
		if !hmac.Equal(got, mac.Sum(nil)) {
			return errors.New("signature mismatch for key 7")
		}
		return nil
	})
}

func hmacHex(key []byte, body string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(body))
	return hex.EncodeToString(mac.Sum(nil))
}

func TestVerify(t *testing.T) {
	key := []byte("webhook signing key")
	const body = `{"webhookType":"TRANSACTIONS","webhookCode":"DEFAULT_UPDATE"}`
	tests := []struct {
		name      string
		signature string
		body      string
		allowed   bool
	}{
		{name: "valid", signature: hmacHex(key, body), body: body, allowed: true},
		{name: "empty body signed", signature: hmacHex(key, ""), body: "", allowed: true},
		{name: "missing", body: body},
		{name: "not hex", signature: "zz", body: body},
		{name: "other key", signature: hmacHex([]byte("other"), body), body: body},
		{name: "body changed", signature: hmacHex(key, body), body: body + " "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var obs observed
			final := &bodySeen{}
			h := bankhook.Chain(final, obs.observer(), bankhook.ReadBody(bankhook.BodyOptions{}), bankhook.Verify(hmacVerifier(key)))
			r := jsonPost(tc.body)
			if tc.signature != "" {
				r.Header.Set("X-Signature", tc.signature)
			}
			rec := serveGuard(h, r)

			if tc.allowed {
				require.Equal(t, http.StatusNoContent, rec.Code)
				assert.Equal(t, tc.body, string(final.rbody), "the handler reads the verified body")
				return
			}
			problemOf(t, rec, http.StatusUnauthorized, bankhook.ReasonBadSignature)
			assert.Zero(t, final.calls)
			require.Len(t, obs.rejected, 1)
			require.Error(t, obs.rejected[0].Err, "the verifier's error goes to the Observer")
			assert.NotContains(t, rec.Body.String(), obs.rejected[0].Err.Error())
			assert.NotContains(t, rec.Body.String(), "key 7")
		})
	}
}

func TestVerifyPassesRequestAndBody(t *testing.T) {
	var (
		gotBody []byte
		gotPath string
	)
	v := bankhook.Verifier(func(r *http.Request, body []byte) error {
		gotBody, gotPath = body, r.URL.Path
		return nil
	})
	final := &bodySeen{}
	h := bankhook.Chain(final, bankhook.Observe(bankhook.ObserverFuncs{}), bankhook.ReadBody(bankhook.BodyOptions{}), bankhook.Verify(v))
	serveGuard(h, jsonPost(`{"a":1}`))
	assert.Equal(t, `{"a":1}`, string(gotBody))
	assert.Equal(t, "/hook", gotPath)
	assert.Equal(t, `{"a":1}`, string(final.rbody))
}

func TestVerifyWithoutReadBody(t *testing.T) {
	var obs observed
	final := &reached{}
	called := false
	v := bankhook.Verifier(func(*http.Request, []byte) error { called = true; return nil })
	h := bankhook.Chain(final, obs.observer(), bankhook.Verify(v))
	r := jsonPost(`{}`)
	r.Body = io.NopCloser(unreadBody{t})
	rec := serveGuard(h, r)

	problemOf(t, rec, http.StatusInternalServerError, bankhook.ReasonHandlerFailed)
	assert.False(t, called)
	assert.Zero(t, final.calls)
	require.Len(t, obs.rejected, 1)
	assert.ErrorIs(t, obs.rejected[0].Err, bankhook.ErrNoBody)
}

func TestVerifyNilFailsClosed(t *testing.T) {
	var got bankhook.Rejection
	called := false
	h := bankhook.Chain(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true }),
		bankhook.Observe(bankhook.ObserverFuncs{OnRejected: func(_ *http.Request, rej bankhook.Rejection) { got = rej }}),
		bankhook.ReadBody(bankhook.BodyOptions{}),
		bankhook.Verify(nil),
	)
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{}`))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	assert.Equal(t, http.StatusUnauthorized, w.Code)
	assert.False(t, called)
	assert.Equal(t, bankhook.ReasonBadSignature, got.Reason)
	assert.ErrorIs(t, got.Err, bankhook.ErrNoVerifier)
}
