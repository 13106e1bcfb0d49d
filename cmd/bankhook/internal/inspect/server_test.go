package inspect

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckAddr(t *testing.T) {
	for _, tc := range []struct {
		addr        string
		ok          bool
		notLoopback bool
	}{
		{"127.0.0.1:4040", true, false},
		{"127.0.0.2:0", true, false},
		{"[::1]:4040", true, false},
		{"localhost:4040", true, false},
		{":4040", false, true},
		{"0.0.0.0:4040", false, true},
		{"[::]:4040", false, true},
		{"192.168.1.10:4040", false, true},
		{"example.com:4040", false, true},
		{"127.0.0.1", false, false},
		{"127.0.0.1:http-alt-x", false, false},
	} {
		t.Run(tc.addr, func(t *testing.T) {
			err := CheckAddr(tc.addr)
			if tc.ok {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, tc.notLoopback, errors.Is(err, ErrNotLoopback), "%v", err)
			assert.Contains(t, err.Error(), tc.addr)
		})
	}
}

func TestListen(t *testing.T) {
	f := newFixture(t, Options{})
	_, err := f.insp.Listen("0.0.0.0:0", f.target, "bank.test", nil)
	assert.ErrorIs(t, err, ErrNotLoopback)

	s, err := f.insp.Listen("127.0.0.1:0", f.target, "bank.test", nil)
	require.NoError(t, err)
	resp, err := http.Get(s.URL() + "samples")
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, string(b))

	// A live stream does not hold up the shutdown.
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL()+"events", nil)
	require.NoError(t, err)
	stream, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer stream.Body.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	require.NoError(t, s.Shutdown(ctx))
	_, err = io.ReadAll(stream.Body)
	assert.NoError(t, err, "the stream ends cleanly")
	_, err = net.DialTimeout("tcp", s.ln.Addr().String(), time.Second)
	assert.Error(t, err, "the listener is closed")
}
