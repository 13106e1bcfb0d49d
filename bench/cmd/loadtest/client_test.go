package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// answer runs roundTrip against a peer that reads the request and writes
// response.
func answer(t *testing.T, response string) (status int, keep bool, err error) {
	t.Helper()
	client, server := net.Pipe()
	defer client.Close()
	go func() {
		defer server.Close()
		_, _ = io.ReadFull(server, make([]byte, len("REQ")))
		_, _ = io.WriteString(server, response)
	}()
	return roundTrip(client, bufio.NewReader(client), []byte("REQ"))
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name     string
		response string
		status   int
		keep     bool
		err      string
	}{
		{"ok without body", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 200, true, ""},
		{"problem body is read", "HTTP/1.1 403 Forbidden\r\ncontent-length: 5\r\nContent-Type: application/problem+json\r\n\r\n{...}", 403, true, ""},
		{"connection close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", 200, false, ""},
		{"no length", "HTTP/1.1 200 OK\r\n\r\n", 200, false, "without Content-Length"},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 200, false, "Transfer-Encoding"},
		{"not HTTP/1.1", "HTTP/1.0 200 OK\r\n\r\n", 0, false, "malformed"},
		{"short body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 200, false, "unexpected EOF"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, keep, err := answer(t, tc.response)
			assert.Equal(t, tc.status, status)
			assert.Equal(t, tc.keep, keep)
			if tc.err == "" {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
			}
		})
	}
}

func TestQuantile(t *testing.T) {
	p := &phase{}
	for i := 1; i <= 100; i++ {
		p.latencies = append(p.latencies, time.Duration(i)*time.Millisecond)
	}
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
			assert.Equal(t, tc.want, p.quantile(tc.q))
		})
	}
	assert.Zero(t, (&phase{}).quantile(0.99))
}

func TestHandlerFor(t *testing.T) {
	for _, kind := range []string{"bare", "guards", "full", "replay"} {
		t.Run(kind, func(t *testing.T) {
			h, err := handlerFor(kind)
			require.NoError(t, err)
			assert.NotNil(t, h)
		})
	}
	_, err := handlerFor("nope")
	assert.Error(t, err)
}
