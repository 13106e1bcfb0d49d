package inspect

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
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
	assert.Equal(t, s.URL()+"?token="+f.insp.access, s.AccessURL())

	// Without the session, 401; the access address signs a client in.
	resp, err := http.Get(s.URL() + "samples")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	client := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	resp, err = client.Get(s.AccessURL())
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, s.URL(), resp.Request.URL.String(), "redirected to the address without the token")
	resp, err = client.Get(s.URL() + "samples")
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, string(b))

	// A live stream does not hold up the shutdown.
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL()+"events", nil)
	require.NoError(t, err)
	client.Timeout = 0 // the stream lasts until the shutdown
	stream, err := client.Do(req)
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
