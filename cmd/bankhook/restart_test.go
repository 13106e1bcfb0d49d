package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
)

// TestServeRestart checks that serve remembers, across a restart, the
// events it wrote to --out: a bank's retry after the restart is a replay.
func TestServeRestart(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "events.jsonl")
	mutation := bunqSample(t, "MUTATION")
	grant := bankhubSample(t, "GRANT_ERROR")

	first := startServe(t, "--dev", "--out", path)
	for p, body := range map[string][]byte{"/bunq": mutation, "/bankhub": grant} {
		a := post(t, nil, first.url+p, "application/json", body)
		require.Equal(t, http.StatusOK, a.status, a.body)
	}
	require.Len(t, first.stop(), 2)

	second := startServe(t, "--dev", "--out", path)
	require.Len(t, second.logLines("dedupe store: in memory, loaded", "loaded_bankhub=1", "loaded_bunq=1", "torn_lines=0"), 1, second.stderr.String())
	for p, body := range map[string][]byte{"/bunq": mutation, "/bankhub": grant} {
		a := post(t, nil, second.url+p, "application/json", body)
		require.Equal(t, http.StatusOK, a.status, a.body)
		assert.Equal(t, "true", a.header.Get(bankhook.HeaderIdempotentReplayed), "%s: a retry after the restart is a replay", p)
	}
	a := post(t, nil, second.url+"/bunq", "application/json", bunqSample(t, "PAYMENT"))
	require.Equal(t, http.StatusOK, a.status, a.body)
	assert.Empty(t, a.header.Get(bankhook.HeaderIdempotentReplayed))
	lines := second.stop()
	require.Len(t, lines, 3, "one new line, none for the retries")
	assert.Equal(t, "bunq", lines[2].Provider)
}

func TestServeRestartRepairs(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "events.jsonl")
	first := startServe(t, "--dev", "--out", path)
	a := post(t, nil, first.url+"/bunq", "application/json", bunqSample(t, "MUTATION"))
	require.Equal(t, http.StatusOK, a.status, a.body)
	first.stop()

	// A crash in the middle of the next write.
	written, err := os.ReadFile(path)
	require.NoError(t, err)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.Write(written[:len(written)/2])
	require.NoError(t, err)
	require.NoError(t, f.Close())

	second := startServe(t, "--dev", "--out", path)
	require.Len(t, second.logLines("level=WARN", "output repaired: removed a line cut short", fmt.Sprintf("offset=%d", len(written))), 1, second.stderr.String())
	a = post(t, nil, second.url+"/bunq", "application/json", bunqSample(t, "MUTATION"))
	require.Equal(t, http.StatusOK, a.status, a.body)
	assert.Equal(t, "true", a.header.Get(bankhook.HeaderIdempotentReplayed))
	a = post(t, nil, second.url+"/bankhub", "application/json", bankhubSample(t, "GRANT_ERROR"))
	require.Equal(t, http.StatusOK, a.status, a.body)
	lines := second.stop() // every line whole
	require.Len(t, lines, 2)
	assert.Equal(t, "bankhub", lines[1].Provider, "the next line starts on a line of its own")
}

func TestServeRefusesAnotherFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "app.log")
	content := "level=INFO msg=started\nlevel=INFO msg=stopped\n"
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	r := runBin(t, nil, "serve", "--dev", "--addr", "127.0.0.1:0", "--out", path)
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "bankhook: output "+path+", line 2: not a bankhook event line (not JSON); refusing to write to a file that is not serve's output")
	assert.NotContains(t, r.stderr, "listening on")
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, content, string(got), "never written to")
}

func TestServeStoreLogs(t *testing.T) {
	t.Parallel()
	stdout := startServe(t, "--dev", "--out", "-")
	assert.Len(t, stdout.logLines("dedupe store: in memory, empty: standard output is not read back"), 1, stdout.stderr.String())
	stdout.stop()

	addr := startRedis(t)
	path := filepath.Join(t.TempDir(), "events.jsonl")
	require.NoError(t, os.WriteFile(path, []byte("not serve's output\n"), 0o600))
	r := runBin(t, nil, "serve", "--dev", "--addr", "127.0.0.1:0", "--redis", addr, "--out", path)
	assert.Equal(t, exitFailure, r.code, "with --redis --out is still checked")
	assert.Contains(t, r.stderr, "line 1: not a bankhook event line")

	s := startServe(t, "--dev", "--redis", addr)
	assert.Len(t, s.logLines("dedupe store: Redis, shared; --out is not read back", "redis="+addr), 1, s.stderr.String())
	s.stop()
}

func TestServeUsageNamesStoreDefaults(t *testing.T) {
	hours := fmt.Sprintf("the last %d h", int(bankhook.DefaultDedupeTTL.Hours()))
	capacity := fmt.Sprintf("up to %d,%03d a bank", bankhook.DefaultLRUCapacity/1000, bankhook.DefaultLRUCapacity%1000)
	usage := strings.ReplaceAll(serveUsage, "\n", " ")
	assert.Contains(t, usage, hours)
	assert.Contains(t, usage, capacity)
}
