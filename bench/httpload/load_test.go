package httpload

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
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
		{"problem body is read", "HTTP/1.1 403 Forbidden\r\ncontent-length: 5\r\n\r\n{...}", response{403, true, false}, ""},
		{"connection close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", response{200, false, false}, ""},
		{"no length", "HTTP/1.1 200 OK\r\n\r\n", response{}, "without Content-Length"},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", response{}, "Transfer-Encoding"},
		{"not HTTP/1.1", "SSH-2.0-OpenSSH\r\n", response{}, "malformed"},
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
