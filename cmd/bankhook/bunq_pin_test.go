package main

import (
	"crypto/tls"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook/bunq/bunqtest"
)

func TestBunqPin(t *testing.T) {
	t.Parallel()
	e := newBunqEnv(t, bunqtest.Options{})
	e.login()
	cert := newTestCert(t, e.dir, "hooks.test", time.Now().Add(90*24*time.Hour))
	ts := httptest.NewUnstartedServer(http.NotFoundHandler())
	kp, err := tls.LoadX509KeyPair(cert.certFile, cert.keyFile)
	require.NoError(t, err)
	ts.TLS = &tls.Config{Certificates: []tls.Certificate{kp}}
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	ts.StartTLS()
	t.Cleanup(ts.Close)
	host := strings.TrimPrefix(ts.URL, "https://")

	r := e.run("", "pin", host)
	assert.Equal(t, exitFailure, r.code, "a self-signed chain does not verify")
	assert.Contains(t, r.stderr, "certificate")

	r = e.run("", "pin", "--insecure", host)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `^\d+\n$`, r.stdout)
	id := strings.TrimSpace(r.stdout)
	assert.Equal(t, []string{string(cert.certPEM)}, e.srv.PinnedChains(e.user.ID))

	r = e.run("", "pin", "--list")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, id+"\tCN=hooks.test,O=bankhook test\t"+cert.cert.NotAfter.UTC().Format(time.RFC3339)+"\n", r.stdout)

	r = e.run("", "pin", "--remove", id)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "removed "+id+"\n", r.stdout)
	r = e.run("", "pin", "--list")
	assert.Empty(t, r.stdout)
	r = e.run("", "pin", "--remove", id)
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "404 Not Found")

	for name, args := range map[string][]string{
		"nothing":         {"pin"},
		"host and list":   {"pin", host, "--list"},
		"list and remove": {"pin", "--list", "--remove", "3"},
		"bad remove":      {"pin", "--remove", "0"},
		"two hosts":       {"pin", host, host},
	} {
		t.Run(name, func(t *testing.T) {
			r := e.run("", args...)
			assert.Equal(t, exitUsage, r.code, r.stderr)
		})
	}
}
