package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/bankhub"
	"github.com/bankhook/bankhook/bunq"
	"github.com/bankhook/bankhook/hooktest/samples"
)

// receiver is an httptest server standing in for a webhook receiver: it
// answers the statuses in answers in turn (the last one from then on) and
// records every request.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex // guards answers and requests
	answers  []int
	requests []recorded
}

type recorded struct {
	body   string
	query  string
	header http.Header
	host   string
}

func newReceiver(t *testing.T, answers ...int) *receiver {
	t.Helper()
	rc := &receiver{answers: answers}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.requests = append(rc.requests, recorded{string(b), r.URL.RawQuery, r.Header.Clone(), r.Host})
		status := rc.answers[0]
		if len(rc.answers) > 1 {
			rc.answers = rc.answers[1:]
		}
		rc.mu.Unlock()
		switch {
		case status == http.StatusTemporaryRedirect:
			http.Redirect(w, r, "/elsewhere", status)
		case !bankhook.Acknowledged(status):
			bankhook.Reject(w, r, status, bankhook.ReasonHandlerFailed, nil)
		default:
			w.WriteHeader(status)
		}
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) received() []recorded {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]recorded(nil), rc.requests...)
}

var attemptRE = regexp.MustCompile(`(?m)^attempt (\d+)/(\d+) at \+(\S+)( \(\+\S+ real\))?: (.*)$`)

// attempts returns the attempt lines of send's output: the offset on the
// bank's clock and the result of each.
func attempts(t *testing.T, stdout string) (offsets []time.Duration, results []string) {
	t.Helper()
	for _, m := range attemptRE.FindAllStringSubmatch(stdout, -1) {
		d, err := time.ParseDuration(m[3])
		require.NoError(t, err, m[0])
		offsets = append(offsets, d)
		results = append(results, m[5])
	}
	return offsets, results
}

// schedule returns the offsets of a policy's attempts from the first.
func schedule(p bankhook.RetryPolicy) []time.Duration {
	offsets := []time.Duration{0}
	var at time.Duration
	for _, d := range p.Delays {
		at += d
		offsets = append(offsets, at)
	}
	return offsets
}

func TestSendToServe(t *testing.T) {
	t.Parallel()
	s := startServe(t, "--dev", "--token", "tok3n")
	tests := []struct {
		name     string
		provider string
		sample   string
		path     string
		attempts int
	}{
		{"bunq sample", "bunq", "mutation", "/bunq", bunq.RetrySchedule().Attempts()},
		{"bankhub sample", "bankhub", "Transactions_Default_Update", "/bankhub", bankhub.RetrySchedule().Attempts()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runBin(t, nil, "send", tt.provider, tt.sample, "--to", s.url+tt.path, "--token", "tok3n")
			require.Equal(t, exitOK, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
			assert.Contains(t, r.stdout, "sending "+tt.provider+" "+strings.ToUpper(tt.sample))
			assert.Contains(t, r.stdout, fmt.Sprintf("attempt 1/%d at +0s: 200 OK\n", tt.attempts))
			assert.True(t, strings.HasSuffix(r.stdout, "acknowledged after 1 attempt\n"), r.stdout)
			assert.NotContains(t, r.stdout, "tok3n", "the token is not printed")
		})
	}
	t.Run("duplicate", func(t *testing.T) {
		r := runBin(t, nil, "send", "bunq", "MUTATION", "--to", s.url+"/bunq", "--token", "tok3n")
		require.Equal(t, exitOK, r.code, r.stderr)
		assert.Contains(t, r.stdout, "200 OK (replayed)")
	})
	t.Run("refused", func(t *testing.T) {
		r := runBin(t, nil, "send", "bunq", "MUTATION", "--to", s.url+"/bunq", "--token", "wrong", "--policy", "once")
		assert.Equal(t, exitFailure, r.code)
		assert.Contains(t, r.stdout, "attempt 1/1 at +0s: 401 Unauthorized (reason bad_token)\n")
		assert.True(t, strings.HasSuffix(r.stdout, "gave up after 1 attempt\n"), r.stdout)
	})
	lines := s.stop()
	require.Len(t, lines, 2)
	assert.Equal(t, "MUTATION", lines[0].Category)
	assert.Equal(t, "TRANSACTIONS", lines[1].Category)
}

func TestSendRetrySchedules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		answers []int
		policy  bankhook.RetryPolicy
		code    int
		outcome string
	}{
		{"bunq gives up", []string{"--policy", "bunq", "--speedup", "60000"}, []int{500}, bunq.RetrySchedule(), exitFailure, "gave up after 6 attempts"},
		{"bankhub gives up", []string{"bankhub", "--speedup", "1e6"}, []int{503}, bankhub.RetrySchedule(), exitFailure, "gave up after 17 attempts"},
		{"provider's policy by default", []string{"--speedup", "60000"}, []int{500}, bunq.RetrySchedule(), exitFailure, "gave up after 6 attempts"},
		{"once", []string{"--policy", "ONCE"}, []int{500}, bankhook.RetryPolicy{Name: "once"}, exitFailure, "gave up after 1 attempt"},
		{"acknowledged on the third attempt", []string{"--speedup", "60000"}, []int{500, 409, 202}, bankhook.RetryPolicy{Delays: bunq.RetrySchedule().Delays[:2]}, exitOK, "acknowledged after 3 attempts"},
		{"a redirect is a failure", []string{"--policy", "once"}, []int{307}, bankhook.RetryPolicy{Name: "once"}, exitFailure, "gave up after 1 attempt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rc := newReceiver(t, tt.answers...)
			provider, args := "bunq", tt.args
			if len(args) > 0 && args[0] == "bankhub" {
				provider, args = "bankhub", args[1:]
			}
			sample := map[string]string{"bunq": "MUTATION", "bankhub": "GRANT_ERROR"}[provider]
			r := runBin(t, nil, append([]string{"send", provider, sample, "--to", rc.URL + "/hook"}, args...)...)
			assert.Equal(t, tt.code, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
			assert.True(t, strings.HasSuffix(r.stdout, tt.outcome+"\n"), r.stdout)

			offsets, results := attempts(t, r.stdout)
			want := schedule(tt.policy)
			assert.Equal(t, want, offsets, "attempts follow the schedule")
			reqs := rc.received()
			require.Len(t, reqs, len(want), "one request per attempt")
			body, ok := map[string]func(string) ([]byte, bool){"bunq": samples.Bunq, "bankhub": samples.Bankhub}[provider](sample)
			require.True(t, ok)
			for i, req := range reqs {
				assert.Equal(t, string(body), req.body, "attempt %d delivers the same body", i+1)
				assert.Equal(t, "application/json", req.header.Get("Content-Type"))
			}
			for i, res := range results {
				if i < len(tt.answers) && tt.answers[i] >= 400 {
					assert.Contains(t, res, "(reason handler_failed)", "attempt %d", i+1)
				}
			}
		})
	}
}

func TestSendBodies(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "MUTATION") // named like a sample: ./ makes it a file
	require.NoError(t, os.WriteFile(file, []byte(`{"from":"file"}`), 0o600))

	tests := []struct {
		name  string
		event string
		stdin string
		want  string
	}{
		{"file", file, "", `{"from":"file"}`},
		{"file named like a sample", "./" + filepath.Base(file), "", `{"from":"file"}`},
		{"standard input", "-", `{"from":"stdin"}`, `{"from":"stdin"}`},
		{"sample", "grant_user_permission_revoked", "", string(bankhubSample(t, "GRANT_USER_PERMISSION_REVOKED"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rc := newReceiver(t, http.StatusOK)
			args := []string{"send", "bankhub", tt.event, "--to", rc.URL}
			var r result
			if strings.HasPrefix(tt.event, "./") {
				r = runBinIn(t, dir, []byte(tt.stdin), args...)
			} else {
				r = runBin(t, []byte(tt.stdin), args...)
			}
			require.Equal(t, exitOK, r.code, r.stderr)
			reqs := rc.received()
			require.Len(t, reqs, 1)
			assert.Equal(t, tt.want, reqs[0].body)
		})
	}
}

func TestSendTokenAndHeaders(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, http.StatusOK)
	r := runBin(t, nil, "send", "bunq", "PAYMENT", "--to", rc.URL+"/bunq?tenant=7",
		"--token", "a&b c", "--header", "X-Trace: one", "--header", "X-Trace:two", "--header", "Host: hooks.example")
	require.Equal(t, exitOK, r.code, r.stderr)
	reqs := rc.received()
	require.Len(t, reqs, 1)
	assert.Equal(t, "tenant=7&token=a%26b+c", reqs[0].query)
	assert.Equal(t, []string{"one", "two"}, reqs[0].header.Values("X-Trace"))
	assert.Equal(t, "hooks.example", reqs[0].host)
	assert.True(t, strings.HasPrefix(reqs[0].header.Get("User-Agent"), "bankhook/"))
	assert.NotContains(t, r.stdout, "a%26b")
	assert.NotContains(t, r.stdout, "tenant=7")
}

func TestSendNoAnswer(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	r := runBin(t, nil, "send", "bunq", "MUTATION", "--to", "http://"+addr+"/bunq", "--token", "s3cret", "--policy", "once")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stdout, "attempt 1/1 at +0s: no answer: ")
	assert.Contains(t, r.stdout, "connection refused")
	assert.NotContains(t, r.stdout, "s3cret", "the token is not printed with the error")
	assert.True(t, strings.HasSuffix(r.stdout, "gave up after 1 attempt\n"), r.stdout)
}

func TestSendList(t *testing.T) {
	t.Parallel()
	for _, p := range []struct {
		name  string
		names []string
	}{{"bunq", samples.BunqNames()}, {"bankhub", samples.BankhubNames()}} {
		t.Run(p.name, func(t *testing.T) {
			r := runIn(t, "send", p.name, "list")
			require.Equal(t, exitOK, r.code, r.stderr)
			assert.Equal(t, strings.Join(p.names, "\n")+"\n", r.stdout)

			r = runIn(t, "send", p.name, "NO_SUCH_EVENT")
			assert.Equal(t, exitUsage, r.code)
			assert.Contains(t, r.stderr, `"NO_SUCH_EVENT" is neither a `+p.name+" sample nor a file")
			for _, n := range p.names {
				assert.Contains(t, r.stderr, "  "+n+"\n")
			}
		})
	}
	// The categories the documents name each have a sample.
	for _, c := range []string{"BILLING", "CARD_TRANSACTION_FAILED", "CARD_TRANSACTION_SUCCESSFUL", "CHAT", "DRAFT_PAYMENT",
		"IDEAL", "MUTATION", "OAUTH", "PARTNER_USER_PROVISION", "PAYMENT", "REQUEST", "SCHEDULE_RESULT", "SCHEDULE_STATUS",
		"SHARE", "SOFORT", "SUPPORT", "TAB_RESULT", "USER_INFORMATION_INQUIRY", "BUNQME_TAB",
		"USER_ONBOARDING", "CARD", "MASTERCARD_IDENTITY_CHECK"} {
		assert.Contains(t, samples.BunqNames(), c)
	}
	assert.Equal(t, []string{"GRANT_ERROR", "GRANT_USER_PERMISSION_REVOKED", "TRANSACTIONS_DEFAULT_UPDATE"}, samples.BankhubNames())
}

func TestSendUsageErrors(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		error string
	}{
		{"no provider", nil, "missing the provider"},
		{"unknown provider", []string{"stripe", "x"}, `unknown provider "stripe"`},
		{"no event", []string{"bunq"}, "missing the event"},
		{"two events", []string{"bunq", "MUTATION", "PAYMENT"}, `unexpected argument "PAYMENT"`},
		{"unknown policy", []string{"bunq", "MUTATION", "--policy", "stripe"}, `--policy "stripe"`},
		{"zero speedup", []string{"bunq", "MUTATION", "--speedup", "0"}, "--speedup 0"},
		{"infinite speedup", []string{"bunq", "MUTATION", "--speedup", "+Inf"}, "--speedup +Inf"},
		{"not a URL", []string{"bunq", "MUTATION", "--to", "127.0.0.1:8080/bunq"}, "--to"},
		{"header without colon", []string{"bunq", "MUTATION", "--header", "X-Trace"}, "want Name:value"},
		{"bad header name", []string{"bunq", "MUTATION", "--header", "X Trace: 1"}, "not a header name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runIn(t, append([]string{"send"}, tt.args...)...)
			assert.Equal(t, exitUsage, r.code, r.stderr)
			assert.Contains(t, r.stderr, tt.error)
			assert.Empty(t, r.stdout)
		})
	}
}

func TestHeaderFlag(t *testing.T) {
	tests := []struct {
		name  string
		value string
		key   string
		want  string
		ok    bool
	}{
		{"plain", "X-Trace: abc", "X-Trace", "abc", true},
		{"no space", "x-trace:abc", "X-Trace", "abc", true},
		{"colon in value", "Forwarded: for=1.2.3.4:80", "Forwarded", "for=1.2.3.4:80", true},
		{"empty value", "X-Empty:", "X-Empty", "", true},
		{"no colon", "X-Trace", "", "", false},
		{"empty name", ": abc", "", "", false},
		{"line break", "X-Trace: a\r\nInjected: 1", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := headerFlag{}
			err := h.Set(tt.value)
			if !tt.ok {
				assert.Error(t, err)
				assert.Empty(t, h)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, []string{tt.want}, http.Header(h).Values(tt.key))
		})
	}
}
