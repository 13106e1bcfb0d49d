package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

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
	e.srv.Advance(bunq.RetrySchedule().Span())
	require.Len(t, e.srv.Failures(e.user.ID), before+n)
	require.NoError(t, e.srv.SetFilters(e.user.ID, 0, nil))
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
