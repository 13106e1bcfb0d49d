package bunqapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/bankhook/bankhook/bunq"
)

// Errors reported by the client, wrapped with details; test for them with
// [errors.Is].
var (
	// ErrSignature: a 2xx response carried no X-Bunq-Server-Signature, or
	// one that does not verify with the server's key. Nothing in the
	// response was used.
	ErrSignature = errors.New("bunqapi: response signature missing or invalid")
	// ErrContextFile: a context file is unsafe (readable by other users)
	// or malformed.
	ErrContextFile = errors.New("bunqapi: context file")
	// ErrResponse: a 2xx response verified but does not have the shape
	// bunq documents for the call.
	ErrResponse = errors.New("bunqapi: unexpected response")
)

// Error is an answer from bunq that is not 2xx. It carries the status and
// bunq's own error descriptions:
//
//	{"Error":[{"error_description":"…","error_description_translated":"…"}]}
//
// Descriptions is empty when the body was not bunq's error envelope (a
// proxy's 502 page, say). bunq does not promise to sign error responses,
// and bunq's SDKs do not check them: the client uses an error answer only
// for its status, never for data.
//
// Test for one with errors.As; [IsStatus] tells the status. An Error is a
// value the client does not touch once returned: safe to read from any
// goroutine.
type Error struct {
	Method       string              // the request's method, "POST"
	Path         string              // the request's path without the query, "/v1/user/42/notification-filter-url"
	StatusCode   int                 // the HTTP status, 400 and up
	Descriptions []bunq.ErrorMessage // bunq's error descriptions, in English and in the user's language
	ResponseID   string              // X-Bunq-Client-Response-Id, to quote to bunq's support
}

// Error returns "bunqapi: METHOD PATH: STATUS TEXT: description; …".
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "bunqapi: %s %s: %d %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	for i, d := range e.Descriptions {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(d.ErrorDescription)
	}
	return b.String()
}

// IsStatus reports whether err is (or wraps) an [*Error] with the given
// status code.
func IsStatus(err error, status int) bool {
	var e *Error
	return errors.As(err, &e) && e.StatusCode == status
}
