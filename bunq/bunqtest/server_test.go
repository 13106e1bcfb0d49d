package bunqtest_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook/bunq"
	"github.com/bankhook/bankhook/bunq/bunqtest"
)

func TestHandshakeUserKinds(t *testing.T) {
	srv := newServer(t, bunqtest.Options{})
	for _, kind := range []string{"UserPerson", "UserCompany", "UserApiKey", "UserPaymentServiceProvider"} {
		t.Run(kind, func(t *testing.T) {
			u := addUser(t, srv, kind)
			assert.Equal(t, kind, u.Kind)
			w := login(t, srv, u.APIKey)
			assert.Equal(t, u.ID, w.userID, "the session's %s is the user", kind)
		})
	}
	_, err := srv.AddUser(bunqtest.UserOptions{Kind: "UserLight"})
	require.ErrorContains(t, err, `kind "UserLight"`)
}

func TestRequiredHeaders(t *testing.T) {
	srv := newServer(t, bunqtest.Options{})
	w := login(t, srv, addUser(t, srv, "").APIKey)
	for _, name := range []string{"Cache-Control", "User-Agent", "X-Bunq-Client-Request-Id", "X-Bunq-Geolocation", "X-Bunq-Language", "X-Bunq-Region"} {
		t.Run(name, func(t *testing.T) {
			a := w.do("GET", w.user("/notification-filter-url"), w.session, nil, true, withoutHeader(name))
			assert.Equal(t, http.StatusBadRequest, a.status)
			assert.Contains(t, a.errorText(t), name)
			assert.True(t, w.verified(a), "error answers are signed too")
		})
	}
}

func TestAuthentication(t *testing.T) {
	srv := newServer(t, bunqtest.Options{})
	u := addUser(t, srv, "")
	other := addUser(t, srv, "")
	w := login(t, srv, u.APIKey)
	deviceBody := mustJSON(t, map[string]any{"description": "x", "secret": u.APIKey})
	sessionBody := mustJSON(t, map[string]string{"secret": u.APIKey})
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	badSig := func() reqOpt {
		sum := sha256.Sum256(sessionBody)
		sig, err := rsa.SignPKCS1v15(rand.Reader, otherKey, crypto.SHA256, sum[:])
		require.NoError(t, err)
		return withHeader("X-Bunq-Client-Signature", base64.StdEncoding.EncodeToString(sig))
	}

	tests := []struct {
		name       string
		method     string
		path       string
		token      string
		body       []byte
		sign       bool
		opts       []reqOpt
		wantStatus int
		wantError  string
	}{
		{"device-server without a token", "POST", "/v1/device-server", "", deviceBody, true, nil, 401, "Missing authentication"},
		{"device-server with a session token", "POST", "/v1/device-server", w.session, deviceBody, true, nil, 401, "Insufficient authorisation"},
		{"device-server unsigned", "POST", "/v1/device-server", w.install, deviceBody, false, nil, 466, "signature is required"},
		{"device-server with an unknown key", "POST", "/v1/device-server", w.install, mustJSON(t, map[string]any{"description": "x", "secret": "nope"}), true, nil, 400, "Incorrect API key"},
		{"device-server without description", "POST", "/v1/device-server", w.install, mustJSON(t, map[string]any{"secret": u.APIKey}), true, nil, 400, "description is required"},
		{"device-server bad permitted ip", "POST", "/v1/device-server", w.install, mustJSON(t, map[string]any{"description": "x", "secret": u.APIKey, "permitted_ips": []string{"10.0.0.300"}}), true, nil, 400, "not an IP address"},
		{"session-server signed with another key", "POST", "/v1/session-server", w.install, sessionBody, false, []reqOpt{badSig()}, 401, "signature is invalid"},
		{"session-server signed over another body", "POST", "/v1/session-server", w.install, sessionBody, false, []reqOpt{withHeader("X-Bunq-Client-Signature", signBody(testKey, []byte("{}")))}, 401, "signature is invalid"},
		{"session-server with another user's key", "POST", "/v1/session-server", w.install, mustJSON(t, map[string]string{"secret": other.APIKey}), true, nil, 401, "credentials are incorrect"},
		{"session call with the installation token", "GET", w.user("/notification-filter-url"), w.install, nil, true, nil, 403, "Insufficient authentication."},
		{"session call with a bad signature", "GET", w.user("/notification-filter-url"), w.session, nil, false, []reqOpt{withHeader("X-Bunq-Client-Signature", signBody(testKey, []byte("x")))}, 401, "signature is invalid"},
		{"another user's resource", "GET", fmt.Sprintf("/v1/user/%d/notification-filter-url", other.ID), w.session, nil, true, nil, 403, "not allowed"},
		{"unknown route", "GET", "/v1/user/1/payment", w.session, nil, true, nil, 404, "Route not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := w.do(tt.method, tt.path, tt.token, tt.body, tt.sign, tt.opts...)
			assert.Equal(t, tt.wantStatus, a.status, string(a.body))
			assert.Contains(t, a.errorText(t), tt.wantError)
		})
	}
	t.Run("unsigned session call is accepted", func(t *testing.T) {
		a := w.do("GET", w.user("/notification-filter-url"), w.session, nil, false)
		assert.Equal(t, http.StatusOK, a.status, string(a.body))
	})
	t.Run("request id used twice", func(t *testing.T) {
		a := w.do("GET", w.user("/notification-filter-url"), w.session, nil, true, withHeader("X-Bunq-Client-Request-Id", "same"))
		require.Equal(t, http.StatusOK, a.status)
		a = w.do("GET", w.user("/notification-filter-url"), w.session, nil, true, withHeader("X-Bunq-Client-Request-Id", "same"))
		assert.Equal(t, http.StatusBadRequest, a.status)
		assert.Contains(t, a.errorText(t), "used before")
	})
}

func TestInstallationKey(t *testing.T) {
	srv := newServer(t, bunqtest.Options{})
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	w := &wire{t: t, srv: srv, key: testKey}
	tests := []struct {
		name, key, wantError string
	}{
		{"1024 bits", publicPEM(t, &small.PublicKey), "must have 2048 bits"},
		{"not PEM", "ssh-rsa AAAA", "one PEM public key"},
		{"private key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "not \"PRIVATE KEY\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := w.do("POST", "/v1/installation", "", mustJSON(t, map[string]string{"client_public_key": tt.key}), false)
			assert.Equal(t, http.StatusBadRequest, a.status)
			assert.Contains(t, a.errorText(t), tt.wantError)
		})
	}
}

func TestDevicePermittedIPs(t *testing.T) {
	srv := newServer(t, bunqtest.Options{})
	tests := []struct {
		name       string
		ips        []string
		wantStatus int
	}{
		{"bound to the caller", nil, 200},
		{"another address", []string{"192.0.2.1"}, 401},
		{"wildcard", []string{"192.0.2.1", "*"}, 200},
		{"the caller listed", []string{"::ffff:127.0.0.1"}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := addUser(t, srv, "")
			w := installOnly(t, srv)
			a := w.do("POST", "/v1/device-server", w.install, mustJSON(t, map[string]any{"description": "x", "secret": u.APIKey, "permitted_ips": tt.ips}), true)
			require.Equal(t, http.StatusOK, a.status, string(a.body))
			a = w.do("POST", "/v1/session-server", w.install, mustJSON(t, map[string]string{"secret": u.APIKey}), true)
			assert.Equal(t, tt.wantStatus, a.status, string(a.body))
		})
	}
}

func TestSignatureModes(t *testing.T) {
	srv := newServer(t, bunqtest.Options{})
	w := login(t, srv, addUser(t, srv, "").APIKey)
	get := func() answer { return w.do("GET", w.user("/notification-filter-url"), w.session, nil, true) }

	a := get()
	assert.True(t, w.verified(a), "SignBody")
	assert.Equal(t, a.header.Get("X-Bunq-Client-Request-Id") != "", true, "the request id is echoed")
	assert.NotEmpty(t, a.header.Get("X-Bunq-Client-Response-Id"))

	srv.SetSignatureMode(bunqtest.SignHeadersAndBody)
	a = get()
	assert.False(t, w.verified(a), "the older scheme does not verify over the body alone")
	var lines []string
	for name, vs := range a.header {
		if strings.HasPrefix(name, "X-Bunq-") && name != "X-Bunq-Server-Signature" {
			lines = append(lines, name+": "+vs[0])
		}
	}
	sort.Strings(lines)
	signed := fmt.Sprintf("%d\n%s\n\n%s", a.status, strings.Join(lines, "\n"), a.body)
	sig, err := base64.StdEncoding.DecodeString(a.header.Get("X-Bunq-Server-Signature"))
	require.NoError(t, err)
	sum := sha256.Sum256([]byte(signed))
	assert.NoError(t, rsa.VerifyPKCS1v15(w.serverKey, crypto.SHA256, sum[:], sig), "status, sorted X-Bunq- headers, body")

	srv.SetSignatureMode(bunqtest.SignNone)
	a = get()
	assert.Empty(t, a.header.Values("X-Bunq-Server-Signature"))

	srv.SetSignatureMode(bunqtest.SignTampered)
	a = w.do("GET", w.user("/certificate-pinned"), w.session, nil, true)
	assert.Equal(t, `{"Response":[]} `, string(a.body), "an empty list is changed too")
	assert.False(t, w.verified(a))

	assert.Equal(t, "SignTampered", bunqtest.SignTampered.String())
	assert.Equal(t, "SignatureMode(9)", bunqtest.SignatureMode(9).String())
}

func TestRateLimits(t *testing.T) {
	t.Run("limits", func(t *testing.T) {
		// A window far longer than the test: every request below is in the
		// window of the first, however slow the machine.
		srv := newServer(t, bunqtest.Options{RateWindow: time.Hour})
		w := login(t, srv, addUser(t, srv, "").APIKey)
		get := func() int { return w.do("GET", w.user("/notification-filter-url"), w.session, nil, true).status }

		assert.Equal(t, []int{200, 200, 200, 429}, []int{get(), get(), get(), get()}, "3 GETs per window")
		assert.Equal(t, 200, w.do("GET", w.user("/certificate-pinned"), w.session, nil, true).status, "limits are per endpoint")

		a := w.do("POST", "/v1/session-server", w.install, mustJSON(t, map[string]string{"secret": "x"}), true)
		assert.Equal(t, http.StatusTooManyRequests, a.status, "one session-server call per 10 windows: login made it")
		assert.Contains(t, a.errorText(t), "Too many requests")
		assert.True(t, w.verified(a))
	})

	t.Run("window slides", func(t *testing.T) {
		// The limits run on the wall clock: the test meets the limit, then
		// waits a whole window, after which every earlier request is out of
		// it.
		const window = time.Second
		srv := newServer(t, bunqtest.Options{RateWindow: window})
		w := login(t, srv, addUser(t, srv, "").APIKey)
		get := func() int { return w.do("GET", w.user("/notification-filter-url"), w.session, nil, true).status }

		limited := false
		for range 20 { // 4 in a window do; a slow machine may need a few more
			if limited = get() == http.StatusTooManyRequests; limited {
				break
			}
		}
		require.True(t, limited, "no GET was limited")
		time.Sleep(window)
		assert.Equal(t, 200, get(), "a new window")
	})
}

func TestSessionExpiry(t *testing.T) {
	srv := newServer(t, bunqtest.Options{SessionTimeout: 10 * time.Minute})
	u := addUser(t, srv, "")
	w := login(t, srv, u.APIKey)
	get := func() answer { return w.do("GET", w.user("/notification-filter-url"), w.session, nil, true) }

	srv.Advance(9 * time.Minute)
	assert.Equal(t, 200, get().status, "within the timeout")
	srv.Advance(9 * time.Minute)
	assert.Equal(t, 200, get().status, "each request extends the session")
	srv.Advance(10 * time.Minute)
	a := get()
	assert.Equal(t, 403, a.status, "unused for the timeout")
	assert.Equal(t, "Insufficient authentication.", a.errorText(t), "as bunq answers an ended session")

	w = login(t, srv, u.APIKey)
	require.Equal(t, 200, get().status)
	srv.ExpireSessions()
	assert.Equal(t, 403, get().status)
	assert.Equal(t, bunqtest.DefaultStart().Add(28*time.Minute), srv.Now())

	t.Run("401 when asked", func(t *testing.T) {
		require.NoError(t, srv.SetEndedSessionStatus(http.StatusUnauthorized))
		defer func() { require.NoError(t, srv.SetEndedSessionStatus(http.StatusForbidden)) }()
		a := get()
		assert.Equal(t, 401, a.status)
		assert.Equal(t, "Insufficient authorisation.", a.errorText(t))
		assert.Error(t, srv.SetEndedSessionStatus(http.StatusTeapot))
		assert.Equal(t, 401, get().status, "a refused status changes nothing")
	})
}

func TestSessionTimeoutIsAnswered(t *testing.T) {
	srv := newServer(t, bunqtest.Options{SessionTimeout: 90 * time.Minute})
	for _, kind := range []string{"UserPerson", "UserCompany", "UserApiKey", "UserPaymentServiceProvider"} {
		t.Run(kind, func(t *testing.T) {
			w := login(t, srv, addUser(t, srv, kind).APIKey)
			var timeout struct {
				SessionTimeout  int64 `json:"session_timeout"`
				RequestedByUser struct {
					Person struct {
						SessionTimeout int64 `json:"session_timeout"`
					} `json:"UserPerson"`
				} `json:"requested_by_user"`
			}
			require.NotEmpty(t, w.sessionAnswer)
			require.NoError(t, json.Unmarshal(w.sessionAnswer[kind], &timeout), string(w.sessionAnswer[kind]))
			got := timeout.SessionTimeout
			if kind == "UserApiKey" {
				got = timeout.RequestedByUser.Person.SessionTimeout
			}
			assert.Equal(t, int64(5400), got, "seconds")
		})
	}
	t.Run("the default is bunq's week", func(t *testing.T) {
		assert.Equal(t, 7*24*time.Hour, bunqtest.DefaultSessionTimeout)
	})
}

func TestFilterEndpoints(t *testing.T) {
	srv := newServer(t, bunqtest.Options{})
	u := addUser(t, srv, "")
	account2, err := srv.AddAccount(u.ID)
	require.NoError(t, err)
	w := login(t, srv, u.APIKey)
	set := func(path string, filters ...map[string]string) answer {
		if filters == nil {
			filters = []map[string]string{}
		}
		return w.do("POST", w.user(path), w.session, mustJSON(t, map[string]any{"notification_filters": filters}), true)
	}
	f := func(category, target string) map[string]string {
		return map[string]string{"category": category, "notification_target": target}
	}

	a := set("/notification-filter-url", f("MUTATION", "https://a.example/hook?token=1"), f("PAYMENT", "https://a.example/hook?token=1"))
	require.Equal(t, 200, a.status, string(a.body))
	assert.Len(t, a.items(t), 2, "the POST answers the list")
	a = w.do("GET", w.user("/notification-filter-url"), w.session, nil, true)
	require.Equal(t, 200, a.status)
	var got []string
	for _, it := range a.items(t) {
		var obj struct {
			ID       int64  `json:"id"`
			Category string `json:"category"`
			Target   string `json:"notification_target"`
		}
		require.NoError(t, json.Unmarshal(it["NotificationFilterUrl"], &obj))
		assert.NotZero(t, obj.ID)
		got = append(got, obj.Category+" "+obj.Target)
	}
	assert.Equal(t, []string{"PAYMENT https://a.example/hook?token=1", "MUTATION https://a.example/hook?token=1"}, got, "newest first")

	accountPath := fmt.Sprintf("/monetary-account/%d/notification-filter-url", account2)
	require.Equal(t, 200, set(accountPath, f("MUTATION", "https://b.example/")).status)
	assert.Len(t, srv.Filters(u.ID, account2), 1)
	assert.Len(t, srv.Filters(u.ID, 0), 2, "account filters are kept apart")
	assert.Len(t, srv.Filters(u.ID, u.AccountID), 0)

	require.Equal(t, 200, set("/notification-filter-url").status)
	assert.Empty(t, srv.Filters(u.ID, 0), "an empty list removes every filter")

	tests := []struct {
		name      string
		path      string
		body      []byte
		wantError string
	}{
		{"unknown category", "/notification-filter-url", mustJSON(t, map[string]any{"notification_filters": []any{f("PROMO", "https://a.example/")}}), "unknown category"},
		{"http target", "/notification-filter-url", mustJSON(t, map[string]any{"notification_filters": []any{f("MUTATION", "http://a.example/")}}), "https URL"},
		{"three URLs for one category", "/notification-filter-url", mustJSON(t, map[string]any{"notification_filters": []any{
			f("MUTATION", "https://a.example/"), f("MUTATION", "https://b.example/"), f("MUTATION", "https://c.example/")}}), "At most 2 callback URLs"},
		{"no list", "/notification-filter-url", []byte(`{}`), "notification_filters is required"},
		{"not JSON", "/notification-filter-url", []byte(`{`), "not valid"},
		{"unknown account", "/monetary-account/999999/notification-filter-url", mustJSON(t, map[string]any{"notification_filters": []any{}}), "No monetary account"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := w.do("POST", w.user(tt.path), w.session, tt.body, true)
			assert.GreaterOrEqual(t, a.status, 400)
			assert.Contains(t, a.errorText(t), tt.wantError)
		})
	}
}

// TestFilterListingPages: filters are listed as bunq lists them, newest
// first in pages of 10 unless count (at most 200) says otherwise, with
// Pagination; each entry carries its filter in both of bunq's shapes.
func TestFilterListingPages(t *testing.T) {
	srv := newServer(t, bunqtest.Options{ExtraCategories: []bunq.Category{"CARD_DISPUTE"}})
	u := addUser(t, srv, "")
	w := login(t, srv, u.APIKey)
	require.NoError(t, srv.SetFilters(u.ID, 0, manyFilters(25)))

	type entry struct {
		ID       int64  `json:"id"`
		Category string `json:"category"`
		Target   string `json:"notification_target"`
		Filters  []struct {
			Method   string `json:"notification_delivery_method"`
			Category string `json:"category"`
			Target   string `json:"notification_target"`
		} `json:"notification_filters"`
	}
	page := func(query string) ([]entry, map[string]*string) {
		t.Helper()
		a := w.do("GET", w.user("/notification-filter-url")+query, w.session, nil, true)
		require.Equal(t, 200, a.status, string(a.body))
		var env struct {
			Pagination map[string]*string `json:"Pagination"`
		}
		require.NoError(t, json.Unmarshal(a.body, &env))
		var entries []entry
		for _, it := range a.items(t) {
			var e entry
			require.NoError(t, json.Unmarshal(it["NotificationFilterUrl"], &e))
			require.Len(t, e.Filters, 1)
			assert.Equal(t, "URL", e.Filters[0].Method)
			assert.Equal(t, e.Category+" "+e.Target, e.Filters[0].Category+" "+e.Filters[0].Target, "the same filter in both shapes")
			entries = append(entries, e)
		}
		return entries, env.Pagination
	}

	first, p := page("")
	require.Len(t, first, 10, "bunq's default count")
	assert.Equal(t, []int64{25, 16}, []int64{first[0].ID, first[9].ID}, "newest first")
	require.NotNil(t, p["older_url"])
	assert.Nil(t, p["newer_url"])
	second, p := page(strings.TrimPrefix(*p["older_url"], w.user("/notification-filter-url")))
	require.Len(t, second, 10)
	assert.Less(t, second[0].ID, first[9].ID)
	third, p := page(strings.TrimPrefix(*p["older_url"], w.user("/notification-filter-url")))
	require.Len(t, third, 5)
	assert.Nil(t, p["older_url"], "the last page")
	assert.NotNil(t, p["newer_url"])

	all, p := page("?count=200")
	assert.Len(t, all, 25)
	assert.Nil(t, p["older_url"])
	assert.Equal(t, "CARD_DISPUTE", all[len(all)-1].Category, "a category bankhook does not know, which this bunq offers")
	t.Run("PageLimit", func(t *testing.T) {
		small := newServer(t, bunqtest.Options{PageLimit: 7})
		u := addUser(t, small, "")
		w := login(t, small, u.APIKey)
		require.NoError(t, small.SetFilters(u.ID, 0, manyFilters(25)[2:]))
		a := w.do("GET", w.user("/notification-filter-url")+"?count=200", w.session, nil, true)
		require.Equal(t, 200, a.status)
		assert.Len(t, a.items(t), 7)
		assert.Contains(t, string(a.body), `"older_url":"`+w.user("/notification-filter-url")+`?count=200&older_id=17"`)
	})
	for _, q := range []string{"?count=201", "?count=0", "?older_id=x"} {
		a := w.do("GET", w.user("/notification-filter-url")+q, w.session, nil, true)
		assert.Equal(t, 400, a.status, q)
	}
}

// manyFilters returns n filters: two URLs for each category, the first
// of them CARD_DISPUTE, a category bankhook does not know.
func manyFilters(n int) []bunq.NotificationFilterURL {
	cats := append([]bunq.Category{"CARD_DISPUTE"}, bunq.Categories()...)
	out := make([]bunq.NotificationFilterURL, n)
	for i := range out {
		out[i] = bunq.NotificationFilterURL{Category: cats[i/2], NotificationTarget: fmt.Sprintf("https://%c.example/bunq", 'a'+i%2)}
	}
	return out
}

func TestCertificatePinnedEndpoints(t *testing.T) {
	srv := newServer(t, bunqtest.Options{})
	u := addUser(t, srv, "")
	w := login(t, srv, u.APIKey)
	leaf, ca := selfSigned(t, "hooks.example"), selfSigned(t, "Example CA")
	post := func(body any) answer {
		return w.do("POST", w.user("/certificate-pinned"), w.session, mustJSON(t, body), true)
	}

	a := post(map[string]any{"certificate_chain": []map[string]string{{"certificate": leaf.pem}, {"certificate": ca.pem}}})
	require.Equal(t, 200, a.status, string(a.body))
	var id struct {
		ID int64 `json:"id"`
	}
	require.NoError(t, json.Unmarshal(a.items(t)[0]["Id"], &id))
	assert.Equal(t, []string{leaf.pem + ca.pem}, srv.PinnedChains(u.ID), "listed glued with newlines")

	a = w.do("GET", w.user("/certificate-pinned"), w.session, nil, true)
	require.Equal(t, 200, a.status)
	var listed struct {
		Chain string `json:"certificate_chain"`
		ID    int64  `json:"id"`
	}
	require.NoError(t, json.Unmarshal(a.items(t)[0]["CertificatePinned"], &listed))
	assert.Equal(t, id.ID, listed.ID)
	assert.Equal(t, leaf.pem+ca.pem, listed.Chain)

	a = w.do("GET", w.user(fmt.Sprintf("/certificate-pinned/%d", id.ID)), w.session, nil, true)
	assert.Equal(t, 200, a.status)

	for name, body := range map[string]any{
		"a string chain":        map[string]any{"certificate_chain": leaf.pem + ca.pem},
		"two in one member":     map[string]any{"certificate_chain": []map[string]string{{"certificate": leaf.pem + ca.pem}}},
		"empty chain":           map[string]any{"certificate_chain": []any{}},
		"not a certificate":     map[string]any{"certificate_chain": []map[string]string{{"certificate": "hello"}}},
		"no certificate_chain":  map[string]any{},
		"broken DER in a block": map[string]any{"certificate_chain": []map[string]string{{"certificate": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"}}},
	} {
		t.Run(name, func(t *testing.T) {
			a := post(body)
			assert.Equal(t, 400, a.status, string(a.body))
		})
	}

	a = w.do("DELETE", w.user(fmt.Sprintf("/certificate-pinned/%d", id.ID)), w.session, nil, true)
	assert.Equal(t, 200, a.status)
	assert.Empty(t, srv.PinnedChains(u.ID))
	a = w.do("DELETE", w.user(fmt.Sprintf("/certificate-pinned/%d", id.ID)), w.session, nil, true)
	assert.Equal(t, 404, a.status)
}

func TestRetryFailuresRequest(t *testing.T) {
	srv := newServer(t, bunqtest.Options{})
	u := addUser(t, srv, "")
	w := login(t, srv, u.APIKey)
	makeFailures(t, srv, u, "https://127.0.0.1:1/down", 100)
	ids := func(n int) string {
		s := make([]string, n)
		for i := range s {
			s[i] = fmt.Sprint(i + 1)
		}
		return strings.Join(s, ",")
	}
	tests := []struct {
		name       string
		body       string
		wantStatus int
		wantError  string
	}{
		{"101 ids", fmt.Sprintf(`{"notification_filter_failed_ids":%q}`, ids(101)), 400, "maximum of 100"},
		{"an id not listed", `{"notification_filter_failed_ids":"5,1000,6"}`, 404, "NotificationFilterFailure not found."},
		{"100 ids", fmt.Sprintf(`{"notification_filter_failed_ids":%q}`, ids(100)), 200, ""},
		{"a stale id: one re-sent before", `{"notification_filter_failed_ids":"7"}`, 404, "NotificationFilterFailure not found."},
		{"not an id", `{"notification_filter_failed_ids":"1,x"}`, 400, `"x" is not an id`},
		{"empty", `{"notification_filter_failed_ids":""}`, 400, "required"},
		{"missing", `{}`, 400, "required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(srv.Failures(u.ID))
			a := w.do("POST", w.user("/notification-filter-failure"), w.session, []byte(tt.body), true)
			assert.Equal(t, tt.wantStatus, a.status, string(a.body))
			if tt.wantError != "" {
				assert.Contains(t, a.errorText(t), tt.wantError)
				assert.Len(t, srv.Failures(u.ID), before, "a refused request re-sends none of its ids")
			}
		})
	}
	assert.Empty(t, srv.Failures(u.ID))
	assert.Equal(t, 100, srv.Pending())
}

func TestFailureListingPages(t *testing.T) {
	srv := newServer(t, bunqtest.Options{})
	u := addUser(t, srv, "")
	w := login(t, srv, u.APIKey)
	makeFailures(t, srv, u, "https://127.0.0.1:1/down", 25)
	require.Len(t, srv.Failures(u.ID), 25)

	type page struct {
		ids                  []int64
		older, newer, future *string
	}
	list := func(query string) page {
		t.Helper()
		a := w.do("GET", w.user("/notification-filter-failure")+query, w.session, nil, true)
		require.Equal(t, 200, a.status, string(a.body))
		var env struct {
			Response []struct {
				F struct {
					ID int64 `json:"id"`
				} `json:"NotificationFilterFailure"`
			} `json:"Response"`
			Pagination struct {
				Future *string `json:"future_url"`
				Newer  *string `json:"newer_url"`
				Older  *string `json:"older_url"`
			} `json:"Pagination"`
		}
		require.NoError(t, json.Unmarshal(a.body, &env))
		var p page
		for _, r := range env.Response {
			p.ids = append(p.ids, r.F.ID)
		}
		p.older, p.newer, p.future = env.Pagination.Older, env.Pagination.Newer, env.Pagination.Future
		return p
	}
	path := w.user("/notification-filter-failure")

	first := list("")
	assert.Equal(t, []int64{25, 24, 23, 22, 21, 20, 19, 18, 17, 16}, first.ids, "newest first, 10 by default")
	require.NotNil(t, first.older)
	assert.Equal(t, path+"?older_id=16", *first.older)
	assert.Nil(t, first.newer)
	require.NotNil(t, first.future)
	assert.Equal(t, path+"?newer_id=25", *first.future)

	second := list("?count=10&older_id=16")
	assert.Equal(t, []int64{15, 14, 13, 12, 11, 10, 9, 8, 7, 6}, second.ids)
	assert.Equal(t, path+"?count=10&older_id=6", *second.older)
	assert.Equal(t, path+"?count=10&newer_id=15", *second.newer)
	assert.Nil(t, second.future)

	last := list("?count=10&older_id=6")
	assert.Equal(t, []int64{5, 4, 3, 2, 1}, last.ids)
	assert.Nil(t, last.older, "the end")

	newer := list("?count=3&newer_id=15")
	assert.Equal(t, []int64{18, 17, 16}, newer.ids, "the page just newer than 15")

	for _, q := range []string{"?count=0", "?count=201", "?older_id=x", "?older_id=3&newer_id=2"} {
		a := w.do("GET", path+q, w.session, nil, true)
		assert.Equal(t, 400, a.status, q)
	}
	all := list("?count=200")
	assert.Len(t, all.ids, 25)
	assert.True(t, slices.IsSortedFunc(all.ids, func(a, b int64) int { return int(b - a) }))
}

func TestOptionsAddrAndLogger(t *testing.T) {
	assert.PanicsWithError(t, `bunqtest: Options.Addr "0.0.0.0:0": want a loopback IP address and a port`, func() {
		bunqtest.NewServer(bunqtest.Options{Addr: "0.0.0.0:0"})
	})
	if ln, err := net.Listen("tcp", "[::1]:0"); err == nil {
		_ = ln.Close()
		v6 := newServer(t, bunqtest.Options{Addr: "[::1]:0"})
		assert.True(t, strings.HasPrefix(v6.URL(), "http://[::1]:"), v6.URL())
	}
	var logs lockedBuffer
	srv := newServer(t, bunqtest.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	u := addUser(t, srv, "")
	makeFailures(t, srv, u, "https://127.0.0.1:1/down?token=s3cret", 1)
	login(t, srv, u.APIKey)
	out := logs.String()
	assert.Contains(t, out, "callback failed; retrying in a minute")
	assert.Contains(t, out, "listed under notification-filter-failure")
	assert.Contains(t, out, "failure_id=1")
	assert.Contains(t, out, "path=/v1/session-server")
	assert.NotContains(t, out, "s3cret", "the callback URL's query is never logged")
	assert.NotContains(t, out, u.APIKey)
}

func TestClockKeepsMicroseconds(t *testing.T) {
	srv := newServer(t, bunqtest.Options{Start: time.Date(2025, 3, 14, 9, 12, 44, 118230999, time.UTC)})
	assert.Equal(t, time.Date(2025, 3, 14, 9, 12, 44, 118230000, time.UTC), srv.Now())
	srv.Advance(1500 * time.Nanosecond)
	assert.Equal(t, time.Date(2025, 3, 14, 9, 12, 44, 118231000, time.UTC), srv.Now())
	u := addUser(t, srv, "")
	p, err := srv.Pay(u.AccountID, "1", "x")
	require.NoError(t, err)
	assert.Equal(t, "2025-03-14 09:12:44.118231", p.Created.String())
}

func TestClockStartsAtDefaultStart(t *testing.T) {
	srv := newServer(t, bunqtest.Options{})
	assert.Equal(t, time.Date(2025, time.January, 1, 0, 0, 0, 0, time.UTC), bunqtest.DefaultStart())
	assert.Equal(t, bunqtest.DefaultStart(), srv.Now(), "the zero Options start the clock at DefaultStart")
}
