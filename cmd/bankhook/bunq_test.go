package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook/bunq"
	"github.com/bankhook/bankhook/bunq/bunqtest"
)

// bunqEnv is a stand-in of bunq's API with one user, and a directory for
// the context file, for driving the built command.
type bunqEnv struct {
	t    *testing.T
	srv  *bunqtest.Server
	user bunqtest.User
	dir  string
	ctx  string // the context file
}

func newBunqEnv(t *testing.T, o bunqtest.Options) *bunqEnv {
	t.Helper()
	if o.RateWindow == 0 {
		o.RateWindow = -1
	}
	srv := bunqtest.NewServer(o)
	t.Cleanup(srv.Close)
	u, err := srv.AddUser(bunqtest.UserOptions{Kind: "UserCompany"})
	require.NoError(t, err)
	dir := t.TempDir()
	return &bunqEnv{t: t, srv: srv, user: u, dir: dir, ctx: filepath.Join(dir, "bunq-context.json")}
}

// run runs bankhook bunq with args, --context and --api-url added, and
// BUNQ_API_KEY set to apiKey ("" to leave it unset).
func (e *bunqEnv) run(apiKey string, args ...string) result {
	e.t.Helper()
	full := append([]string{"bunq"}, args...)
	full = append(full, "--context", e.ctx, "--api-url", e.srv.URL())
	return runWithEnv(e.t, apiKey, full...)
}

// runWithEnv runs the built command with BUNQ_API_KEY set to apiKey, or
// unset when apiKey is "".
func runWithEnv(t *testing.T, apiKey string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, apiKeyEnv+"=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if apiKey != "" {
		cmd.Env = append(cmd.Env, apiKeyEnv+"="+apiKey)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		require.NoError(t, err)
	}
	return result{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
}

// login logs the user in and requires success.
func (e *bunqEnv) login() {
	e.t.Helper()
	r := e.run(e.user.APIKey, "login")
	require.Equal(e.t, exitOK, r.code, r.stderr)
}

// fail has n more MUTATION callbacks to target fail for good.
func (e *bunqEnv) fail(t *testing.T, target string, n int) {
	t.Helper()
	before := len(e.srv.Failures(e.user.ID))
	require.NoError(t, e.srv.SetFilters(e.user.ID, 0, []bunq.NotificationFilterURL{{Category: bunq.CategoryMutation, NotificationTarget: target}}))
	for range n {
		_, err := e.srv.Pay(e.user.AccountID, "-3.00", "order")
		require.NoError(t, err)
	}
	e.srv.Advance(bunq.RetrySchedule.Span())
	require.Len(t, e.srv.Failures(e.user.ID), before+n)
	require.NoError(t, e.srv.SetFilters(e.user.ID, 0, nil))
}

func TestBunqLogin(t *testing.T) {
	t.Parallel()
	e := newBunqEnv(t, bunqtest.Options{})

	r := e.run("", "login")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "$BUNQ_API_KEY is not set")
	assert.NoFileExists(t, e.ctx)

	r = e.run("wrong-key", "login")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "400 Bad Request: User credentials are incorrect")
	assert.NotContains(t, r.stderr, "wrong-key")
	assert.NoFileExists(t, e.ctx)

	r = e.run(e.user.APIKey, "login", "--description", "payments")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, fmt.Sprintf("user_id: %d\nuser_type: UserCompany\ncontext: %s\n", e.user.ID, e.ctx), r.stdout)
	assert.NotContains(t, r.stdout+r.stderr, e.user.APIKey)
	info, err := os.Stat(e.ctx)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	r = e.run(e.user.APIKey, "login")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "exists: pass --force to replace it")
	r = e.run(e.user.APIKey, "login", "--force")
	assert.Equal(t, exitOK, r.code, r.stderr)

	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"http API elsewhere", []string{"bunq", "login", "--api-url", "http://api.example.com"}, "http is allowed for a loopback host only"},
		{"not a URL", []string{"bunq", "login", "--api-url", "api.example.com"}, "want an https URL"},
		{"an argument", []string{"bunq", "login", "extra"}, `unexpected argument "extra"`},
		{"the key as a flag", []string{"bunq", "login", "--api-key", "k"}, "flag provided but not defined: -api-key"},
		{"empty context", []string{"bunq", "login", "--context", ""}, "--context: empty file name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runWithEnv(t, "k", tt.args...)
			assert.Equal(t, exitUsage, r.code)
			assert.Contains(t, r.stderr, tt.stderr)
		})
	}
}

func TestBunqFilters(t *testing.T) {
	t.Parallel()
	e := newBunqEnv(t, bunqtest.Options{})
	r := e.run("", "filters")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "run bankhook bunq login first")
	e.login()

	r = e.run("", "filters")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Empty(t, r.stdout)

	a, b := "https://a.example/bunq?token=s3cret", "https://b.example/hook"
	r = e.run("", "subscribe", "--url", a, "MUTATION", "payment")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "MUTATION\t"+a+"\nPAYMENT\t"+a+"\n", r.stdout)
	r = e.run("", "subscribe", "--url", b, "MUTATION")
	require.Equal(t, exitOK, r.code, r.stderr)
	r = e.run("", "subscribe", "--url", a, "REQUEST", "MUTATION")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "MUTATION\t"+b+"\nREQUEST\t"+a+"\nMUTATION\t"+a+"\n", r.stdout, "a's categories replaced, b's kept")
	r = e.run("", "filters")
	assert.Equal(t, "MUTATION\t"+b+"\nREQUEST\t"+a+"\nMUTATION\t"+a+"\n", r.stdout)

	r = e.run("", "unsubscribe", "--url", b)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "REQUEST\t"+a+"\nMUTATION\t"+a+"\n", r.stdout)
	r = e.run("", "unsubscribe", "--url", "https://c.example/")
	assert.Equal(t, exitOK, r.code)
	assert.Contains(t, r.stderr, "no filter has that URL")
	r = e.run("", "unsubscribe")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Empty(t, r.stdout)
	assert.Empty(t, e.srv.Filters(e.user.ID, 0))

	r = e.run("", "subscribe", "--url", a, "--account", fmt.Sprint(e.user.AccountID), "MUTATION")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Len(t, e.srv.Filters(e.user.ID, e.user.AccountID), 1)
	r = e.run("", "filters", "--account", fmt.Sprint(e.user.AccountID))
	assert.Equal(t, "MUTATION\t"+a+"\n", r.stdout)
	r = e.run("", "filters")
	assert.Empty(t, r.stdout, "the user's own filters are apart")
	r = e.run("", "filters", "--account", "999999")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "404 Not Found")

	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"no url", []string{"subscribe", "MUTATION"}, "--url: missing"},
		{"http url", []string{"subscribe", "--url", "http://a.example/?token=s3cret", "MUTATION"}, "bunq calls https URLs only"},
		{"no category", []string{"subscribe", "--url", a}, "no CATEGORY given"},
		{"unknown category", []string{"subscribe", "--url", a, "MUTATION", "CARD_DISPUTE"}, `category "CARD_DISPUTE" is not one bunq documents`},
		{"negative account", []string{"filters", "--account", "-1"}, "want a monetary account id"},
		{"argument to unsubscribe", []string{"unsubscribe", "all"}, `unexpected argument "all"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.run("", tt.args...)
			assert.Equal(t, exitUsage, r.code)
			assert.Contains(t, r.stderr, tt.stderr)
			assert.NotContains(t, r.stderr, "s3cret", "a URL's token is not repeated")
		})
	}
}

func TestBunqPin(t *testing.T) {
	t.Parallel()
	e := newBunqEnv(t, bunqtest.Options{})
	e.login()
	cert := newTestCert(t, e.dir, "hooks.test", time.Now().Add(90*24*time.Hour))
	ts := httptest.NewUnstartedServer(http.NotFoundHandler())
	kp, err := tls.LoadX509KeyPair(cert.certFile, cert.keyFile)
	require.NoError(t, err)
	ts.TLS = &tls.Config{Certificates: []tls.Certificate{kp}}
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	ts.StartTLS()
	t.Cleanup(ts.Close)
	host := strings.TrimPrefix(ts.URL, "https://")

	r := e.run("", "pin", host)
	assert.Equal(t, exitFailure, r.code, "a self-signed chain does not verify")
	assert.Contains(t, r.stderr, "certificate")

	r = e.run("", "pin", "--insecure", host)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `^\d+\n$`, r.stdout)
	id := strings.TrimSpace(r.stdout)
	assert.Equal(t, []string{string(cert.certPEM)}, e.srv.PinnedChains(e.user.ID))

	r = e.run("", "pin", "--list")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, id+"\tCN=hooks.test,O=bankhook test\t"+cert.cert.NotAfter.UTC().Format(time.RFC3339)+"\n", r.stdout)

	r = e.run("", "pin", "--remove", id)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "removed "+id+"\n", r.stdout)
	r = e.run("", "pin", "--list")
	assert.Empty(t, r.stdout)
	r = e.run("", "pin", "--remove", id)
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "404 Not Found")

	for name, args := range map[string][]string{
		"nothing":         {"pin"},
		"host and list":   {"pin", host, "--list"},
		"list and remove": {"pin", "--list", "--remove", "3"},
		"bad remove":      {"pin", "--remove", "0"},
		"two hosts":       {"pin", host, host},
	} {
		t.Run(name, func(t *testing.T) {
			r := e.run("", args...)
			assert.Equal(t, exitUsage, r.code, r.stderr)
		})
	}
}

func TestBunqFailuresAndRetry(t *testing.T) {
	t.Parallel()
	e := newBunqEnv(t, bunqtest.Options{})
	e.login()
	e.fail(t, "https://127.0.0.1:1/bunq?token=s3cret", 3)

	r := e.run("", "failures")
	require.Equal(t, exitOK, r.code, r.stderr)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	require.Len(t, lines, 3)
	created := e.srv.Failures(e.user.ID)[0].Created.String()
	const target = "https://127.0.0.1:1/bunq?token=s3cret"
	assert.Equal(t, "3\t"+created+"\tMUTATION\tMUTATION_CREATED\t10003\t"+target, lines[0])
	assert.Equal(t, "1\t"+created+"\tMUTATION\tMUTATION_CREATED\t10001\t"+target, lines[2])

	r = e.run("", "failures", "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	lines = strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	require.Len(t, lines, 3)
	var first map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &first))
	assert.Equal(t, map[string]any{"id": 3.0, "created": created, "category": "MUTATION", "event_type": "MUTATION_CREATED", "object_id": 10003.0, "notification_target": target}, first)
	assert.Equal(t, fmt.Sprintf(`{"id":3,"created":%q,"category":"MUTATION","event_type":"MUTATION_CREATED","object_id":10003,"notification_target":%q}`, created, target), lines[0], "bunq's field names, in this order")

	r = e.run("", "retry", "1", "3")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "re-sent 2 failures in 1 request\n", r.stdout)
	left := e.srv.Failures(e.user.ID)
	require.Len(t, left, 1)
	assert.Equal(t, int64(2), left[0].ID)

	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"nothing to re-send", []string{"retry"}, "missing --all or the IDs"},
		{"both", []string{"retry", "--all", "2"}, "give --all or IDs, not both"},
		{"not an id", []string{"retry", "2", "x"}, `"x" is not a failure id`},
		{"twice", []string{"retry", "2", "2"}, "id 2 given twice"},
		{"failures argument", []string{"failures", "all"}, `unexpected argument "all"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.run("", tt.args...)
			assert.Equal(t, exitUsage, r.code)
			assert.Contains(t, r.stderr, tt.stderr)
		})
	}

	t.Run("all, in chunks of 100", func(t *testing.T) {
		e.srv.Advance(bunq.RetrySchedule.Span()) // the two re-sent fail again
		require.Len(t, e.srv.Failures(e.user.ID), 3)
		e.fail(t, "https://127.0.0.1:1/bunq", 248)
		require.Len(t, e.srv.Failures(e.user.ID), 251)
		start := len(e.srv.Requests())
		r := e.run("", "retry", "--all")
		require.Equal(t, exitOK, r.code, r.stderr)
		assert.Equal(t, "re-sent 251 failures in 3 requests\n", r.stdout)
		posts := 0
		for _, req := range e.srv.Requests()[start:] {
			if req.Method == "POST" && strings.HasSuffix(req.Path, "/notification-filter-failure") {
				posts++
			}
		}
		assert.Equal(t, 3, posts)
		assert.Empty(t, e.srv.Failures(e.user.ID))
		r = e.run("", "retry", "--all")
		assert.Equal(t, "re-sent 0 failures in 0 requests\n", r.stdout)
	})
}

func TestBunqRefuses(t *testing.T) {
	t.Parallel()
	e := newBunqEnv(t, bunqtest.Options{})
	e.login()

	t.Run("a context others may read", func(t *testing.T) {
		require.NoError(t, os.Chmod(e.ctx, 0o644))
		defer func() { require.NoError(t, os.Chmod(e.ctx, 0o600)) }()
		r := e.run("", "filters")
		assert.Equal(t, exitFailure, r.code)
		assert.Contains(t, r.stderr, "mode 0644 lets other users read or write it")
	})
	t.Run("a tampered answer", func(t *testing.T) {
		e.srv.SetSignatureMode(bunqtest.SignTampered)
		defer e.srv.SetSignatureMode(bunqtest.SignBody)
		r := e.run("", "failures")
		assert.Equal(t, exitFailure, r.code)
		assert.Contains(t, r.stderr, "response signature missing or invalid")
		assert.Empty(t, r.stdout)
	})
	t.Run("an ended session is renewed and saved", func(t *testing.T) {
		before, err := os.ReadFile(e.ctx)
		require.NoError(t, err)
		e.srv.ExpireSessions()
		r := e.run("", "filters")
		require.Equal(t, exitOK, r.code, r.stderr)
		assert.Contains(t, r.stderr, "opened a new session")
		after, err := os.ReadFile(e.ctx)
		require.NoError(t, err)
		assert.NotEqual(t, before, after)
	})
	t.Run("usage", func(t *testing.T) {
		for _, tt := range []struct {
			args   []string
			code   int
			stdout string
			stderr string
		}{
			{[]string{"bunq"}, exitUsage, "", "Usage: bankhook bunq SUBCOMMAND"},
			{[]string{"bunq", "-h"}, exitOK, "login ", ""},
			{[]string{"bunq", "logout"}, exitUsage, "", `unknown subcommand "logout"`},
			{[]string{"bunq", "subscribe", "-h"}, exitOK, "USER_INFORMATION_INQUIRY", ""},
			{[]string{"bunq", "failures", "--sandbox", "--api-url", "ftp://x"}, exitUsage, "", "--api-url"},
		} {
			r := runWithEnv(t, "", tt.args...)
			assert.Equal(t, tt.code, r.code, "%v: %s", tt.args, r.stderr)
			assert.Contains(t, r.stdout, tt.stdout, "%v", tt.args)
			assert.Contains(t, r.stderr, tt.stderr, "%v", tt.args)
		}
	})
}

// TestServeRecovers runs serve with --bunq-context on the address whose
// callbacks bunq gave up on: its first recovery pass has those of
// --bunq-url re-sent, and they are received and written out, each once.
// The failures of another URL are left alone, and one older than the
// dedupe TTL is logged, not re-sent.
func TestServeRecovers(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cert := newTestCert(t, dir, "localhost", time.Now().Add(24*time.Hour))
	roots := x509.NewCertPool()
	roots.AddCert(cert.cert)
	// The stand-in's clock starts 80 h ago, for a failure that old.
	e := newBunqEnv(t, bunqtest.Options{DeliveryTLS: &tls.Config{RootCAs: roots}, Start: time.Now().Add(-80 * time.Hour)})
	e.login()

	addr := freeAddr(t)
	target := "https://" + addr + "/bunq?token=s3cret"
	e.fail(t, "https://127.0.0.1:1/other?token=x", 2) // another receiver's: ids 1, 2
	e.fail(t, target, 1)                              // too old: id 3
	e.srv.Advance(80 * time.Hour)
	e.fail(t, target, 5) // nothing listens on addr yet: ids 4 to 8
	require.NoError(t, e.srv.SetFilters(e.user.ID, 0, []bunq.NotificationFilterURL{{Category: bunq.CategoryMutation, NotificationTarget: target}}))

	s := startServe(t, "--addr", addr, "--allow", "127.0.0.1", "--token", "s3cret",
		"--tls-cert", cert.certFile, "--tls-key", cert.keyFile,
		"--bunq-context", e.ctx, "--bunq-recover", "1s",
		"--bunq-url", strings.Replace(target, "localhost", "LOCALHOST", 1))
	waitFor(t, "the first recovery pass", func() bool { return len(s.logLines("re-sent failed callbacks", "resent=5")) == 1 })
	assert.Len(t, s.logLines("re-sent failed callbacks", "resent=5", "other_target=2", "too_old=1"), 1)
	assert.NotEmpty(t, s.logLines("level=WARN", "older than the maximum age", "max_age=71h0m0s", "ids=3"))
	left := e.srv.Failures(e.user.ID)
	require.Len(t, left, 3, "the other URL's and the old one are left")
	for _, f := range left {
		assert.Contains(t, []int64{1, 2, 3}, f.ID)
	}
	assert.Equal(t, 5, e.srv.Advance(0), "bunq delivers the re-sent callbacks")

	// A new payment reaches serve directly; later passes find nothing.
	_, err := e.srv.Pay(e.user.AccountID, "7.00", "refund")
	require.NoError(t, err)
	assert.Equal(t, 1, e.srv.Advance(0))
	lines := s.stop()
	require.Len(t, lines, 6)
	seen := map[string]bool{}
	for _, l := range lines {
		assert.Equal(t, "bunq", l.Provider)
		assert.False(t, seen[l.Key], "each event once")
		seen[l.Key] = true
	}
	assert.Len(t, s.logLines("bunq recovery", "interval=1s"), 1)
	assert.Empty(t, s.logLines("s3cret"), "the token never reaches the log")
	assert.Empty(t, s.logLines(e.user.APIKey))
}

func TestServeRecoveryFlags(t *testing.T) {
	t.Parallel()
	e := newBunqEnv(t, bunqtest.Options{})
	e.login()
	const url = "https://hooks.example.com/bunq?token=s3cret"
	missing := filepath.Join(e.dir, "none.json") // past validation, serve fails on it
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"interval without context", []string{"--bunq-recover", "1m"}, exitUsage, "--bunq-recover needs --bunq-context"},
		{"interval too short", []string{"--bunq-context", e.ctx, "--bunq-url", url, "--bunq-recover", "10ms"}, exitUsage, "want at least 1s"},
		{"negative interval", []string{"--bunq-context", e.ctx, "--bunq-url", url, "--bunq-recover", "-1m"}, exitUsage, "want at least 1s"},
		{"empty context", []string{"--bunq-context", ""}, exitUsage, "--bunq-context: empty file name"},
		{"missing context", []string{"--bunq-context", missing, "--bunq-url", url}, exitFailure, "no such file"},
		{"context without URL", []string{"--bunq-context", e.ctx}, exitUsage, "--bunq-context needs --bunq-url"},
		{"interval and context without URL", []string{"--bunq-context", e.ctx, "--bunq-recover", "1m"}, exitUsage, "needs --bunq-url"},
		{"URL without context", []string{"--bunq-url", url}, exitUsage, "--bunq-url needs --bunq-context"},
		{"empty URL", []string{"--bunq-context", e.ctx, "--bunq-url", ""}, exitUsage, "--bunq-context needs --bunq-url"},
		{"not absolute", []string{"--bunq-context", e.ctx, "--bunq-url", "hooks.example.com/bunq?token=s3cret"}, exitUsage, "--bunq-url: want an absolute https URL"},
		{"http", []string{"--bunq-context", e.ctx, "--bunq-url", "http://hooks.example.com/bunq?token=s3cret"}, exitUsage, "--bunq-url: want an https URL"},
		{"http on loopback without --dev", []string{"--bunq-context", e.ctx, "--bunq-url", "http://127.0.0.1:8080/bunq?token=s3cret"}, exitUsage, "--bunq-url: want an https URL"},
		{"http off loopback with --dev", []string{"--dev", "--inspect", "off", "--bunq-context", e.ctx, "--bunq-url", "http://192.168.1.2:8080/bunq?token=s3cret"}, exitUsage, "--bunq-url: an http URL must be on a loopback host"},
		{"http on loopback with --dev", []string{"--dev", "--inspect", "off", "--bunq-context", missing, "--bunq-url", "http://localhost:8080/bunq?token=s3cret"}, exitFailure, "no such file"},
		{"ftp", []string{"--bunq-context", e.ctx, "--bunq-url", "ftp://hooks.example.com/bunq"}, exitUsage, "--bunq-url: want an https URL"},
		{"user information", []string{"--bunq-context", e.ctx, "--bunq-url", "https://u:p@hooks.example.com/bunq"}, exitUsage, "--bunq-url: want no user information"},
		{"another token", []string{"--token", "other", "--bunq-context", e.ctx, "--bunq-url", url}, exitUsage, "--bunq-url: its token= is not --token's"},
		{"the token", []string{"--token", "s3cret", "--bunq-context", missing, "--bunq-url", url}, exitFailure, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runBin(t, nil, append([]string{"serve", "--addr", "127.0.0.1:0", "--out", filepath.Join(t.TempDir(), "events.jsonl")}, tt.args...)...)
			assert.Equal(t, tt.code, r.code, r.stderr)
			assert.Contains(t, r.stderr, tt.stderr)
			assert.NotContains(t, r.stderr, "s3cret", "the URL's token is never echoed")
		})
	}
	t.Run("an unsafe context stops serve before it listens", func(t *testing.T) {
		require.NoError(t, os.Chmod(e.ctx, 0o640))
		r := runBin(t, nil, "serve", "--addr", "127.0.0.1:0", "--out", filepath.Join(t.TempDir(), "events.jsonl"), "--bunq-context", e.ctx, "--bunq-url", url)
		assert.Equal(t, exitFailure, r.code)
		assert.Contains(t, r.stderr, "chmod 600")
		assert.NotRegexp(t, regexp.MustCompile(`listening on`), r.stderr)
	})
	t.Run("usage names the maximum age", func(t *testing.T) {
		assert.Contains(t, strings.ReplaceAll(serveUsage, "\n", " "), fmt.Sprintf("(%d h)", int(recoverMaxAge.Hours())))
	})
}

// TestBunqSubscribeUsageListsCategories checks that subscribe's usage names
// every category bunq documents, in lines that fit a terminal.
func TestBunqSubscribeUsageListsCategories(t *testing.T) {
	list := categoryList()
	var got []string
	for line := range strings.Lines(list) {
		assert.LessOrEqual(t, len(strings.TrimSpace(line)), 72, "line %q", line)
		got = append(got, strings.Fields(line)...)
	}
	var want []string
	for _, c := range bunq.Categories() {
		want = append(want, string(c))
	}
	assert.Equal(t, want, got)
	assert.Contains(t, bunqSubscribeUsage, "{{categories}}")
}
