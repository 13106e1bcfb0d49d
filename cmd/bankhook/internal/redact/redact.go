// Package redact removes secrets from what the command logs and prints:
// the query string of a callback URL holds its token, and the user part
// of a URL may hold a password.
package redact

import (
	"errors"
	"net/url"
)

// URL drops the query, fragment and credentials of u. A value that does
// not parse as a URL is replaced as a whole: it may be a secret itself.
func URL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(URL)"
	}
	p.User, p.RawQuery, p.Fragment = nil, "", ""
	return p.String()
}

// Error returns err with the URL of a *url.Error (what net/http's client
// returns) redacted by [URL]; any other error is returned as it is.
func Error(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return &url.Error{Op: ue.Op, URL: URL(ue.URL), Err: ue.Err}
	}
	return err
}
