package main

import (
	"bufio"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
)

// TestServeRefusesUnsafeSetups: what would lose events or let anyone in
// is a usage error that names the flag, before anything starts.
func TestServeRefusesUnsafeSetups(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	require.NoError(t, os.WriteFile(empty, []byte(" \n"), 0o600))
	twoLines := filepath.Join(dir, "two")
	require.NoError(t, os.WriteFile(twoLines, []byte("a\nb\n"), 0o600))
	for _, tc := range []struct {
		name  string
		args  []string
		error string
	}{
		{"no output", nil, "--out: no durable output for events: give --out FILE"},
		{"standard output a pipe", []string{"--out", "-"}, "--out -: standard output is not a file"},
		{"dev on every interface without a token", []string{"--dev", "--addr", "0.0.0.0:0"}, "--dev on --addr 0.0.0.0:0, which is not loopback"},
		{"dev on a host name without a token", []string{"--dev", "--addr", ":8080"}, "give a token (--token-file or BANKHOOK_TOKEN)"},
		{"token twice", []string{"--dev", "--token", "a", "--token-file", empty}, "--token and --token-file both give the token"},
		{"empty token file", []string{"--dev", "--token-file", empty}, "--token-file " + empty + ": empty"},
		{"missing token file", []string{"--dev", "--token-file", filepath.Join(dir, "none")}, "no such file"},
		{"token file of two lines", []string{"--dev", "--token-file", twoLines}, "holds more than one line"},
		{"token file a directory", []string{"--dev", "--token-file", dir}, "not a regular file"},
		{"no dedupe capacity", []string{"--dev", "--dedupe-capacity", "0"}, "--dedupe-capacity 0"},
		{"no connections", []string{"--dev", "--max-conns", "0"}, "--max-conns 0"},
		{"postgres with forward", []string{"--postgres", "postgres://bankhook@127.0.0.1:1/events", "--forward", "http://127.0.0.1:1/"}, "--forward does not go with --postgres"},
		{"postgres URL malformed", []string{"--postgres", "postgres://bankhook:pa55word@[::1/events"}, "--postgres: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runIn(t, append([]string{"serve"}, tc.args...)...)
			assert.Equal(t, exitUsage, r.code, r.stderr)
			assert.Contains(t, r.stderr, tc.error)
			assert.NotContains(t, r.stderr, "listening on")
		})
	}
}

// TestServeStdoutRedirectedToFile: without --dev, --out - is accepted when
// standard output is a regular file, and the line is in it.
func TestServeStdoutRedirectedToFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stdout.jsonl")
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--allow", "127.0.0.1", "--out", "-")
	cmd.Stdout = f
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	sc := bufio.NewScanner(stderr)
	url := ""
	for url == "" && sc.Scan() {
		if m := listeningRE.FindStringSubmatch(sc.Text()); m != nil {
			url = m[1]
		}
	}
	require.NotEmpty(t, url, "serve did not start")
	go func() {
		_ = sc.Err()
		for sc.Scan() {
		}
	}()
	a := post(t, nil, url+"/bankhub", "application/json", bankhubSample(t, "GRANT_ERROR"))
	require.Equal(t, http.StatusOK, a.status, a.body)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Len(t, parseLines(t, b), 1)
}

// TestServeSecretWarnings: secrets on the command line, and a token file
// others can read, work but are logged as warnings at start; a token from
// the file or the environment is not.
func TestServeSecretWarnings(t *testing.T) {
	dir := t.TempDir()
	private := filepath.Join(dir, "private")
	require.NoError(t, os.WriteFile(private, []byte("s3cret\n"), 0o600))
	shared := filepath.Join(dir, "shared")
	require.NoError(t, os.WriteFile(shared, []byte("s3cret\n"), 0o644))

	for _, tc := range []struct {
		name string
		args []string
		warn string // "" for none
	}{
		{"token flag", []string{"--token", "s3cret"}, "--token: the secret shows in ps"},
		{"token file", []string{"--token-file", private}, ""},
		{"token file others read", []string{"--token-file", shared}, "--token-file " + shared + " can be read by group or others (mode 0644)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startServe(t, append([]string{"--dev"}, tc.args...)...)
			assert.Equal(t, http.StatusUnauthorized, post(t, nil, s.url+"/bankhub", "application/json", bankhubSample(t, "GRANT_ERROR")).status)
			assert.Equal(t, http.StatusOK, post(t, nil, s.url+"/bankhub?token=s3cret", "application/json", bankhubSample(t, "GRANT_ERROR")).status)
			warnings := s.logLines("level=WARN", "msg=\"--")
			if tc.warn == "" {
				assert.Empty(t, warnings)
			} else {
				require.Len(t, warnings, 1)
				assert.Contains(t, warnings[0], tc.warn)
			}
			assert.NotContains(t, s.stderr.String(), "s3cret", "the secret is never logged")
		})
	}

	t.Run("token from the environment", func(t *testing.T) {
		t.Setenv(envToken, "fr0m-env")
		s := startServe(t, "--dev")
		assert.Equal(t, http.StatusUnauthorized, post(t, nil, s.url+"/bankhub", "application/json", bankhubSample(t, "GRANT_ERROR")).status)
		assert.Equal(t, http.StatusOK, post(t, nil, s.url+"/bankhub?token=fr0m-env", "application/json", bankhubSample(t, "GRANT_ERROR")).status)
		assert.Empty(t, s.logLines("level=WARN", "msg=\"--"))
	})

	t.Run("redis password", func(t *testing.T) {
		r := runBin(t, nil, "serve", "--dev", "--addr", "127.0.0.1:0", "--redis", "redis://:pa55word@"+freeAddr(t))
		assert.Equal(t, exitFailure, r.code, "nothing listens there")
		assert.Contains(t, r.stderr, "--redis: the URL's password shows in ps")
		assert.NotContains(t, r.stderr, "pa55word")
	})

	t.Run("postgres password", func(t *testing.T) {
		r := runBin(t, nil, "serve", "--dev", "--addr", "127.0.0.1:0", "--postgres", "postgres://bankhook:pa55word@"+freeAddr(t)+"/events")
		assert.Equal(t, exitFailure, r.code, "nothing listens there")
		assert.Contains(t, r.stderr, "--postgres: the URL's password shows in ps")
		assert.NotContains(t, r.stderr, "pa55word")
	})

	t.Run("postgres URL from the environment", func(t *testing.T) {
		addr := freeAddr(t)
		t.Setenv(envPostgres, "postgres://bankhook:pa55word@"+addr+"/events")
		r := runBin(t, nil, "serve", "--dev", "--addr", "127.0.0.1:0")
		assert.Equal(t, exitFailure, r.code, "nothing listens there")
		assert.Contains(t, r.stderr, "--postgres "+addr+"/events", "the URL of the environment is used")
		assert.NotContains(t, r.stderr, "level=WARN")
		assert.NotContains(t, r.stderr, "pa55word")
	})

	t.Run("redis URL from the environment", func(t *testing.T) {
		addr := freeAddr(t)
		t.Setenv(envRedisURL, "redis://:pa55word@"+addr)
		r := runBin(t, nil, "serve", "--dev", "--addr", "127.0.0.1:0")
		assert.Equal(t, exitFailure, r.code, "nothing listens there")
		assert.Contains(t, r.stderr, "--redis "+addr, "the URL of the environment is used")
		assert.NotContains(t, r.stderr, "level=WARN")
		assert.NotContains(t, r.stderr, "pa55word")
	})
}

// TestServeDevAllowsLoopbackOnly: --dev adds this machine's addresses to
// the senders, and no private range.
func TestServeDevAllowsLoopbackOnly(t *testing.T) {
	s := startServe(t, "--dev")
	lines := s.logLines("msg=\"bunq endpoint\"")
	require.Len(t, lines, 1)
	assert.Contains(t, lines[0], "127.0.0.0/8,::1/128")
	for _, private := range []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"} {
		assert.NotContains(t, lines[0], private)
	}
}

// TestServeClosesDeniedAtAccept: without --trust-proxy, a connection from
// an address no bank allows is closed before serve reads a byte of it;
// behind a trusted proxy the sender is judged by X-Forwarded-For, so the
// connection is served and the request refused with 403.
func TestServeClosesDeniedAtAccept(t *testing.T) {
	body := bankhubSample(t, "GRANT_ERROR")
	s := startServe(t) // 127.0.0.1 is no bank
	_, err := tryPost(t.Context(), nil, s.url+"/bankhub", "application/json", body)
	require.Error(t, err, "the connection is closed without an answer")

	proxied := startServe(t, "--trust-proxy", "10.0.0.1")
	a := post(t, nil, proxied.url+"/bankhub", "application/json", body)
	assert.Equal(t, http.StatusForbidden, a.status)
	assert.Equal(t, string(bankhook.ReasonIPDenied), reasonOf(t, a))
}

// TestServeHealthOnMetricsListener: a prober the banks' listener closes at
// accept asks /healthz and /readyz on --metrics' listener instead.
func TestServeHealthOnMetricsListener(t *testing.T) {
	s := startServe(t, "--metrics", "127.0.0.1:0") // 127.0.0.1 is no bank
	base := strings.TrimSuffix(s.metricsURL(), "/metrics")
	for path, body := range map[string]string{"/healthz": "ok\n", "/readyz": "ready\n"} {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, base+path, nil)
		require.NoError(t, err)
		a := do(t, nil, req)
		assert.Equal(t, http.StatusOK, a.status, path)
		assert.Equal(t, body, a.body, path)
	}
	_, err := tryPost(t.Context(), nil, s.url+"/healthz", "application/json", nil)
	assert.Error(t, err, "the banks' listener closes this machine's connection at accept")
}

// TestServeDedupeEvictions: a dedupe store too small for its traffic
// counts every key evicted before its TTL in
// bankhook_dedupe_evictions_total and warns once, naming the flag.
func TestServeDedupeEvictions(t *testing.T) {
	s := startServe(t, "--dev", "--dedupe-capacity", "2", "--metrics", "127.0.0.1:0")
	for id := range 5 {
		body := []byte(strings.Replace(string(bunqSample(t, "MUTATION")), `"id": 2938471`, `"id": `+strconv.Itoa(900000+id), 1))
		a := post(t, nil, s.url+"/bunq", "application/json", body)
		require.Equal(t, http.StatusOK, a.status, a.body)
	}
	m := scrape(t, s.metricsURL())
	assert.Equal(t, 3.0, m[`bankhook_dedupe_evictions_total{receiver="bunq"}`], "five events, two kept")
	warnings := s.logLines("level=WARN", "dedupe store full")
	require.Len(t, warnings, 1, "the first eviction only")
	assert.Contains(t, warnings[0], "--dedupe-capacity")
	assert.Contains(t, warnings[0], "bank=bunq")
}
