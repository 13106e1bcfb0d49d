package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncBuffer is a bytes.Buffer safe for one writer and many readers.
type syncBuffer struct {
	mu  sync.Mutex // guards buf
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"-kind", "UserCompany"}, &stdout, &stderr) }()
	require.Eventually(t, func() bool { return strings.Contains(stdout.String(), "BUNQ_API_KEY=") }, 10*time.Second, 10*time.Millisecond)
	out := stdout.String()
	assert.Regexp(t, `bunq stand-in API  http://127\.0\.0\.1:\d+\n`, out)
	assert.Contains(t, out, "user               1001 (UserCompany), monetary account 2001\n")
	assert.Regexp(t, `export BUNQ_API_KEY=[0-9a-f]{64}\n`, out)
	control := regexp.MustCompile(`control            (http://\S+)`).FindStringSubmatch(out)[1]

	post := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Post(control+path, "", nil)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}
	code, body := post("/pay?amount=-12.50&description=coffee")
	assert.Equal(t, 200, code)
	assert.Equal(t, "payment 10001: -12.50 EUR on account 2001\n", body)
	code, body = post("/pay?user=999")
	assert.Equal(t, 404, code, body)
	code, body = post("/pay?user=1001&amount=-1.00")
	assert.Equal(t, 200, code, body)
	code, body = post("/pay?amount=lots")
	assert.Equal(t, 400, code, body)
	code, body = post("/advance?by=6m")
	assert.Equal(t, 200, code)
	assert.Contains(t, body, "callback attempts made")
	code, _ = post("/advance?by=-1m")
	assert.Equal(t, 400, code)
	code, body = post("/add-filter?category=MUTATION&url=https://a.example/bunq")
	assert.Equal(t, 200, code, body)
	assert.Equal(t, "1 filters\n", body)
	code, body = post("/add-filter?category=NOPE&url=https://a.example/bunq")
	assert.Equal(t, 400, code, body)
	code, body = post("/expire-sessions")
	assert.Equal(t, 200, code, body)
	assert.Equal(t, "sessions ended: the next call gets 403\n", body)
	code, body = post("/expire-sessions?status=401")
	assert.Equal(t, 200, code, body)
	assert.Equal(t, "sessions ended: the next call gets 401\n", body)
	code, body = post("/expire-sessions?status=500")
	assert.Equal(t, 400, code, body)
	resp, err := http.Get(control + "/status")
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	assert.Contains(t, string(b), "failed callbacks: 0")

	cancel()
	select {
	case code := <-done:
		assert.Equal(t, 0, code)
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after its context ended")
	}
}

func TestRunUsage(t *testing.T) {
	ctx := context.Background()
	var stdout, stderr bytes.Buffer
	assert.Equal(t, 2, run(ctx, []string{"extra"}, &stdout, &stderr))
	assert.Equal(t, 2, run(ctx, []string{"-nope"}, &stdout, &stderr))
	assert.Equal(t, 1, run(ctx, []string{"-addr", "0.0.0.0:0"}, &stdout, &stderr))
	assert.Contains(t, stderr.String(), "want a loopback IP address")
	assert.Equal(t, 1, run(ctx, []string{"-ca", "/nonexistent.pem"}, &stdout, &stderr))
	assert.Equal(t, 2, run(ctx, []string{"-kind", "UserLight"}, &stdout, &stderr))
}
