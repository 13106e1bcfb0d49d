package accesslog

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/internal/logsample"
)

func TestHandlerSamplesRejectionsOnly(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, nil))
	reject := bankhook.Chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bankhook.Reject(w, r, http.StatusForbidden, bankhook.ReasonIPDenied, nil)
	}), bankhook.Observe(Observer{}), bankhook.ClientIP(nil))
	mux := http.NewServeMux()
	mux.Handle("/bunq", reject)
	mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) {
		bankhook.Reject(w, r, http.StatusServiceUnavailable, bankhook.ReasonTimeout, nil)
	})
	mux.Handle("/ack", bankhook.Chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		Observer{}.Handled(r, bankhook.Outcome{Status: 200, Key: "k"})
	}), bankhook.Observe(Observer{})))
	sampler, err := logsample.New(logsample.Options{
		Now: func() time.Time { return time.Unix(1e9, 0) }, // however slow the run, one instant
	})
	require.NoError(t, err)
	h := handler(logger, sampler, mux)
	get := func(path, remote string) {
		r := httptest.NewRequest(http.MethodPost, path, nil)
		r.RemoteAddr = remote
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	for range 1000 {
		get("/bunq", "203.0.113.9:1")
		get("/nowhere", "203.0.113.9:1")
	}
	for range 3 {
		get("/fail", "203.0.113.9:1")
		get("/ack", "185.40.108.1:1")
	}
	count := func(parts ...string) int {
		n := 0
		for line := range strings.Lines(buf.String()) {
			all := true
			for _, p := range parts {
				all = all && strings.Contains(line, p)
			}
			if all {
				n++
			}
		}
		return n
	}
	assert.Equal(t, 1, count("path=/bunq", "reason=ip_denied"), "a flood within a second: its first line")
	assert.Equal(t, 1, count("path=/nowhere", "status=404"), "unknown paths are sampled too")
	assert.Equal(t, 3, count("path=/fail", "status=503"), "5xx: every one")
	assert.Equal(t, 3, count("path=/ack", "key=k"), "acknowledged events: every one")
}

func TestErrorLog(t *testing.T) {
	var buf bytes.Buffer
	l := ErrorLog(slog.New(slog.NewTextHandler(&buf, nil)))
	for range 500 {
		l.Printf("http: TLS handshake error from 203.0.113.9:4711: EOF")
	}
	l.Printf("http: TLS handshake error from [2001:db8::1]:4711: EOF")
	l.Printf("http: Accept error: too many open files")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 3, buf.String())
	assert.Contains(t, lines[0], `level=WARN msg="http: TLS handshake error from 203.0.113.9:4711: EOF"`)
	assert.Contains(t, lines[1], "2001:db8::1")
	assert.Contains(t, lines[2], "Accept error")
}

func TestSenderOf(t *testing.T) {
	assert.Equal(t, "203.0.113.9", senderOf("http: TLS handshake error from 203.0.113.9:4711: EOF").String())
	assert.Equal(t, "2001:db8::1", senderOf("http: TLS handshake error from [2001:db8::1]:4711: EOF").String())
	assert.False(t, senderOf("http: Accept error: too many open files").IsValid())
}
