package main

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/go-json-experiment/json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook/cmd/bankhook/internal/inspect"
)

var inspectorRE = regexp.MustCompile(`inspector on (http://[^\s"]+)`)

// inspectorURL returns the page's address that s logged.
func (s *server) inspectorURL() string {
	s.t.Helper()
	m := inspectorRE.FindStringSubmatch(s.stderr.String())
	require.NotNil(s.t, m, "serve logged no inspector address:\n%s", s.stderr.String())
	return m[1]
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

	// The address --dev chose by itself: a warning, and serve goes on.
	var log bytes.Buffer
	c := &serveConfig{inspect: busy.Addr().String(), inspectDev: true, bunqPath: "/bunq"}
	insp, err := c.newInspector()
	require.NoError(t, err)
	stop, err := c.startInspector(insp, http.NotFoundHandler(), "127.0.0.1:8080", slog.New(slog.NewTextHandler(&log, nil)))
	require.NoError(t, err)
	stop()
	assert.Contains(t, log.String(), "level=WARN")
	assert.Contains(t, log.String(), "inspector not started")
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

	resp, err := http.Get(watched.inspectorURL() + "deliveries")
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
	handled := inspectorDetail(t, watched.inspectorURL(), 1)
	assert.Equal(t, "written to the output before the bank was answered", handled.LineNote)
	duplicate := inspectorDetail(t, watched.inspectorURL(), 2)
	assert.Equal(t, "not written again: a duplicate of an event already handled", duplicate.LineNote)
	assert.Contains(t, duplicate.Line, `"provider": "bunq"`)

	lines := watched.stop()
	plain.stop()
	require.Len(t, lines, 1)
	written, err := os.ReadFile(watched.out)
	require.NoError(t, err)
	assert.Equal(t, strings.TrimSuffix(string(written), "\n"), string(compact(t, []byte(handled.Line))))
}

// inspectorDetail returns GET /deliveries/{id} of the inspector at page.
func inspectorDetail(t *testing.T, page string, id int) inspect.Detail {
	t.Helper()
	resp, err := http.Get(page + "deliveries/" + strconv.Itoa(id))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(b))
	var d inspect.Detail
	require.NoError(t, json.Unmarshal(b, &d))
	return d
}
