package bunqapi_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook/bunq/bunqapi"
	"github.com/bankhook/bankhook/bunq/bunqtest"
)

// standIn starts a stand-in without rate limits (unless o sets a window)
// and closes it at the end of the test.
func standIn(t *testing.T, o bunqtest.Options) *bunqtest.Server {
	t.Helper()
	if o.RateWindow == 0 {
		o.RateWindow = -1
	}
	srv := bunqtest.NewServer(o)
	t.Cleanup(srv.Close)
	return srv
}

// setup adds a user to srv and sets a client up for it.
func setup(t *testing.T, srv *bunqtest.Server, o bunqapi.Options) (*bunqapi.Client, bunqtest.User) {
	t.Helper()
	u, err := srv.AddUser(bunqtest.UserOptions{})
	require.NoError(t, err)
	o.BaseURL = srv.URL()
	if o.Logger == nil {
		o.Logger = discard
	}
	c, err := bunqapi.Setup(context.Background(), u.APIKey, o)
	require.NoError(t, err)
	return c, u
}

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// hookTransport runs before on every request it sends, with the number
// of the request (from 1).
type hookTransport struct {
	n      atomic.Int64
	before func(n int64, r *http.Request)
}

func (h *hookTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	h.before(h.n.Add(1), r)
	return http.DefaultTransport.RoundTrip(r)
}

// logBuffer is a logger whose lines the test reads.
type logBuffer struct {
	mu  sync.Mutex // guards buf
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
