package httpload

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// answer runs roundTrip against a peer that reads the request and writes
// response.
func answer(t *testing.T, resp string) (response, error) {
	t.Helper()
	client, server := net.Pipe()
	defer client.Close()
	go func() {
		defer server.Close()
		_, _ = io.ReadFull(server, make([]byte, len("REQ")))
		_, _ = io.WriteString(server, resp)
	}()
	return roundTrip(client, bufio.NewReader(client), []byte("REQ"))
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name     string
		response string
		want     response
		err      string
	}{
		{"ok without body", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", response{200, true, false}, ""},
		{"replay", "HTTP/1.1 200 OK\r\nidempotent-replayed: true\r\nContent-Length: 0\r\n\r\n", response{200, true, true}, ""},
		{"problem body is read", "HTTP/1.1 403 Forbidden\r\ncontent-length: 5\r\nContent-Type: application/problem+json\r\n\r\n{...}", response{403, true, false}, ""},
		{"connection close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", response{200, false, false}, ""},
		{"no length", "HTTP/1.1 200 OK\r\n\r\n", response{}, "without Content-Length"},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", response{}, "Transfer-Encoding"},
		{"not HTTP", "SSH-2.0-OpenSSH\r\n", response{}, "malformed"},
		{"not HTTP/1.1", "HTTP/1.0 200 OK\r\n\r\n", response{}, "malformed"},
		{"short body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", response{}, "unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := answer(t, tt.response)
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestLoad(t *testing.T) {
	var served, refused atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		switch {
		case r.URL.Path != "/hook" || r.Header.Get("Content-Type") != "application/json":
			w.WriteHeader(http.StatusBadRequest)
		case strings.HasPrefix(string(b), "again"):
			w.Header().Set("Idempotent-Replayed", "true")
			served.Add(1)
		case string(b) == "refuse":
			refused.Add(1)
			w.WriteHeader(http.StatusConflict)
		default:
			served.Add(1)
		}
	}))
	defer srv.Close()

	var n atomic.Int64
	l := &Load{
		Addr:  strings.TrimPrefix(srv.URL, "http://"),
		Path:  "/hook",
		Conns: 4,
		Bodies: func() func() []byte {
			return func() []byte {
				switch n.Add(1) % 10 {
				case 0:
					return []byte("refuse")
				case 1, 2:
					return []byte("again")
				}
				return []byte(`{"n":1}`)
			}
		},
	}
	p := l.Run(200 * time.Millisecond)
	require.Positive(t, p.Requests)
	assert.Equal(t, int(served.Load()), p.Requests, "every 200 counted")
	assert.Equal(t, int(refused.Load()), p.Errors, "every other answer is an error")
	assert.ErrorContains(t, p.FirstErr, "status 409")
	assert.InDelta(t, 0.25, float64(p.Replayed)/float64(p.Requests), 0.1)
	assert.Len(t, p.Latencies, p.Requests)
	assert.LessOrEqual(t, p.Quantile(0.5), p.Quantile(0.99))

	var r Result
	r.Add(p, time.Second)
	r.Add(&Phase{Requests: 10, Elapsed: time.Second}, -1)
	r.Add(&Phase{Requests: 30, Elapsed: time.Second}, 0)
	assert.Equal(t, 30.0, r.Rate(), "the median round")
	assert.False(t, r.CPUKnown, "one round's CPU time is unknown")
}

// rawServer answers 200 to every request on loopback and sends each
// request's bytes, head and body, to the returned channel.
func rawServer(t *testing.T) (addr string, requests <-chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	reqs := make(chan string, 1024)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					var head strings.Builder
					length := 0
					for {
						line, err := br.ReadString('\n')
						if err != nil {
							return
						}
						head.WriteString(line)
						if v, ok := strings.CutPrefix(line, "Content-Length: "); ok {
							length, _ = strconv.Atoi(strings.TrimSpace(v))
						}
						if line == "\r\n" {
							break
						}
					}
					body := make([]byte, length)
					if _, err := io.ReadFull(br, body); err != nil {
						return
					}
					select {
					case reqs <- head.String() + string(body):
					default:
					}
					if _, err := io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String(), reqs
}

func TestRequests(t *testing.T) {
	addr, reqs := rawServer(t)
	want := func(body string) string {
		return "POST /bunq HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: application/json\r\nContent-Length: " +
			strconv.Itoa(len(body)) + "\r\n\r\n" + body
	}
	l := &Load{Addr: addr, Path: "/bunq", Conns: 1, Bodies: func() func() []byte {
		sent := []string{`{"n":1}`, `{"n":2}`, `{"n":10}`, `{}`}
		return func() []byte {
			b := []byte(sent[0])
			sent = append(sent[1:], sent[0])
			return b
		}
	}}

	t.Run("Send", func(t *testing.T) {
		require.NoError(t, l.Send([]byte(`{"first":true}`)))
		assert.Equal(t, want(`{"first":true}`), <-reqs)
	})
	t.Run("Run", func(t *testing.T) {
		p := l.Run(50 * time.Millisecond)
		require.Zero(t, p.Errors, "first error: %v", p.FirstErr)
		require.GreaterOrEqual(t, p.Requests, 5)
		for i, body := range []string{`{"n":1}`, `{"n":2}`, `{"n":10}`, `{}`, `{"n":1}`} {
			assert.Equal(t, want(body), <-reqs, "request %d", i)
		}
	})
}

func TestSendStatus(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
	}))
	defer srv.Close()
	l := &Load{Addr: strings.TrimPrefix(srv.URL, "http://"), Path: "/"}
	assert.ErrorContains(t, l.Send([]byte("{}")), "status 403")
}

func TestQuantile(t *testing.T) {
	p := &Phase{}
	for i := 1; i <= 100; i++ {
		p.Latencies = append(p.Latencies, time.Duration(i)*time.Millisecond)
	}
	var r Result
	r.Add(p, -1)
	tests := []struct {
		q    float64
		want time.Duration
	}{
		{0.50, 50 * time.Millisecond},
		{0.99, 99 * time.Millisecond},
		{1, 100 * time.Millisecond},
		{0, time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("q=%.2f", tc.q), func(t *testing.T) {
			assert.Equal(t, tc.want, p.Quantile(tc.q))
			assert.Equal(t, tc.want, r.Quantile(tc.q))
		})
	}
	assert.Zero(t, (&Phase{}).Quantile(0.99))
	assert.Zero(t, (&Result{}).Quantile(0.99))
}
