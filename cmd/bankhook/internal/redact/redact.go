// Package redact removes secrets from what the command logs, prints and
// shows: the query string of a callback URL holds its token, the user part
// of a URL may hold a password, and a request's Authorization header holds
// a credential.
package redact

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// Placeholder replaces a secret that [Query] and [Header] hide.
const Placeholder = "REDACTED"

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

// Query returns the request URI uri ("/bunq?token=s3cret&x=1") with the
// value of every query parameter named param replaced by [Placeholder]
// ("/bunq?token=REDACTED&x=1"); the rest is kept byte for byte. A
// parameter counts as named param when its unescaped name is param, so
// "t%6Fken" is hidden as well as "token". A fragment is dropped.
func Query(uri, param string) string {
	uri, _, _ = strings.Cut(uri, "#")
	path, query, ok := strings.Cut(uri, "?")
	if !ok {
		return uri
	}
	parts := strings.Split(query, "&")
	for i, p := range parts {
		name, _, _ := strings.Cut(p, "=")
		if n, err := url.QueryUnescape(name); err != nil || n == param {
			// A name that does not unescape may be the parameter spelled
			// oddly: hide it too.
			parts[i] = name + "=" + Placeholder
		}
	}
	return path + "?" + strings.Join(parts, "&")
}

// credentialHeaders are the request headers whose values are secrets.
var credentialHeaders = []string{"Authorization", "Proxy-Authorization", "Cookie"}

// Header returns a copy of h in which the credentials are hidden: an
// Authorization or Proxy-Authorization value keeps its scheme ("Bearer
// REDACTED"), a Cookie is replaced by [Placeholder]. h is not modified.
func Header(h http.Header) http.Header {
	c := h.Clone()
	if c == nil {
		return http.Header{}
	}
	for _, name := range credentialHeaders {
		vs := c.Values(name)
		if len(vs) == 0 {
			continue
		}
		hidden := make([]string, len(vs))
		for i, v := range vs {
			hidden[i] = Placeholder
			if scheme, _, ok := strings.Cut(strings.TrimSpace(v), " "); ok && name != "Cookie" {
				hidden[i] = scheme + " " + Placeholder
			}
		}
		c[http.CanonicalHeaderKey(name)] = hidden
	}
	return c
}
