package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/bankhub"
	"github.com/bankhook/bankhook/bunq"
	"github.com/bankhook/bankhook/hooktest/samples"
)

// unknownObject is a bunq callback about an object type bankhook does not
// know: it decodes (as *bunq.Unknown) and is handled like any other.
const unknownObject = `{"NotificationUrl":{"target_url":"https://example.com/bunq","category":"MUTATION",` +
	`"event_type":"MUTATION_CREATED","object":{"FutureThing":{"id":77,"created":"2025-03-14 09:12:44.118230","note":"caf\u00e9"}}}}`

// compact returns body without insignificant whitespace, strings kept as
// sent: what the "raw" field holds.
func compact(t *testing.T, body []byte) []byte {
	t.Helper()
	v := jsontext.Value(bytes.Clone(body))
	require.NoError(t, v.Compact(jsontext.PreserveRawStrings(true)))
	return v
}

func TestServeEventLines(t *testing.T) {
	t.Parallel()
	s := startServe(t, "--dev")
	mutation := bunqSample(t, "MUTATION")
	transaction := bankhubSample(t, "TRANSACTIONS_DEFAULT_UPDATE")
	before := time.Now().UTC()
	for _, d := range []struct {
		path string
		body []byte
	}{{"/bunq", mutation}, {"/bankhub", transaction}, {"/bunq", []byte(unknownObject)}} {
		a := post(t, nil, s.url+d.path, "application/json", d.body)
		require.Equal(t, http.StatusOK, a.status, a.body)
	}
	after := time.Now().UTC()
	lines := s.stop()
	require.Len(t, lines, 3)

	n, err := bunq.Decode(mutation)
	require.NoError(t, err)
	w, err := bankhub.Decode(transaction)
	require.NoError(t, err)
	u, err := bunq.Decode([]byte(unknownObject))
	require.NoError(t, err)
	require.IsType(t, &bunq.Unknown{}, u.Object)

	tests := []struct {
		name       string
		line       eventLineJSON
		provider   string
		key        string
		category   string
		eventType  string
		objectType string
		body       []byte
	}{
		{"bunq payment", lines[0], "bunq", n.IdempotencyKey(), "MUTATION", "MUTATION_CREATED", "Payment", mutation},
		{"bankhub transaction", lines[1], "bankhub", w.IdempotencyKey(), "TRANSACTIONS", "DEFAULT_UPDATE", "transaction", transaction},
		{"bunq unknown object", lines[2], "bunq", u.IdempotencyKey(), "MUTATION", "MUTATION_CREATED", "FutureThing", []byte(unknownObject)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := tt.line
			assert.Equal(t, tt.provider, l.Provider)
			assert.Equal(t, tt.key, l.Key)
			assert.Equal(t, tt.category, l.Category)
			assert.Equal(t, tt.eventType, l.EventType)
			assert.Equal(t, tt.objectType, l.ObjectType)

			at, err := time.Parse(time.RFC3339Nano, l.ReceivedAt)
			require.NoError(t, err)
			assert.True(t, strings.HasSuffix(l.ReceivedAt, "Z"), "received_at %s is in UTC", l.ReceivedAt)
			assert.False(t, at.Before(before.Truncate(time.Second)) || at.After(after), "received_at %s within the test", at)

			assert.Equal(t, string(compact(t, tt.body)), string(l.Raw), "raw is the body as sent")

			// The event is the typed event, and decodes to the same event.
			var key string
			switch tt.provider {
			case "bunq":
				again, err := bunq.Decode(l.Event)
				require.NoError(t, err)
				key = again.IdempotencyKey()
			case "bankhub":
				again, err := bankhub.Decode(l.Event)
				require.NoError(t, err)
				key = again.IdempotencyKey()
			}
			assert.Equal(t, tt.key, key)
		})
	}
}

func TestServeStdout(t *testing.T) {
	t.Parallel()
	s := startServe(t, "--dev", "--out", "-")
	a := post(t, nil, s.url+"/bankhub", "application/json", bankhubSample(t, "GRANT_ERROR"))
	require.Equal(t, http.StatusOK, a.status, a.body)
	waitFor(t, "the line on stdout", func() bool { return strings.Contains(s.stdout.String(), `"category":"GRANT"`) })
	lines := s.stop()
	require.Len(t, lines, 1)
	assert.Equal(t, "grant_error", lines[0].ObjectType)
	assert.Equal(t, "ERROR", lines[0].EventType)
}

func TestServeDuplicates(t *testing.T) {
	t.Parallel()
	s := startServe(t, "--dev")

	t.Run("sequential", func(t *testing.T) {
		body := bunqSample(t, "MUTATION")
		first := post(t, nil, s.url+"/bunq", "application/json", body)
		require.Equal(t, http.StatusOK, first.status, first.body)
		assert.Empty(t, first.header.Get(bankhook.HeaderIdempotentReplayed))
		again := post(t, nil, s.url+"/bunq", "application/json", body)
		require.Equal(t, http.StatusOK, again.status, again.body)
		assert.Equal(t, "true", again.header.Get(bankhook.HeaderIdempotentReplayed))
	})

	t.Run("concurrent", func(t *testing.T) {
		body := bankhubSample(t, "GRANT_USER_PERMISSION_REVOKED")
		const senders = 16
		statuses := make([]int, senders)
		replayed := make([]bool, senders)
		var wg sync.WaitGroup
		for i := range senders {
			wg.Go(func() {
				a, err := tryPost(t.Context(), nil, s.url+"/bankhub", "application/json", body)
				assert.NoError(t, err)
				statuses[i] = a.status
				replayed[i] = a.header.Get(bankhook.HeaderIdempotentReplayed) == "true"
			})
		}
		wg.Wait()
		handled := 0
		for i, st := range statuses {
			require.Contains(t, []int{http.StatusOK, http.StatusConflict}, st, "sender %d", i)
			if st == http.StatusOK && !replayed[i] {
				handled++
			}
		}
		assert.Equal(t, 1, handled, "exactly one delivery is handled: %v", statuses)
	})

	// Every sample at once: the lines must not interleave.
	t.Run("distinct concurrent", func(t *testing.T) {
		var wg sync.WaitGroup
		for _, name := range samples.BunqNames() {
			body := bunqSample(t, name)
			wg.Go(func() {
				a, err := tryPost(t.Context(), nil, s.url+"/bunq", "application/json", body)
				assert.NoError(t, err, name)
				assert.Equal(t, http.StatusOK, a.status, "%s: %s", name, a.body)
			})
		}
		wg.Wait()
	})

	lines := s.stop()
	keys := map[string]int{}
	for _, l := range lines {
		keys[l.Key]++
	}
	for k, n := range keys {
		assert.Equal(t, 1, n, "key %s written %d times", k, n)
	}
	want := map[string]bool{}
	for _, name := range samples.BunqNames() {
		n, err := bunq.Decode(bunqSample(t, name))
		require.NoError(t, err, name)
		want[n.IdempotencyKey()] = true
	}
	w, err := bankhub.Decode(bankhubSample(t, "GRANT_USER_PERMISSION_REVOKED"))
	require.NoError(t, err)
	want[w.IdempotencyKey()] = true
	assert.Len(t, lines, len(want), "one line per distinct event")
	for k := range want {
		assert.Contains(t, keys, k)
	}
}

func TestServeRejections(t *testing.T) {
	t.Parallel()
	mutation := bunqSample(t, "MUTATION")
	tests := []struct {
		name        string
		flags       []string
		method      string
		path        string
		contentType string
		body        []byte
		status      int
		reason      string
		header      string // a header the answer must carry
	}{
		{"bunq sender not allowed", []string{"--trust-proxy", "192.0.2.1"}, http.MethodPost, "/bunq", "application/json", mutation, http.StatusForbidden, "ip_denied", ""},
		{"bankhub sender not allowed", []string{"--trust-proxy", "192.0.2.1"}, http.MethodPost, "/bankhub", "application/json", bankhubSample(t, "GRANT_ERROR"), http.StatusForbidden, "ip_denied", ""},
		{"method", []string{"--dev"}, http.MethodGet, "/bunq", "", nil, http.StatusMethodNotAllowed, "method_not_allowed", "Allow"},
		{"body too large", []string{"--dev", "--max-body", "100"}, http.MethodPost, "/bunq", "application/json", mutation, http.StatusRequestEntityTooLarge, "body_too_large", ""},
		{"content type", []string{"--dev"}, http.MethodPost, "/bankhub", "text/plain", bankhubSample(t, "GRANT_ERROR"), http.StatusUnsupportedMediaType, "unsupported_media_type", ""},
		{"missing token", []string{"--dev", "--token", "s3cret"}, http.MethodPost, "/bunq", "application/json", mutation, http.StatusUnauthorized, "bad_token", ""},
		{"wrong token", []string{"--dev", "--token", "s3cret"}, http.MethodPost, "/bunq?token=guess", "application/json", mutation, http.StatusUnauthorized, "bad_token", ""},
		{"bad payload", []string{"--dev"}, http.MethodPost, "/bunq", "application/json", []byte(`{"NotificationUrl":{"category":"MUTATION"}}`), http.StatusBadRequest, "bad_payload", ""},
		{"disabled endpoint", []string{"--dev", "--bunq-path", ""}, http.MethodPost, "/bunq", "application/json", mutation, http.StatusNotFound, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := startServe(t, tt.flags...)
			req, err := http.NewRequestWithContext(t.Context(), tt.method, s.url+tt.path, bytes.NewReader(tt.body))
			require.NoError(t, err)
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			a := do(t, nil, req)
			require.Equal(t, tt.status, a.status, a.body)
			if tt.reason != "" {
				assert.Equal(t, tt.reason, reasonOf(t, a))
			}
			if tt.header != "" {
				assert.NotEmpty(t, a.header.Get(tt.header))
			}
			assert.Empty(t, s.stop(), "a rejected event writes no line")

			path, _, _ := strings.Cut(tt.path, "?")
			logged := s.logLines("msg=request", "path="+path+" ", "status="+strconv.Itoa(tt.status), "client_ip=127.0.0.1")
			require.Len(t, logged, 1, "one log line per request:\n%s", s.stderr.String())
			if tt.reason != "" {
				assert.Contains(t, logged[0], "reason="+tt.reason)
			}
			assert.NotContains(t, s.stderr.String(), "s3cret", "the token is never logged")
			assert.NotContains(t, s.stderr.String(), "guess", "the query string is never logged")
		})
	}
}

func TestServeToken(t *testing.T) {
	t.Parallel()
	s := startServe(t, "--dev", "--token", "s3cret")
	a := post(t, nil, s.url+"/bunq?token=s3cret", "application/json", bunqSample(t, "PAYMENT"))
	require.Equal(t, http.StatusOK, a.status, a.body)
	a = post(t, nil, s.url+"/bankhub?token=s3cret", "application/json", bankhubSample(t, "GRANT_ERROR"))
	require.Equal(t, http.StatusOK, a.status, a.body)
	assert.Len(t, s.stop(), 2)
	assert.NotContains(t, s.stderr.String(), "s3cret")
}

func TestServeRateLimit(t *testing.T) {
	t.Parallel()
	s := startServe(t, "--dev", "--rate", "1", "--burst", "1")
	first := post(t, nil, s.url+"/bunq", "application/json", bunqSample(t, "PAYMENT"))
	require.Equal(t, http.StatusOK, first.status, first.body)
	second := post(t, nil, s.url+"/bunq", "application/json", bunqSample(t, "REQUEST"))
	require.Equal(t, http.StatusTooManyRequests, second.status, second.body)
	assert.Equal(t, "rate_limited", reasonOf(t, second))
	assert.NotEmpty(t, second.header.Get("Retry-After"))
	// Each bank has its own limiter.
	other := post(t, nil, s.url+"/bankhub", "application/json", bankhubSample(t, "GRANT_ERROR"))
	require.Equal(t, http.StatusOK, other.status, other.body)
	assert.Len(t, s.stop(), 2)
	assert.Len(t, s.logLines("msg=request", "status=429", "reason=rate_limited"), 1)
}

func TestServeTrustProxy(t *testing.T) {
	t.Parallel()
	body := bunqSample(t, "MUTATION")
	tests := []struct {
		name      string
		flags     []string
		forwarded string
		status    int
	}{
		{"allowed sender through a trusted proxy", []string{"--trust-proxy", "127.0.0.1"}, "203.0.113.7", http.StatusOK},
		{"allowed sender behind two proxies", []string{"--trust-proxy", "127.0.0.1,10.0.0.0/8"}, "203.0.113.7, 10.1.2.3", http.StatusOK},
		{"other sender through a trusted proxy", []string{"--trust-proxy", "127.0.0.1"}, "198.51.100.1", http.StatusForbidden},
		{"spoofed hop before the allowed one", []string{"--trust-proxy", "127.0.0.1"}, "203.0.113.7, 198.51.100.1", http.StatusForbidden},
		{"forwarded header from an untrusted peer", []string{"--trust-proxy", "192.0.2.1"}, "203.0.113.7", http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := startServe(t, append([]string{"--allow", "203.0.113.0/24"}, tt.flags...)...)
			a := post(t, nil, s.url+"/bunq", "application/json", body, "X-Forwarded-For", tt.forwarded)
			require.Equal(t, tt.status, a.status, a.body)
			lines := s.stop()
			if tt.status == http.StatusOK {
				assert.Len(t, lines, 1)
				assert.Len(t, s.logLines("msg=request", "client_ip=203.0.113.7"), 1, s.stderr.String())
			} else {
				assert.Empty(t, lines)
			}
		})
	}
}

func TestServeHealthz(t *testing.T) {
	t.Parallel()
	// Loopback is not allowed, a token is required and one request a
	// second is the limit: none of it applies to /healthz and /readyz.
	// A trusted proxy elsewhere keeps serve from closing this machine's
	// connections at accept.
	s := startServe(t, "--allow", "203.0.113.0/24", "--token", "s3cret", "--rate", "1", "--burst", "1", "--trust-proxy", "192.0.2.1")
	for _, tc := range []struct{ path, body string }{
		{"/healthz", "ok\n"}, {"/healthz", "ok\n"}, {"/healthz", "ok\n"},
		{"/readyz", "ready\n"}, {"/readyz", "ready\n"},
	} {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.url+tc.path, nil)
		require.NoError(t, err)
		a := do(t, nil, req)
		require.Equal(t, http.StatusOK, a.status, tc.path)
		assert.Equal(t, tc.body, a.body)
		assert.Equal(t, "no-store", a.header.Get("Cache-Control"))
	}
	a := post(t, nil, s.url+"/bunq?token=s3cret", "application/json", bunqSample(t, "MUTATION"))
	assert.Equal(t, http.StatusForbidden, a.status)
	s.stop()
	// Probes are logged like rejections, sampled: the first, then at most
	// one a second per client network.
	probes := s.logLines("msg=request", "status=200")
	assert.NotEmpty(t, probes)
	assert.Less(t, len(probes), 5, "five probes, sampled:\n%s", s.stderr.String())
}

// forwardTarget is an httptest server standing in for a --forward
// backend.
type forwardTarget struct {
	*httptest.Server
	mu      sync.Mutex // guards status, bodies, keys
	status  int
	bodies  [][]byte
	keys    []string
	types   []string
	release chan struct{} // when set, each request waits for it
	arrived chan struct{} // when set, signalled as each request arrives
}

func newForwardTarget(t *testing.T, status int) *forwardTarget {
	t.Helper()
	f := &forwardTarget{status: status}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.bodies = append(f.bodies, b)
		f.keys = append(f.keys, r.Header.Get("Idempotency-Key"))
		f.types = append(f.types, r.Header.Get("Content-Type"))
		status, release, arrived := f.status, f.release, f.arrived
		f.mu.Unlock()
		if arrived != nil {
			arrived <- struct{}{}
		}
		if release != nil {
			<-release
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *forwardTarget) setStatus(status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status = status
}

func (f *forwardTarget) received() (bodies [][]byte, keys, types []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.bodies), slices.Clone(f.keys), slices.Clone(f.types)
}

func TestServeForward(t *testing.T) {
	t.Parallel()
	t.Run("acknowledged", func(t *testing.T) {
		t.Parallel()
		target := newForwardTarget(t, http.StatusAccepted)
		s := startServe(t, "--dev", "--forward", target.URL+"/events")
		a := post(t, nil, s.url+"/bunq", "application/json", bunqSample(t, "MUTATION"))
		require.Equal(t, http.StatusOK, a.status, a.body)
		lines := s.stop()
		require.Len(t, lines, 1)

		bodies, keys, types := target.received()
		require.Len(t, bodies, 1)
		out, err := os.ReadFile(s.out)
		require.NoError(t, err)
		assert.Equal(t, string(out), string(bodies[0])+"\n", "the forwarded body is the line")
		assert.Equal(t, []string{lines[0].Key}, keys)
		assert.Equal(t, []string{"application/json"}, types)
	})

	t.Run("refused, then acknowledged on the bank's retry", func(t *testing.T) {
		t.Parallel()
		target := newForwardTarget(t, http.StatusInternalServerError)
		s := startServe(t, "--dev", "--forward", target.URL)
		body := bankhubSample(t, "TRANSACTIONS_DEFAULT_UPDATE")
		a := post(t, nil, s.url+"/bankhub", "application/json", body)
		require.Equal(t, http.StatusBadGateway, a.status, a.body)
		assert.Equal(t, "handler_failed", reasonOf(t, a))
		out, err := os.ReadFile(s.out)
		require.NoError(t, err)
		assert.Empty(t, out, "no line for an event the target refused")

		target.setStatus(http.StatusOK)
		a = post(t, nil, s.url+"/bankhub", "application/json", body)
		require.Equal(t, http.StatusOK, a.status, a.body)
		assert.Empty(t, a.header.Get(bankhook.HeaderIdempotentReplayed), "the refused delivery was not remembered")
		assert.Len(t, s.stop(), 1)
		bodies, _, _ := target.received()
		assert.Len(t, bodies, 2)
		assert.Len(t, s.logLines("status=502", "reason=handler_failed", "answered 500 Internal Server Error"), 1, s.stderr.String())
	})

	t.Run("unreachable target", func(t *testing.T) {
		t.Parallel()
		s := startServe(t, "--dev", "--forward", "http://"+freeAddr(t)+"/events?key=secret")
		a := post(t, nil, s.url+"/bunq", "application/json", bunqSample(t, "MUTATION"))
		require.Equal(t, http.StatusBadGateway, a.status, a.body)
		assert.Empty(t, s.stop())
		assert.NotContains(t, s.stderr.String(), "key=secret", "the forward URL's query is not logged")
	})
}

func TestServeGracefulShutdown(t *testing.T) {
	t.Parallel()
	target := newForwardTarget(t, http.StatusOK)
	target.release = make(chan struct{})
	target.arrived = make(chan struct{}, 1)
	s := startServe(t, "--dev", "--forward", target.URL)

	body := bunqSample(t, "MUTATION")
	type result struct {
		a   answer
		err error
	}
	answered := make(chan result, 1)
	go func() {
		a, err := tryPost(t.Context(), nil, s.url+"/bunq", "application/json", body)
		answered <- result{a, err}
	}()
	<-target.arrived // the request is in flight, inside the handler
	require.NoError(t, s.cmd.Process.Signal(os.Interrupt))
	waitFor(t, "the shutdown to start", func() bool { return len(s.logLines("shutting down")) > 0 })
	select {
	case <-s.exited:
		t.Fatal("serve exited with a request in flight")
	default:
	}
	close(target.release)
	res := <-answered
	require.NoError(t, res.err)
	require.Equal(t, http.StatusOK, res.a.status, res.a.body)

	lines := s.stop() // already stopping: waits for the exit
	require.Len(t, lines, 1, "the in-flight event was written before exiting")
	assert.Equal(t, "Payment", lines[0].ObjectType)
}

func TestServeTLS(t *testing.T) {
	t.Parallel()
	cert := newTestCert(t, t.TempDir(), "hook.test", time.Now().Add(90*24*time.Hour))
	s := startServe(t, "--dev", "--tls-cert", cert.certFile, "--tls-key", cert.keyFile)
	require.True(t, strings.HasPrefix(s.url, "https://127.0.0.1:"), s.url)

	roots := x509.NewCertPool()
	roots.AddCert(cert.cert)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	a := post(t, client, s.url+"/bunq", "application/json", bunqSample(t, "MUTATION"))
	require.Equal(t, http.StatusOK, a.status, a.body)

	// pin reads what serve presents.
	hostport := strings.TrimPrefix(s.url, "https://")
	r := runBin(t, nil, "pin", "--insecure", hostport)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, string(cert.certPEM), r.stdout)
	r = runBin(t, nil, "pin", "--check", cert.certFile, "--insecure", hostport)
	assert.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "match: true")

	assert.Len(t, s.stop(), 1)
}

// startRedis starts a redis-server of the test's own and returns its
// address, or skips the test when there is none (fails it when
// BANKHOOK_REQUIRE_REDIS=1).
func startRedis(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("BANKHOOK_REQUIRE_REDIS") == "1" {
			t.Fatal("redis-server is not on PATH and BANKHOOK_REQUIRE_REDIS=1")
		}
		t.Skip("redis-server is not on PATH (apt-get install redis-server); set BANKHOOK_REQUIRE_REDIS=1 to fail instead")
	}
	addr := freeAddr(t)
	host, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	dir := t.TempDir()
	cmd := exec.Command(path, "--port", port, "--bind", host, "--save", "", "--appendonly", "no", "--dir", dir)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer c.Close()
	waitFor(t, "redis-server to answer", func() bool {
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		return c.Ping(ctx).Err() == nil
	})
	return addr
}

func TestServeRedis(t *testing.T) {
	t.Parallel()
	addr := startRedis(t)
	mutation := bunqSample(t, "MUTATION")
	grant := bankhubSample(t, "GRANT_ERROR")

	first := startServe(t, "--dev", "--redis", addr)
	for path, body := range map[string][]byte{"/bunq": mutation, "/bankhub": grant} {
		a := post(t, nil, first.url+path, "application/json", body)
		require.Equal(t, http.StatusOK, a.status, a.body)
	}
	require.Len(t, first.stop(), 2)

	// Another replica, sharing the store, answers the bank's retries
	// without handling them again.
	second := startServe(t, "--dev", "--redis", "redis://"+addr+"/0")
	for path, body := range map[string][]byte{"/bunq": mutation, "/bankhub": grant} {
		a := post(t, nil, second.url+path, "application/json", body)
		require.Equal(t, http.StatusOK, a.status, a.body)
		assert.Equal(t, "true", a.header.Get(bankhook.HeaderIdempotentReplayed), path)
	}
	assert.Empty(t, second.stop())

	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	n, err := bunq.Decode(mutation)
	require.NoError(t, err)
	w, err := bankhub.Decode(grant)
	require.NoError(t, err)
	keys, err := c.Keys(t.Context(), "*").Result()
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{
		"bankhook:bunq:{" + n.IdempotencyKey() + "}",
		"bankhook:bankhub:{" + w.IdempotencyKey() + "}",
	}, keys, "keys are prefixed by provider")
}

func TestServeStartupErrors(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = busy.Close() })
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "cert.pem")
	require.NoError(t, os.WriteFile(notPEM, []byte("not a certificate"), 0o600))
	badAllow := filepath.Join(dir, "allow.txt")
	require.NoError(t, os.WriteFile(badAllow, []byte("185.40.108.0/22\n34.87.150.470\n"), 0o600))

	tests := []struct {
		name  string
		args  []string
		error string
	}{
		{"address in use", []string{"--addr", busy.Addr().String()}, "address already in use"},
		{"output in a missing directory", []string{"--out", filepath.Join(dir, "missing", "events.jsonl")}, "no such file or directory"},
		{"unreachable redis", []string{"--redis", freeAddr(t)}, "--redis"},
		{"bad certificate", []string{"--tls-cert", notPEM, "--tls-key", notPEM}, "--tls-cert/--tls-key"},
		{"bad allow file", []string{"--allow-file", badAllow}, `allow.txt line 2: entry \"34.87.150.470\"`},
		{"missing allow file", []string{"--allow-file", filepath.Join(dir, "none.txt")}, "none.txt: no such file"},
		{"metrics address in use", []string{"--metrics", busy.Addr().String()}, "--metrics: listen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runBin(t, nil, append([]string{"serve", "--dev"}, tt.args...)...)
			assert.Equal(t, exitFailure, r.code)
			assert.Contains(t, r.stderr, tt.error)
			assert.NotContains(t, r.stderr, "listening on")
		})
	}
}

func TestServeUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		args  []string
		error string
	}{
		{"certificate without key", []string{"--tls-cert", "c.pem"}, "--tls-cert and --tls-key go together"},
		{"key without certificate", []string{"--tls-key", "k.pem"}, "--tls-cert and --tls-key go together"},
		{"bad allow entry", []string{"--allow", "10.0.0.0/8,10.0.0.300"}, "--allow"},
		{"empty allow", []string{"--allow", " , "}, "--allow: no address given"},
		{"bad trusted proxy", []string{"--trust-proxy", "proxy.internal"}, "--trust-proxy"},
		{"negative rate", []string{"--rate", "-1"}, "--rate -1"},
		{"NaN rate", []string{"--rate", "NaN"}, "--rate NaN"},
		{"negative burst", []string{"--burst", "-5"}, "--burst -5"},
		{"negative body limit", []string{"--max-body", "-1"}, "--max-body -1"},
		{"forward not http", []string{"--forward", "ftp://example.com/x"}, "--forward"},
		{"forward without host", []string{"--forward", "http:///x"}, "--forward"},
		{"relative path", []string{"--bunq-path", "bunq"}, "--bunq-path \"bunq\": must start with /"},
		{"pattern in path", []string{"--bankhub-path", "/hooks/{bank}"}, "--bankhub-path"},
		{"health check path", []string{"--bunq-path", "/healthz"}, "health check"},
		{"readiness check path", []string{"--bankhub-path", "/readyz"}, "health check"},
		{"allow and allow-file", []string{"--allow", "10.0.0.0/8", "--allow-file", "allow.txt"}, "--allow and --allow-file"},
		{"empty allow-file", []string{"--allow-file", ""}, "--allow-file: empty"},
		{"bad metrics address", []string{"--metrics", "9464"}, "--metrics \"9464\": want host:port"},
		{"metrics on the banks' port", []string{"--addr", "127.0.0.1:8080", "--metrics", "127.0.0.1:8080"}, "listener of their own"},
		{"same paths", []string{"--bunq-path", "/hook", "--bankhub-path", "/hook"}, "both \"/hook\""},
		{"nothing to serve", []string{"--bunq-path", "", "--bankhub-path", ""}, "nothing to serve"},
		{"bad address", []string{"--addr", "8080"}, "--addr"},
		{"empty output", []string{"--out", ""}, "--out"},
		{"empty token", []string{"--token", ""}, "--token: empty secret"},
		{"empty redis", []string{"--redis", ""}, "--redis: empty address"},
		{"bad redis URL", []string{"--redis", "redis://h:1/notadb"}, "--redis"},
		{"argument", []string{"now"}, `unexpected argument "now"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runIn(t, append([]string{"serve"}, tt.args...)...)
			assert.Equal(t, exitUsage, r.code, r.stderr)
			assert.Contains(t, r.stderr, tt.error)
			assert.Contains(t, r.stderr, "Usage: bankhook serve")
			assert.Empty(t, r.stdout)
		})
	}
}

func TestEveryBuiltInSampleIsAccepted(t *testing.T) {
	t.Parallel()
	s := startServe(t, "--dev")
	want := 0
	for _, p := range []struct {
		path  string
		names []string
		get   func(string) ([]byte, bool)
	}{{"/bunq", samples.BunqNames(), samples.Bunq}, {"/bankhub", samples.BankhubNames(), samples.Bankhub}} {
		require.NotEmpty(t, p.names)
		for _, name := range p.names {
			body, ok := p.get(strings.ToLower(name))
			require.True(t, ok, "%s is found without regard to case", name)
			a := post(t, nil, s.url+p.path, "application/json", body)
			assert.Equal(t, http.StatusOK, a.status, "%s%s: %s", p.path, name, a.body)
			want++
		}
	}
	lines := s.stop()
	assert.Len(t, lines, want)
	for _, l := range lines {
		if l.Provider == "bunq" {
			assert.NotEqual(t, "", l.ObjectType)
		}
		var raw any
		require.NoError(t, json.Unmarshal(l.Raw, &raw), fmt.Sprintf("%s %s", l.Provider, l.Category))
	}
}
