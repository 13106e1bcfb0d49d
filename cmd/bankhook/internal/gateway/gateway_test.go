package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/cmd/bankhook/internal/output"
	"github.com/bankhook/bankhook/hooktest/samples"
	"github.com/bankhook/bankhook/redisstore"
)

// testConfig is a Config serving bankHub to this machine, writing to out.
func testConfig(out string) Config {
	return Config{BankhubPath: "/bankhub", BankhubAllow: DevRanges, Out: out}
}

// TestGateway builds a gateway, serves one bankHub delivery on a
// loopback listener, and checks its line once Serve and Close have
// returned.
func TestGateway(t *testing.T) {
	out := filepath.Join(t.TempDir(), "events.jsonl")
	var log bytes.Buffer
	g, err := New(t.Context(), testConfig(out), Options{Logger: slog.New(slog.NewTextHandler(&log, nil))})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- g.Serve(ctx, ln) }()

	body, ok := samples.Bankhub("GRANT_ERROR")
	require.True(t, ok)
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Post("http://"+ln.Addr().String()+"/bankhub", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	cancel()
	require.NoError(t, <-served)
	require.NoError(t, g.Close())
	require.NoError(t, g.Close(), "a second Close does nothing")

	b, err := os.ReadFile(out)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	require.Len(t, lines, 1)
	var line struct {
		Provider string          `json:"provider"`
		Key      string          `json:"key"`
		Raw      json.RawMessage `json:"raw"`
	}
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &line))
	assert.Equal(t, "bankhub", line.Provider)
	assert.NotEmpty(t, line.Key)
	assert.JSONEq(t, string(body), string(line.Raw))
	for _, want := range []string{"bankhub endpoint", "listening on http://" + ln.Addr().String(), "stopped"} {
		assert.Contains(t, log.String(), want)
	}
}

// TestNewFailsHalfWay: a New that fails after opening the output closes
// it again, so its lock is released and another New on the same file
// starts.
func TestNewFailsHalfWay(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "events.jsonl")
	bad := testConfig(out)
	bad.TLSCert, bad.TLSKey = filepath.Join(dir, "missing.pem"), filepath.Join(dir, "missing.key")
	probe, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	bad.Metrics = probe.Addr().String() // a port known free once probe is closed
	require.NoError(t, probe.Close())
	g, err := New(t.Context(), bad, Options{})
	require.ErrorContains(t, err, "--tls-cert/--tls-key")
	assert.Nil(t, g)
	again, err := net.Listen("tcp", bad.Metrics)
	require.NoError(t, err, "the metrics listener was closed")
	require.NoError(t, again.Close())

	g, err = New(t.Context(), testConfig(out), Options{})
	require.NoError(t, err, "the first New released --out")
	_, err = New(t.Context(), testConfig(out), Options{})
	require.ErrorIs(t, err, output.ErrInUse, "a gateway holds --out until Close")
	require.NoError(t, g.Close())
	g, err = New(t.Context(), testConfig(out), Options{})
	require.NoError(t, err, "Close released --out")
	require.NoError(t, g.Close())
}

// TestNewRefusesNothing: a Config that serves nothing or keeps nothing
// is refused.
func TestNewRefusesNothing(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want error
	}{
		{"zero", Config{}, ErrNoEndpoint},
		{"no output", Config{BunqPath: "/bunq"}, ErrNoOutput},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(t.Context(), tc.cfg, Options{})
			assert.ErrorIs(t, err, tc.want)
		})
	}
}

// TestStartInspectorOptionalAddressInUse: the inspector address --dev
// chose by itself, when taken, is a warning, and serve goes on.
func TestStartInspectorOptionalAddressInUse(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()
	var log bytes.Buffer
	g := &Gateway{
		cfg:    Config{Inspect: busy.Addr().String(), InspectOptional: true, BunqPath: "/bunq"},
		logger: slog.New(slog.NewTextHandler(&log, nil)),
	}
	g.insp, err = g.newInspector()
	require.NoError(t, err)
	stop, err := g.startInspector(http.NotFoundHandler(), "127.0.0.1:8080")
	require.NoError(t, err)
	stop()
	assert.Contains(t, log.String(), "level=WARN")
	assert.Contains(t, log.String(), "inspector not started")
}

// TestServeTimeoutsOutlastARequest: no server timeout cuts off a request
// that takes its worst case: read, reserve, the handler's deadline, and
// the last call that records its key.
func TestServeTimeoutsOutlastARequest(t *testing.T) {
	worst := readTimeout + redisstore.DefaultTimeout + bankhook.DefaultDeadline + redisstore.DefaultTimeout
	assert.Greater(t, writeTimeout, worst)
	assert.Greater(t, shutdownTimeout, worst)
}
