package inspect

import (
	"crypto/subtle"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// AccessParam is the query parameter of the access token in the address
// [Server.AccessURL] returns: http://127.0.0.1:4040/?token=….
const AccessParam = "token"

// cookiePrefix begins the name of the session cookie; the inspector's
// port ends it (see cookieName).
const cookiePrefix = "bankhook_inspector_"

// unauthorizedDetail is what a request without access is told.
const unauthorizedDetail = "no access: open the address serve logged at start (inspector on http://…/?" + AccessParam + "=…), " +
	"which signs this browser in; the address and the session of an earlier serve no longer work"

// cookieName returns the session cookie's name for a request to host (its
// Host header). A browser keeps cookies per host, not per port, so the
// port is in the name: two inspectors on one loopback address, at
// different ports, keep a session each instead of overwriting one
// another's.
func cookieName(host string) string {
	port := "80"
	if _, p, err := net.SplitHostPort(host); err == nil && p != "" {
		port = p
	}
	return cookiePrefix + port
}

// sameSecret reports whether got equals want, in time that does not
// depend on where they differ. An empty want matches nothing.
func sameSecret(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// requireAccess answers 401 to a request that carries neither the session
// cookie nor the access token, and trades the access token for the cookie:
//
//   - a GET or HEAD with the valid token in AccessParam gets the cookie
//     (HttpOnly, SameSite=Strict, Path=/) and a 303 to the same address
//     without the token, so the token leaves the address bar and the
//     history;
//   - a GET or HEAD with a token that is not valid but the valid cookie
//     gets the same 303 and keeps its cookie; without the cookie, 401;
//   - any other request needs the cookie, or the valid token in the URL.
func (i *Inspector) requireAccess(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := cookieName(r.Host)
		session := false
		if c, err := r.Cookie(name); err == nil {
			session = sameSecret(c.Value, i.session)
		}
		query := r.URL.Query()
		_, given := query[AccessParam]
		token := given && sameSecret(query.Get(AccessParam), i.access)
		switch {
		case !session && !token:
			writeError(w, http.StatusUnauthorized, unauthorizedDetail)
		case given && (r.Method == http.MethodGet || r.Method == http.MethodHead):
			if token {
				http.SetCookie(w, &http.Cookie{
					Name:     name,
					Value:    i.session,
					Path:     "/",
					HttpOnly: true,
					SameSite: http.SameSiteStrictMode,
				})
			}
			query.Del(AccessParam)
			http.Redirect(w, r, withoutToken(r.URL.EscapedPath(), query), http.StatusSeeOther)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// withoutToken returns the address a token was traded at, without it: the
// path and the rest of the query. A path that a browser would read as
// another host ("//host", "/\host") becomes "/".
func withoutToken(path string, rest url.Values) string {
	if !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "//") || strings.HasPrefix(path, `/\`) {
		path = "/"
	}
	if len(rest) > 0 {
		return path + "?" + rest.Encode()
	}
	return path
}
