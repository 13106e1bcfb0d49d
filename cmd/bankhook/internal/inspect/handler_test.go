package inspect

import (
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/go-json-experiment/json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
)

func TestLoopbackHost(t *testing.T) {
	for _, tc := range []struct {
		host string
		ok   bool
	}{
		{"127.0.0.1:4040", true},
		{"127.0.0.1", true},
		{"127.5.6.7:80", true},
		{"localhost:4040", true},
		{"LOCALHOST", true},
		{"[::1]:4040", true},
		{"[::1]", true},
		{"[::ffff:127.0.0.1]:4040", true},
		{"", false},
		{"evil.example:4040", false},
		{"127.0.0.1.evil.example:4040", false},
		{"localhost.evil.example", false},
		{"inspector.localhost:4040", false},
		{"0.0.0.0:4040", false},
		{"192.168.1.10:4040", false},
		{"[fe80::1]:4040", false},
		{"2130706433:4040", false},
		{"localhost.:4040", false},
	} {
		t.Run(tc.host, func(t *testing.T) {
			assert.Equal(t, tc.ok, loopbackHost(tc.host))
		})
	}
}

func TestHandlerRefusesOtherHosts(t *testing.T) {
	f := newFixture(t, Options{})
	for _, path := range []string{"/", "/static/app.js", "/events", "/deliveries", "/deliveries/1", "/samples"} {
		t.Run(path, func(t *testing.T) {
			status, _, body := f.pageRequest(http.MethodGet, path, "Host", "attacker.example:4040")
			assert.Equal(t, http.StatusForbidden, status)
			assert.Contains(t, string(body), "loopback")
			for _, secret := range []string{f.insp.token, f.insp.access, f.insp.session} {
				assert.NotContains(t, string(body), secret)
			}
		})
	}
	status, _, _ := f.pageRequest(http.MethodPost, "/samples/bunq/MUTATION", "Host", "attacker.example:4040", HeaderToken, f.insp.token)
	assert.Equal(t, http.StatusForbidden, status, "even with the token")
	assert.Zero(t, f.handled.Load())
}

func TestPage(t *testing.T) {
	f := newFixture(t, Options{})
	status, h, body := f.pageRequest(http.MethodGet, "/")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "text/html; charset=utf-8", h.Get("Content-Type"))
	assert.Contains(t, string(body), `<meta name="bankhook-token" content="`+f.insp.token+`">`)
	assert.Contains(t, string(body), `<meta name="bankhook-boot" content="`+f.insp.boot+`">`)
	assert.NotContains(t, string(body), f.insp.access, "the page holds the action token only")
	assert.NotContains(t, string(body), f.insp.session)
	assert.Contains(t, h.Get("Content-Security-Policy"), "script-src 'self'")
	assert.Contains(t, h.Get("Content-Security-Policy"), "frame-ancestors 'none'")
	assert.Equal(t, "no-store", h.Get("Cache-Control"))
	assert.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))

	for path, ctype := range map[string]string{"/static/app.js": "text/javascript", "/static/style.css": "text/css"} {
		status, h, body := f.pageRequest(http.MethodGet, path)
		assert.Equal(t, http.StatusOK, status, path)
		assert.Contains(t, h.Get("Content-Type"), ctype, path)
		assert.NotEmpty(t, body, path)
	}
	status, _, _ = f.pageRequest(http.MethodGet, "/static/nothing.js")
	assert.Equal(t, http.StatusNotFound, status)

	other, err := New(Options{Banks: []Bank{{Name: "bunq", Path: "/bunq"}}})
	require.NoError(t, err)
	for name, secret := range map[string][2]string{
		"action token":  {f.insp.token, other.token},
		"access token":  {f.insp.access, other.access},
		"session value": {f.insp.session, other.session},
	} {
		assert.NotEqual(t, secret[0], secret[1], "%s: one per process", name)
		assert.Len(t, secret[0], 26, "%s: 130 random bits", name)
	}
	assert.NotEqual(t, f.insp.access, f.insp.session, "the cookie does not hold the token")
	assert.NotEqual(t, f.insp.access, f.insp.token, "the page does not hold the token")
}

func TestActionToken(t *testing.T) {
	f := newFixture(t, Options{})
	_, port, err := net.SplitHostPort(f.page.Listener.Addr().String())
	require.NoError(t, err)
	for _, tc := range []struct {
		name   string
		header []string
		status int
	}{
		{"no token", nil, http.StatusForbidden},
		{"wrong token", []string{HeaderToken, "x" + f.insp.token[1:]}, http.StatusForbidden},
		{"token of another length", []string{HeaderToken, f.insp.token + "x"}, http.StatusForbidden},
		{"token, but from another site", []string{HeaderToken, f.insp.token, "Origin", "https://attacker.example"}, http.StatusForbidden},
		{"token, but an opaque origin", []string{HeaderToken, f.insp.token, "Origin", "null"}, http.StatusForbidden},
		{"token, but cross-site", []string{HeaderToken, f.insp.token, "Sec-Fetch-Site", "cross-site"}, http.StatusForbidden},
		{"token, but from another port of this host", []string{HeaderToken, f.insp.token, "Origin", "http://127.0.0.1:1"}, http.StatusForbidden},
		{"token, but from another loopback name", []string{HeaderToken, f.insp.token, "Origin", "http://localhost:" + port}, http.StatusForbidden},
		{"token, but over https", []string{HeaderToken, f.insp.token, "Origin", strings.Replace(f.page.URL, "http:", "https:", 1)}, http.StatusForbidden},
		{"token, but same-site", []string{HeaderToken, f.insp.token, "Sec-Fetch-Site", "same-site"}, http.StatusForbidden},
		{"token", []string{HeaderToken, f.insp.token}, http.StatusOK},
		{"token from the page's origin", []string{HeaderToken, f.insp.token, "Origin", f.page.URL, "Sec-Fetch-Site", "same-origin"}, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := f.handled.Load()
			status, _, body := f.pageRequest(http.MethodPost, "/samples/bankhub/GRANT_ERROR", tc.header...)
			assert.Equal(t, tc.status, status, string(body))
			if tc.status != http.StatusOK {
				assert.Equal(t, before, f.handled.Load(), "nothing was sent")
			}
		})
	}

	status, _, _ := f.pageRequest(http.MethodGet, "/samples/bankhub/GRANT_ERROR", HeaderToken, f.insp.token)
	assert.Equal(t, http.StatusMethodNotAllowed, status, "actions take POST only")
	status, _, _ = f.pageRequest(http.MethodGet, "/deliveries/1/replay", HeaderToken, f.insp.token)
	assert.Equal(t, http.StatusMethodNotAllowed, status)
}

func TestDetailRedactsAndShowsTheDelivery(t *testing.T) {
	f := newFixture(t, Options{})
	resp := f.deliver("/bunq?token="+testToken+"&note=kept", "application/json", sample(t, "bunq", "MUTATION"),
		"Authorization", "Bearer abc.def.ghi", "Cookie", "session=secret-cookie", "X-Request-Id", "r-1")
	require.Equal(t, http.StatusOK, resp.StatusCode)

	status, _, raw := f.pageRequest(http.MethodGet, "/deliveries/1")
	require.Equal(t, http.StatusOK, status)
	for _, secret := range []string{testToken, "abc.def.ghi", "secret-cookie"} {
		assert.NotContains(t, string(raw), secret)
	}
	var d Detail
	require.NoError(t, json.Unmarshal(raw, &d))

	assert.Equal(t, uint64(1), d.Delivery.ID)
	assert.Equal(t, "bunq", d.Delivery.Bank)
	assert.Equal(t, "127.0.0.1", d.Delivery.Sender)
	assert.Equal(t, 200, d.Delivery.Status)
	assert.Equal(t, "bunq:MUTATION:MUTATION_CREATED:Payment:2938471@2025-03-14T09:12:44.11823Z", d.Delivery.IdempotencyKey)
	assert.False(t, d.Delivery.Replayed)
	assert.True(t, d.Kept)

	require.NotNil(t, d.Request)
	assert.Equal(t, "POST", d.Request.Method)
	assert.Equal(t, "/bunq?token=REDACTED&note=kept", d.Request.URL)
	headers := map[string]string{}
	for _, h := range d.Request.Headers {
		headers[h.Name] = h.Value
	}
	assert.Equal(t, "Bearer REDACTED", headers["Authorization"])
	assert.Equal(t, "REDACTED", headers["Cookie"])
	assert.Equal(t, "r-1", headers["X-Request-Id"])
	assert.Equal(t, "example.com", headers["Host"])
	assert.Equal(t, "Host", d.Request.Headers[0].Name, "Host first")
	assert.Contains(t, d.Request.Body, "\n        \"amount\": {\n          \"currency\": \"EUR\",\n          \"value\": \"-24.95\"\n        },",
		"the body pretty-printed, its values as sent")

	require.NotNil(t, d.Event)
	assert.Equal(t, &EventView{
		Category: "MUTATION", EventType: "MUTATION_CREATED", ObjectType: "Payment",
		Amounts: []Amount{{"amount", "-24.95 EUR"}, {"balance_after_mutation", "1254.31 EUR"}},
	}, d.Event)
	assert.Contains(t, d.Line, `"key": "bunq:MUTATION:MUTATION_CREATED:Payment:2938471@2025-03-14T09:12:44.11823Z"`)
	assert.Equal(t, "written to the output before the bank was answered", d.LineNote)
	assert.True(t, d.Replayable)
	assert.Equal(t, 200, d.Answer.Status)
	assert.Equal(t, "OK", d.Answer.StatusText)
}

func TestDetailOfRejections(t *testing.T) {
	f := newFixture(t, Options{})
	mutation := sample(t, "bunq", "MUTATION")
	f.deliver("/bunq?token=wrong", "application/json", mutation)
	f.deliver("/bankhub?token="+testToken, "application/json", []byte(`{"webhookType":"TRANSACTIONS","webhookCode":"DEFAULT_UPDATE","transaction":{"id":"t1","amount":"1x"}}`))

	badToken := f.detail("1")
	assert.Equal(t, 401, badToken.Delivery.Status)
	assert.Equal(t, "bad_token", badToken.Delivery.Reason)
	assert.Equal(t, "/bunq?token=REDACTED", badToken.Request.URL)
	assert.Empty(t, badToken.Request.Body)
	assert.Contains(t, badToken.Request.BodyNote, "not read")
	assert.False(t, badToken.Replayable)
	assert.Contains(t, badToken.ReplayNote, "before its body was read")
	assert.Nil(t, badToken.Event)
	assert.Empty(t, badToken.Line)
	assert.Contains(t, badToken.Cause, "token")
	assert.Contains(t, badToken.Answer.Body, "{\n  \"type\": \"about:blank\",")
	assert.Contains(t, badToken.Answer.Body, `"reason": "bad_token"`)
	var ctype string
	for _, h := range badToken.Answer.Headers {
		if h.Name == "Content-Type" {
			ctype = h.Value
		}
	}
	assert.Equal(t, bankhook.ProblemContentType, ctype)

	badPayload := f.detail("2")
	assert.Equal(t, 400, badPayload.Delivery.Status)
	assert.Equal(t, "bad_payload", badPayload.Delivery.Reason)
	assert.Contains(t, badPayload.Answer.Body, `"field": "/transaction/amount"`)
	assert.Contains(t, badPayload.Request.Body, `"amount": "1x"`, "the body that did not decode, as sent")
	assert.True(t, badPayload.Replayable, "the body was read")
}

func TestReplay(t *testing.T) {
	f := newFixture(t, Options{})
	resp := f.deliver("/bunq?token="+testToken, "application/json", sample(t, "bunq", "MUTATION"))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, int64(1), f.handled.Load())

	status, body := f.action("/deliveries/1/replay")
	require.Equal(t, http.StatusOK, status, string(body))
	var res actionResult
	require.NoError(t, json.Unmarshal(body, &res))
	s := res.Delivery
	assert.Equal(t, uint64(2), s.ID)
	assert.Equal(t, 200, s.Status, "a handled event comes back 200 replayed")
	assert.True(t, s.Replayed)
	assert.Equal(t, "replay", s.Via)
	assert.Equal(t, uint64(1), s.ReplayOf)
	assert.Equal(t, "127.0.0.1", s.Sender, "judged as the original sender")
	assert.Equal(t, int64(1), f.handled.Load(), "the handler is not called again")

	d := f.detail("2")
	assert.Equal(t, "/bunq?token=REDACTED", d.Request.URL, "the same URL, token included")
	assert.Equal(t, "not written again: a duplicate of an event already handled", d.LineNote)
	assert.Contains(t, d.Line, `"key"`, "the line the duplicate would give")
	var replayed string
	for _, h := range d.Answer.Headers {
		if h.Name == bankhook.HeaderIdempotentReplayed {
			replayed = h.Value
		}
	}
	assert.Equal(t, "true", replayed)

	// A request rejected before its body was read has nothing to replay.
	f.deliver("/bunq?token=wrong", "application/json", sample(t, "bunq", "MUTATION"))
	status, body = f.action("/deliveries/3/replay")
	assert.Equal(t, http.StatusConflict, status, string(body))
	assert.Contains(t, string(body), "before its body was read")

	for path, want := range map[string]int{
		"/deliveries/99/replay": http.StatusNotFound,
		"/deliveries/0/replay":  http.StatusNotFound,
		"/deliveries/x/replay":  http.StatusNotFound,
	} {
		status, _ := f.action(path)
		assert.Equal(t, want, status, path)
	}
}

func TestReplayWhenTheRequestIsGivenUp(t *testing.T) {
	f := newFixture(t, Options{MaxBytes: 1})
	f.deliver("/bunq?token="+testToken, "application/json", sample(t, "bunq", "MUTATION"))
	f.deliver("/bunq?token="+testToken, "application/json", sample(t, "bunq", "PAYMENT"))
	status, body := f.action("/deliveries/1/replay")
	assert.Equal(t, http.StatusGone, status, string(body))
	d := f.detail("1")
	assert.False(t, d.Kept)
	assert.Nil(t, d.Request)
	assert.Equal(t, 200, d.Delivery.Status, "the summary stays")
	assert.True(t, f.detail("2").Kept, "the newest keeps its request")
}

func TestSendSample(t *testing.T) {
	f := newFixture(t, Options{})
	status, body := f.action("/samples/bankhub/transactions_default_update")
	require.Equal(t, http.StatusOK, status, string(body))
	var res actionResult
	require.NoError(t, json.Unmarshal(body, &res))
	assert.Equal(t, "bankhub", res.Delivery.Bank)
	assert.Equal(t, 200, res.Delivery.Status)
	assert.Equal(t, "sample", res.Delivery.Via)
	assert.Equal(t, "TRANSACTIONS_DEFAULT_UPDATE", res.Delivery.Sample)
	assert.Equal(t, "127.0.0.1", res.Delivery.Sender, "from the page's loopback address")
	assert.Equal(t, int64(1), f.handled.Load())

	d := f.detail("1")
	assert.Equal(t, "/bankhub?token=REDACTED", d.Request.URL, "with serve's token")
	assert.Equal(t, []Amount{{"amount", "123456789012345678 VND"}, {"runningBalance", "456789012345678901 VND"}}, d.Event.Amounts,
		"18 digits exactly, as no float could hold them")
	assert.Contains(t, d.Request.Body, `"amount": 123456789012345678,`)

	status, _, b := f.pageRequest(http.MethodGet, "/samples")
	require.Equal(t, http.StatusOK, status)
	var list []sampleList
	require.NoError(t, json.Unmarshal(b, &list))
	require.Len(t, list, 2)
	assert.Equal(t, "bunq", list[0].Bank)
	assert.Contains(t, list[0].Samples, "MUTATION")
	assert.Equal(t, "bankhub", list[1].Bank)

	for path, want := range map[string]int{
		"/samples/bunq/NOTHING":   http.StatusNotFound,
		"/samples/ing/MUTATION":   http.StatusNotFound,
		"/samples/bunq/../../etc": http.StatusNotFound,
	} {
		status, body := f.action(path)
		assert.Equal(t, want, status, "%s: %s", path, body)
	}
}

func TestDeliveriesList(t *testing.T) {
	f := newFixture(t, Options{Capacity: 2})
	f.deliver("/bunq?token="+testToken, "application/json", sample(t, "bunq", "MUTATION"))
	f.deliver("/bunq?token="+testToken, "text/plain", []byte("x"))
	f.deliver("/bankhub?token="+testToken, "application/json", sample(t, "bankhub", "GRANT_ERROR"))
	status, _, b := f.pageRequest(http.MethodGet, "/deliveries")
	require.Equal(t, http.StatusOK, status)
	var list []Summary
	require.NoError(t, json.Unmarshal(b, &list))
	require.Len(t, list, 2, "the capacity")
	assert.Equal(t, []uint64{3, 2}, []uint64{list[0].ID, list[1].ID}, "newest first")
	assert.Equal(t, "unsupported_media_type", list[1].Reason)
	assert.True(t, strings.HasPrefix(list[0].IdempotencyKey, "bankhub:GRANT:ERROR:"))

	status, _, _ = f.pageRequest(http.MethodGet, "/deliveries/1")
	assert.Equal(t, http.StatusNotFound, status, "no longer kept")
}

func TestNew(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    Options
		want string
	}{
		{"no bank", Options{}, "no bank endpoint"},
		{"a bank without a path", Options{Banks: []Bank{{Name: "bunq"}}}, "needs a name and a path"},
		{"a bank twice", Options{Banks: []Bank{{Name: "bunq", Path: "/a"}, {Name: "bunq", Path: "/b"}}}, `bank "bunq" given twice`},
		{"negative capacity", Options{Banks: []Bank{{Name: "bunq", Path: "/a"}}, Capacity: -1}, "negative capacity"},
		{"negative budget", Options{Banks: []Bank{{Name: "bunq", Path: "/a"}}, MaxBytes: -1}, "negative byte budget"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.o)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.True(t, strings.HasPrefix(err.Error(), "bankhook: inspector: "))
		})
	}
	i, err := New(Options{Banks: []Bank{{Name: "bunq", Path: "/bunq"}}})
	require.NoError(t, err)
	assert.Equal(t, DefaultCapacity, len(i.ring.slots))
	assert.Equal(t, DefaultMaxBytes, i.ring.max)
}
