package redact

import (
	"errors"
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
