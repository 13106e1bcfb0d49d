package main

import (
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/bunq"
)

// tlsServer is a local TLS server presenting cert; it records the server
// names (SNI) clients sent.
type tlsServer struct {
	addr  string // 127.0.0.1:port
	mu    sync.Mutex
	names []string // guarded by mu
}

func startTLSServer(t *testing.T, cert testCert) *tlsServer {
	t.Helper()
	pair, err := tls.LoadX509KeyPair(cert.certFile, cert.keyFile)
	require.NoError(t, err)
	s := &tlsServer{}
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{pair},
		GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.names = append(s.names, hello.ServerName)
			return nil, nil
		},
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	s.addr = srv.Listener.Addr().String()
	return s
}

func (s *tlsServer) serverNames() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.names...)
}

func TestPinPrintsChain(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cert := newTestCert(t, dir, "hook.test", time.Now().Add(90*24*time.Hour))
	srv := startTLSServer(t, cert)
	_, port, err := net.SplitHostPort(srv.addr)
	require.NoError(t, err)

	t.Run("PEM", func(t *testing.T) {
		r := runBin(t, nil, "pin", "--insecure", srv.addr)
		require.Equal(t, exitOK, r.code, r.stderr)
		assert.Equal(t, string(cert.certPEM), r.stdout)
		chain, err := bankhook.ParsePEMChain([]byte(r.stdout))
		require.NoError(t, err)
		require.Len(t, chain, 1)
		assert.True(t, chain[0].Equal(cert.cert))
	})
	t.Run("bunq JSON", func(t *testing.T) {
		r := runBin(t, nil, "pin", srv.addr, "--bunq-json", "--insecure")
		require.Equal(t, exitOK, r.code, r.stderr)
		want, err := bunq.CertificatePinnedBody(cert.certPEM)
		require.NoError(t, err)
		assert.Equal(t, string(want)+"\n", r.stdout)
		assert.Contains(t, r.stdout, `{"certificate_chain":[{"certificate":"-----BEGIN CERTIFICATE-----\n`)
	})
	t.Run("server name", func(t *testing.T) {
		r := runBin(t, nil, "pin", "--servername", "hook.test", "--insecure", srv.addr)
		require.Equal(t, exitOK, r.code, r.stderr)
		r = runBin(t, nil, "pin", "--insecure", "localhost:"+port)
		require.Equal(t, exitOK, r.code, r.stderr)
		assert.Contains(t, srv.serverNames(), "hook.test", "--servername is sent")
		assert.Contains(t, srv.serverNames(), "localhost", "the host is sent by default")
	})
	t.Run("unverified without --insecure", func(t *testing.T) {
		r := runBin(t, nil, "pin", srv.addr)
		assert.Equal(t, exitFailure, r.code)
		assert.Contains(t, r.stderr, "certificate")
		assert.Empty(t, r.stdout)
	})
}

func TestPinCheck(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	served := newTestCert(t, dir, "served", time.Now().Add(90*24*time.Hour))
	other := newTestCert(t, dir, "other", time.Now().Add(90*24*time.Hour))
	expiring := newTestCert(t, dir, "expiring", time.Now().Add(5*24*time.Hour+time.Hour))
	notPEM := filepath.Join(dir, "not.pem")
	require.NoError(t, os.WriteFile(notPEM, []byte("hello"), 0o600))

	srv := startTLSServer(t, served)
	expiringSrv := startTLSServer(t, expiring)

	tests := []struct {
		name   string
		addr   string
		pinned string
		code   int
		stdout []string
		stderr string
	}{
		{"match", srv.addr, served.certFile, exitOK, []string{"match: true", "days_left: 89", "leaf: CN=served,O=bankhook test"}, ""},
		{"mismatch", srv.addr, other.certFile, exitFailure, []string{"match: false"}, "pin mismatch"},
		{"expiring within 14 days", expiringSrv.addr, expiring.certFile, exitFailure, []string{"match: true", "days_left: 5"}, "expiring"},
		{"pinned file missing", srv.addr, filepath.Join(dir, "missing.pem"), exitFailure, nil, "no such file"},
		{"pinned file not PEM", srv.addr, notPEM, exitFailure, nil, "no certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runBin(t, nil, "pin", "--insecure", "--check", tt.pinned, tt.addr)
			assert.Equal(t, tt.code, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
			for _, s := range tt.stdout {
				assert.Contains(t, r.stdout, s)
			}
			if tt.stdout != nil {
				assert.Contains(t, r.stdout, "not_after: ")
			}
			if tt.stderr == "" {
				assert.Empty(t, r.stderr)
			} else {
				assert.Contains(t, r.stderr, tt.stderr)
			}
		})
	}
}

func TestPinConnectionErrors(t *testing.T) {
	t.Parallel()
	t.Run("nothing listening", func(t *testing.T) {
		t.Parallel()
		r := runBin(t, nil, "pin", freeAddr(t))
		assert.Equal(t, exitFailure, r.code)
		assert.Contains(t, r.stderr, "connection refused")
	})
	t.Run("no handshake before the timeout", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		t.Cleanup(func() { _ = ln.Close() })
		go func() { // accept, never answer; close them all with the listener
			var conns []net.Conn
			for {
				c, err := ln.Accept()
				if err != nil {
					for _, c := range conns {
						_ = c.Close()
					}
					return
				}
				conns = append(conns, c)
			}
		}()
		r := runBin(t, nil, "pin", "--timeout", "100ms", ln.Addr().String())
		assert.Equal(t, exitFailure, r.code)
		assert.Contains(t, r.stderr, "deadline exceeded")
	})
}

func TestPinUsageErrors(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		error string
	}{
		{"no host", nil, "missing HOST[:PORT]"},
		{"two hosts", []string{"a.example", "b.example"}, `unexpected argument "b.example"`},
		{"zero timeout", []string{"--timeout", "0s", "a.example"}, "--timeout 0s"},
		{"check and bunq JSON", []string{"--check", "x.pem", "--bunq-json", "a.example"}, "do not go together"},
		{"bad timeout", []string{"--timeout", "soon", "a.example"}, `invalid value "soon"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runIn(t, append([]string{"pin"}, tt.args...)...)
			assert.Equal(t, exitUsage, r.code)
			assert.Contains(t, r.stderr, tt.error)
			assert.Contains(t, r.stderr, "Usage: bankhook pin")
			assert.Empty(t, r.stdout)
		})
	}
}

func TestPinBadAddress(t *testing.T) {
	r := runIn(t, "pin", "https://example.com/")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "not a URL")
	r = runIn(t, "pin", "example.com:"+strconv.Itoa(70000))
	assert.Equal(t, exitFailure, r.code)
	assert.True(t, strings.Contains(r.stderr, "70000"), r.stderr)
}
