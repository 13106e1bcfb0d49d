package main

import (
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook/cmd/bankhook/internal/inspect"
)

var inspectorRE = regexp.MustCompile(`inspector on (http://[^\s"/]+/)\?token=([A-Z2-7]{26})\b`)

// inspectorURL returns the page's address that s logged, with its access
// token: http://127.0.0.1:PORT/?token=….
func (s *server) inspectorURL() string {
	s.t.Helper()
	m := inspectorRE.FindStringSubmatch(s.stderr.String())
	require.NotNil(s.t, m, "serve logged no inspector address with a token:\n%s", s.stderr.String())
	return m[1] + "?token=" + m[2]
}

// inspectorPage returns the page's address without the token.
func (s *server) inspectorPage() string {
	s.t.Helper()
	page, _, _ := strings.Cut(s.inspectorURL(), "?")
	return page
}

// inspectorClient returns a client signed in to s's inspector as a
// browser is: it opened the logged address, traded the token for the
// session cookie and was sent on to the page.
func (s *server) inspectorClient() *http.Client {
	s.t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(s.t, err)
	client := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	resp, err := client.Get(s.inspectorURL())
	require.NoError(s.t, err)
	defer resp.Body.Close()
	require.Equal(s.t, http.StatusOK, resp.StatusCode)
	require.Equal(s.t, s.inspectorPage(), resp.Request.URL.String(), "sent on to the page without the token")
	return client
}

// TestServeInspectNeedsTheLoggedAddress: the inspector answers 401 to
// whoever did not open the address serve logged, and that address (a
// token per process start) signs a browser in.
func TestServeInspectNeedsTheLoggedAddress(t *testing.T) {
	t.Parallel()
	s := startServe(t, "--dev", "--token", "s3cret", "--inspect", "127.0.0.1:0")
	page := s.inspectorPage()
	noRedirect := &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	for _, path := range []string{"", "static/app.js", "events", "deliveries", "deliveries/1", "samples", "?token=WRONG"} {
		resp, err := noRedirect.Get(page + path)
		require.NoError(t, err)
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, path)
		assert.Contains(t, string(b), "open the address serve logged at start", path)
	}
	resp, err := noRedirect.Post(page+"samples/bunq/MUTATION", "", nil)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	// The logged address: a 303 to the page, with the session cookie.
	resp, err = noRedirect.Get(s.inspectorURL())
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, "/", resp.Header.Get("Location"))
	cookies := resp.Cookies()
	require.Len(t, cookies, 1)
	assert.True(t, cookies[0].HttpOnly)
	assert.Equal(t, http.SameSiteStrictMode, cookies[0].SameSite)

	// Any number of times in this process (a second browser), and the
	// cookie opens the list.
	second := s.inspectorClient()
	resp, err = second.Get(page + "deliveries")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	// Another process: another token, and the first one's session is
	// nothing to it.
	other := startServe(t, "--dev", "--inspect", "127.0.0.1:0")
	assert.NotEqual(t, s.inspectorURL()[len(page):], other.inspectorURL()[len(other.inspectorPage()):])
	req, err := http.NewRequest(http.MethodGet, other.inspectorPage()+"deliveries", nil)
	require.NoError(t, err)
	_, otherPort, err := net.SplitHostPort(strings.TrimSuffix(strings.TrimPrefix(other.inspectorPage(), "http://"), "/"))
	require.NoError(t, err)
	req.AddCookie(&http.Cookie{Name: "bankhook_inspector_" + otherPort, Value: cookies[0].Value})
	resp, err = noRedirect.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	other.stop()
	s.stop()
}

func TestServeInspectUsageErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"every interface", []string{"--inspect", "0.0.0.0:4040"}, "loopback only"},
		{"no host", []string{"--inspect", ":4040"}, "loopback only"},
		{"a private address", []string{"--inspect", "192.168.1.10:4040"}, "loopback only"},
		{"a name", []string{"--inspect", "inspector.example.com:4040"}, "loopback only"},
		{"no port", []string{"--inspect", "127.0.0.1"}, "want host:port"},
		{"the banks' port", []string{"--addr", "127.0.0.1:18080", "--inspect", "127.0.0.1:18080"}, "port 18080 is the banks' (--addr)"},
		{"the banks' port on another host", []string{"--addr", ":18080", "--inspect", "[::1]:18080"}, "port 18080 is the banks' (--addr)"},
		{"--dev's address on the banks' port", []string{"--dev", "--addr", "127.0.0.1:4040"}, "--dev's inspector address 127.0.0.1:4040: port 4040 is the banks'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := runIn(t, append([]string{"serve"}, tc.args...)...)
			assert.Equal(t, exitUsage, r.code, r.stderr)
			assert.Contains(t, r.stderr, tc.want)
		})
	}
}

func TestServeInspectAddressInUse(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()

	r := runBin(t, nil, "serve", "--dev", "--addr", "127.0.0.1:0", "--inspect", busy.Addr().String())
	assert.Equal(t, exitFailure, r.code, "an address given with --inspect must be served")
	assert.Contains(t, r.stderr, "--inspect: bankhook: inspector:")
	// The address --dev chose by itself: see the gateway's
	// TestStartInspectorOptionalAddressInUse.
}

func TestServeInspectOff(t *testing.T) {
	t.Parallel()
	s := startServe(t, "--dev", "--inspect", "off")
	s.stop()
	assert.NotContains(t, s.stderr.String(), "inspector")
}

// TestServeInspectAnswersUnchanged sends the same requests to serve with
// and without the inspector: every answer must be the same, and the
// inspector must keep every one of them.
func TestServeInspectAnswersUnchanged(t *testing.T) {
	t.Parallel()
	plain := startServe(t, "--dev", "--token", "s3cret", "--inspect", "off")
	watched := startServe(t, "--dev", "--token", "s3cret", "--inspect", "127.0.0.1:0")
	mutation := bunqSample(t, "MUTATION")
	requests := []struct {
		name, path, contentType string
		body                    []byte
	}{
		{"handled", "/bunq?token=s3cret", "application/json", mutation},
		{"duplicate", "/bunq?token=s3cret", "application/json", mutation},
		{"bad token", "/bunq?token=wrong", "application/json", mutation},
		{"bad payload", "/bankhub?token=s3cret", "application/json", []byte(`{"webhookType":"TRANSACTIONS","webhookCode":"DEFAULT_UPDATE","transaction":{"amount":"x"}}`)},
		{"not JSON", "/bankhub?token=s3cret", "text/plain", []byte("hello")},
	}
	for _, rq := range requests {
		want := post(t, nil, plain.url+rq.path, rq.contentType, rq.body)
		got := post(t, nil, watched.url+rq.path, rq.contentType, rq.body)
		assert.Equal(t, want.status, got.status, rq.name)
		assert.Equal(t, want.body, got.body, rq.name)
		want.header.Del("Date")
		got.header.Del("Date")
		assert.Equal(t, want.header, got.header, rq.name)
	}

	client := watched.inspectorClient()
	resp, err := client.Get(watched.inspectorPage() + "deliveries")
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var list []inspect.Summary
	require.NoError(t, json.Unmarshal(b, &list))
	require.Len(t, list, len(requests))
	for n, s := range list { // newest first
		rq := requests[len(requests)-1-n]
		assert.Equal(t, uint64(len(requests)-n), s.ID, rq.name)
		assert.Equal(t, "127.0.0.1", s.Sender, rq.name)
	}
	assert.Equal(t, []int{415, 400, 401, 200, 200}, []int{list[0].Status, list[1].Status, list[2].Status, list[3].Status, list[4].Status})
	assert.True(t, list[3].Replayed, "the duplicate is answered from the dedupe store")
	assert.Equal(t, "bad_token", list[2].Reason)
	assert.NotContains(t, string(b), "s3cret")

	// The detail view shows the very line written to --out, and the line
	// a duplicate would give.
	handled := inspectorDetail(t, client, watched.inspectorPage(), 1)
	assert.Equal(t, "written to the output before the bank was answered", handled.LineNote)
	duplicate := inspectorDetail(t, client, watched.inspectorPage(), 2)
	assert.Equal(t, "not written again: a duplicate of an event already handled", duplicate.LineNote)
	assert.Contains(t, duplicate.Line, `"provider": "bunq"`)

	lines := watched.stop()
	plain.stop()
	require.Len(t, lines, 1)
	written, err := os.ReadFile(watched.out)
	require.NoError(t, err)
	assert.Equal(t, strings.TrimSuffix(string(written), "\n"), string(compact(t, []byte(handled.Line))))
}

// inspectorDetail returns GET /deliveries/{id} of the inspector at page,
// asked by client (see inspectorClient).
func inspectorDetail(t *testing.T, client *http.Client, page string, id int) inspect.Detail {
	t.Helper()
	resp, err := client.Get(page + "deliveries/" + strconv.Itoa(id))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(b))
	var d inspect.Detail
	require.NoError(t, json.Unmarshal(b, &d))
	return d
}
