package redact

import (
	"errors"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestURL(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"token in the query", "https://example.com/bunq?token=s3cret", "https://example.com/bunq"},
		{"password in the user part", "https://user:pw@example.com/hook#frag", "https://example.com/hook"},
		{"nothing to hide", "http://127.0.0.1:8080/bankhub", "http://127.0.0.1:8080/bankhub"},
		{"not a URL", "http://[::1%zz/?token=s3cret", "(URL)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, URL(tc.in))
		})
	}
}

func TestError(t *testing.T) {
	cause := errors.New("connection refused")
	err := Error(&url.Error{Op: "Post", URL: "https://example.com/bunq?token=s3cret", Err: cause})
	assert.Equal(t, `Post "https://example.com/bunq": connection refused`, err.Error())
	assert.ErrorIs(t, err, cause, "the cause is kept")

	plain := errors.New("plain")
	assert.Same(t, plain, Error(plain), "other errors are returned as they are")
}

func TestQuery(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"token alone", "/bunq?token=s3cret", "/bunq?token=REDACTED"},
		{"other parameters kept", "/bunq?a=1&token=s3cret&b=%20x", "/bunq?a=1&token=REDACTED&b=%20x"},
		{"every occurrence", "/bunq?token=one&token=two", "/bunq?token=REDACTED&token=REDACTED"},
		{"escaped name", "/bunq?t%6Fken=s3cret", "/bunq?t%6Fken=REDACTED"},
		{"name that does not unescape", "/bunq?tok%zzen=s3cret", "/bunq?tok%zzen=REDACTED"},
		{"no value", "/bunq?token", "/bunq?token=REDACTED"},
		{"no query", "/bunq", "/bunq"},
		{"fragment dropped", "/bunq?token=s3cret#frag", "/bunq?token=REDACTED"},
		{"a similar name kept", "/bunq?tokens=1", "/bunq?tokens=1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, Query(tc.in, "token"))
		})
	}
}

func TestHeader(t *testing.T) {
	h := http.Header{
		"Authorization":       {"Bearer abc.def"},
		"Proxy-Authorization": {"Basic dXNlcjpwdw=="},
		"Cookie":              {"session=s3cret"},
		"Content-Type":        {"application/json"},
	}
	got := Header(h)
	assert.Equal(t, http.Header{
		"Authorization":       {"Bearer REDACTED"},
		"Proxy-Authorization": {"Basic REDACTED"},
		"Cookie":              {"REDACTED"},
		"Content-Type":        {"application/json"},
	}, got)
	assert.Equal(t, "Bearer abc.def", h.Get("Authorization"), "the original is not modified")

	assert.Equal(t, http.Header{"Authorization": {"REDACTED"}}, Header(http.Header{"Authorization": {"s3cret"}}),
		"a value without a scheme is hidden whole")
	assert.Equal(t, http.Header{}, Header(nil))
}
