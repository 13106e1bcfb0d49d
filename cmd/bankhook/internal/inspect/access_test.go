package inspect

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// endpoints are every endpoint of the inspector, with a method each.
var endpoints = []struct{ method, path string }{
	{http.MethodGet, "/"},
	{http.MethodHead, "/"},
	{http.MethodGet, "/static/app.js"},
	{http.MethodGet, "/static/style.css"},
	{http.MethodGet, "/static/nothing.js"},
	{http.MethodGet, "/events"},
	{http.MethodGet, "/deliveries"},
	{http.MethodGet, "/deliveries/1"},
	{http.MethodGet, "/samples"},
	{http.MethodPost, "/deliveries/1/replay"},
	{http.MethodPost, "/samples/bunq/MUTATION"},
	{http.MethodGet, "/no/such/page"},
}

func TestAccessRefusesWithoutCredentials(t *testing.T) {
	f := newFixture(t, Options{})
	f.deliver("/bunq?token="+testToken, "application/json", sample(t, "bunq", "MUTATION"))
	other, err := New(Options{Banks: []Bank{{Name: "bunq", Path: "/bunq"}}})
	require.NoError(t, err)
	name := f.sessionCookie().Name
	for _, cred := range []struct {
		name   string
		query  string
		header []string
	}{
		{"nothing", "", nil},
		{"empty token", "?token=", nil},
		{"wrong token", "?token=" + strings.Repeat("A", len(f.insp.access)), nil},
		{"token of another length", "?token=" + f.insp.access + "A", nil},
		{"token of an earlier process", "?token=" + other.access, nil},
		{"token in another parameter", "?access=" + f.insp.access, nil},
		{"wrong cookie", "", []string{"Cookie", name + "=" + strings.Repeat("A", len(f.insp.session))}},
		{"empty cookie", "", []string{"Cookie", name + "="}},
		{"cookie of an earlier process", "", []string{"Cookie", name + "=" + other.session}},
		{"the access token as the cookie", "", []string{"Cookie", name + "=" + f.insp.access}},
		{"the session under another port's name", "", []string{"Cookie", cookiePrefix + "1=" + f.insp.session}},
		{"the action token as the cookie", "", []string{"Cookie", name + "=" + f.insp.token}},
		{"the action token alone", "", []string{HeaderToken, f.insp.token}},
		{"the session as the action token", "", []string{HeaderToken, f.insp.session}},
		{"the session in Authorization", "", []string{"Authorization", "Bearer " + f.insp.session}},
	} {
		for _, e := range endpoints {
			t.Run(cred.name+"/"+e.method+" "+e.path, func(t *testing.T) {
				// A page's own request: same origin, the action token.
				header := append([]string{HeaderToken, f.insp.token, "Origin", f.page.URL}, cred.header...)
				status, h, body := f.anonRequest(e.method, e.path+cred.query, header...)
				assert.Equal(t, http.StatusUnauthorized, status, string(body))
				assert.Empty(t, h.Values("Set-Cookie"))
				assert.Equal(t, "no-store", h.Get("Cache-Control"))
				if e.method == http.MethodHead {
					return
				}
				assert.Equal(t, "application/json", h.Get("Content-Type"))
				assert.Contains(t, string(body), "open the address serve logged at start")
				for _, secret := range []string{f.insp.access, f.insp.session, f.insp.token, testToken} {
					assert.NotContains(t, string(body), secret)
				}
			})
		}
	}
	assert.Equal(t, int64(1), f.handled.Load(), "no action ran")
	assert.Len(t, f.insp.Deliveries(), 1)
}

func TestAccessTradesTheTokenForACookie(t *testing.T) {
	f := newFixture(t, Options{})
	for _, tc := range []struct {
		name, method, path, location string
	}{
		{"the page", http.MethodGet, "/?token=" + f.insp.access, "/"},
		{"the page again, as a second tab would", http.MethodGet, "/?token=" + f.insp.access, "/"},
		{"HEAD", http.MethodHead, "/?token=" + f.insp.access, "/"},
		{"another address, other parameters kept", http.MethodGet, "/deliveries?a=1&token=" + f.insp.access + "&b=2", "/deliveries?a=1&b=2"},
		{"the token given twice", http.MethodGet, "/?token=" + f.insp.access + "&token=x", "/"},
		{"a path a browser would take for a host", http.MethodGet, "//attacker.example/?token=" + f.insp.access, "/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, h, body := f.anonRequest(tc.method, tc.path)
			require.Equal(t, http.StatusSeeOther, status, string(body))
			assert.Equal(t, tc.location, h.Get("Location"), "the token leaves the address")
			assert.NotContains(t, string(body), f.insp.access)
			assert.Equal(t, "no-store", h.Get("Cache-Control"))
			assert.Equal(t, "no-referrer", h.Get("Referrer-Policy"), "the token is never sent on")

			require.Len(t, h.Values("Set-Cookie"), 1)
			raw := h.Get("Set-Cookie")
			c, err := http.ParseSetCookie(raw)
			require.NoError(t, err)
			assert.Equal(t, f.sessionCookie().Name, c.Name)
			assert.Equal(t, f.insp.session, c.Value, "the session, not the token")
			assert.Equal(t, "/", c.Path)
			assert.True(t, c.HttpOnly, raw)
			assert.Equal(t, http.SameSiteStrictMode, c.SameSite, raw)
			assert.False(t, c.Secure, "plain http on loopback: %s", raw)
			assert.Empty(t, c.Domain, "this host only: %s", raw)
			assert.Zero(t, c.MaxAge, "ends with the browser: %s", raw)
			assert.True(t, c.Expires.IsZero(), raw)
			assert.NotContains(t, raw, f.insp.access)

			// The cookie opens every endpoint.
			for _, e := range []string{"/", "/static/app.js", "/deliveries", "/samples"} {
				status, _, body := f.request(http.MethodGet, e, false, "Cookie", c.Name+"="+c.Value)
				assert.Equal(t, http.StatusOK, status, "%s: %s", e, body)
			}
		})
	}
}

func TestAccessWithCookieAndToken(t *testing.T) {
	f := newFixture(t, Options{})
	cookie := f.sessionCookie().String()

	// A wrong or stale token in the address of a browser that has the
	// session: it leaves the address, the session stays.
	status, h, _ := f.anonRequest(http.MethodGet, "/?token=STALE", "Cookie", cookie)
	assert.Equal(t, http.StatusSeeOther, status)
	assert.Equal(t, "/", h.Get("Location"))
	assert.Empty(t, h.Values("Set-Cookie"))

	// The valid token with a wrong cookie: traded for the right one.
	status, h, _ = f.anonRequest(http.MethodGet, "/?token="+f.insp.access, "Cookie", f.sessionCookie().Name+"=stale")
	assert.Equal(t, http.StatusSeeOther, status)
	c, err := http.ParseSetCookie(h.Get("Set-Cookie"))
	require.NoError(t, err)
	assert.Equal(t, f.insp.session, c.Value)

	// An action with the token in its URL instead of the cookie still
	// needs the action token and the page's origin.
	status, _, body := f.anonRequest(http.MethodPost, "/samples/bankhub/GRANT_ERROR?token="+f.insp.access)
	assert.Equal(t, http.StatusForbidden, status, string(body))
	assert.Zero(t, f.handled.Load())
	status, _, body = f.anonRequest(http.MethodPost, "/samples/bankhub/GRANT_ERROR?token="+f.insp.access, HeaderToken, f.insp.token, "Origin", f.page.URL)
	assert.Equal(t, http.StatusOK, status, string(body))

	// The cookie alone does not make an action: it needs the page's token.
	status, _, body = f.anonRequest(http.MethodPost, "/samples/bankhub/GRANT_ERROR", "Cookie", cookie, "Origin", f.page.URL)
	assert.Equal(t, http.StatusForbidden, status, string(body))
	assert.Contains(t, string(body), HeaderToken)
	status, _, body = f.anonRequest(http.MethodPost, "/samples/bunq/MUTATION", "Cookie", cookie, "Origin", f.page.URL, HeaderToken, f.insp.token)
	assert.Equal(t, http.StatusOK, status, string(body))
	assert.Equal(t, int64(2), f.handled.Load())
}

func TestCookieName(t *testing.T) {
	for host, want := range map[string]string{
		"127.0.0.1:4040": "bankhook_inspector_4040",
		"localhost:4041": "bankhook_inspector_4041",
		"[::1]:4040":     "bankhook_inspector_4040",
		"localhost":      "bankhook_inspector_80",
		"[::1]":          "bankhook_inspector_80",
	} {
		t.Run(host, func(t *testing.T) {
			assert.Equal(t, want, cookieName(host))
		})
	}
}
