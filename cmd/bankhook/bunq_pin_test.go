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

	r := e.run("", "pin", "add", host)
	assert.Equal(t, exitFailure, r.code, "a self-signed chain does not verify")
	assert.Contains(t, r.stderr, "certificate")

	r = e.run("", "pin", "add", "--insecure", host)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `^\d+\n$`, r.stdout)
	id := strings.TrimSpace(r.stdout)
	assert.Equal(t, []string{string(cert.certPEM)}, e.srv.PinnedChains(e.user.ID))

	r = e.run("", "pin", "list")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, id+"\tCN=hooks.test,O=bankhook test\t"+cert.cert.NotAfter.UTC().Format(time.RFC3339)+"\n", r.stdout)

	r = e.run("", "pin", "remove", id)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "removed "+id+"\n", r.stdout)
	r = e.run("", "pin", "list")
	assert.Empty(t, r.stdout)
	r = e.run("", "pin", "remove", id)
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "404 Not Found")

	t.Run("remove several", func(t *testing.T) {
		var ids []string
		for range 3 {
			r := e.run("", "pin", "add", host, "--insecure")
			require.Equal(t, exitOK, r.code, r.stderr)
			ids = append(ids, strings.TrimSpace(r.stdout))
		}
		r := e.run("", "pin", "remove", ids[0], ids[1])
		require.Equal(t, exitOK, r.code, r.stderr)
		assert.Equal(t, "removed "+ids[0]+"\nremoved "+ids[1]+"\n", r.stdout)
		assert.Len(t, e.srv.PinnedChains(e.user.ID), 1)

		r = e.run("", "pin", "remove", ids[2], ids[0], ids[1])
		assert.Equal(t, exitFailure, r.code)
		assert.Equal(t, "removed "+ids[2]+"\n", r.stdout, "it stops at the first that fails")
		assert.Contains(t, r.stderr, "after 1 of 3")
		assert.Contains(t, r.stderr, "404 Not Found")
		assert.Empty(t, e.srv.PinnedChains(e.user.ID))
	})

	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"nothing", []string{"pin"}, "missing SUBCOMMAND: add, list or remove"},
		{"unknown subcommand", []string{"pin", "lst"}, `unknown subcommand "lst"`},
		{"flags first", []string{"pin", "--sandbox", "list"}, "flags go after the subcommand: bankhook bunq pin list [flags]"},
		{"an unknown flag first", []string{"pin", "--bogus", "list"}, "flags go after the subcommand: bankhook bunq pin add|list|remove [flags]"},
		{"v0 host", []string{"pin", host}, `unknown subcommand "` + host + `": to pin the chain a host serves, use "bankhook bunq pin add HOST[:PORT]"`},
		{"v0 flags then host", []string{"pin", "--insecure", "--servername", "hooks.test", host}, `unknown subcommand "` + host + `": to pin the chain a host serves, use "bankhook bunq pin add HOST[:PORT]"`},
		{"v0 list after --", []string{"pin", "--", "--list"}, `unknown subcommand "--list"`},
		{"v0 list", []string{"pin", "--list"}, `--list: use "bankhook bunq pin list"`},
		{"v0 list, one dash", []string{"pin", "-list"}, `--list: use "bankhook bunq pin list"`},
		{"v0 host and list", []string{"pin", host, "--list"}, `--list: use "bankhook bunq pin list"`},
		{"v0 remove", []string{"pin", "--remove", "3"}, `--remove: use "bankhook bunq pin remove ID..."`},
		{"v0 remove=", []string{"pin", "--remove=3"}, `--remove: use "bankhook bunq pin remove ID..."`},
		{"add nothing", []string{"pin", "add"}, "missing HOST[:PORT]"},
		{"add two hosts", []string{"pin", "add", host, host}, "unexpected argument"},
		{"add no time", []string{"pin", "add", host, "--timeout", "0s"}, "--timeout 0s: want a positive duration"},
		{"add list", []string{"pin", "add", "--list"}, "flag provided but not defined: -list"},
		{"list an argument", []string{"pin", "list", "3"}, `unexpected argument "3"`},
		{"list remove", []string{"pin", "list", "--remove", "3"}, "flag provided but not defined: -remove"},
		{"remove nothing", []string{"pin", "remove"}, "missing the ID of a pin to remove"},
		{"remove zero", []string{"pin", "remove", "0"}, `"0" is not a pin id`},
		{"remove not an id", []string{"pin", "remove", "3", "x"}, `"x" is not a pin id`},
		{"remove twice", []string{"pin", "remove", "3", "3"}, "id 3 given twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.run("", tt.args...)
			assert.Equal(t, exitUsage, r.code, r.stderr)
			assert.Contains(t, r.stderr, tt.stderr)
			assert.Contains(t, r.stderr, "Usage: bankhook bunq pin ")
			assert.Empty(t, r.stdout)
		})
	}

	t.Run("no subcommand", func(t *testing.T) {
		r := runWithEnv(t, "", "bunq", "pin")
		assert.Equal(t, exitUsage, r.code)
		assert.Equal(t, "bankhook bunq pin: missing SUBCOMMAND: add, list or remove\n\n"+bunqPinUsage, r.stderr)
		assert.Empty(t, r.stdout)
	})

	t.Run("help", func(t *testing.T) {
		for _, tt := range []struct {
			args []string
			want []string
		}{
			{[]string{"bunq", "pin", "-h"}, []string{"bankhook bunq pin add [flags] HOST[:PORT]", "bankhook bunq pin list [flags]", "bankhook bunq pin remove [flags] ID..."}},
			{[]string{"bunq", "pin", "help"}, []string{"bankhook bunq pin add [flags] HOST[:PORT]"}},
			{[]string{"bunq", "pin", "add", "-h"}, []string{"Usage: bankhook bunq pin add", "-insecure", "-servername", "-timeout", "-context"}},
			{[]string{"bunq", "pin", "list", "--help"}, []string{"Usage: bankhook bunq pin list", "-context"}},
			{[]string{"bunq", "pin", "remove", "-h"}, []string{"Usage: bankhook bunq pin remove [flags] ID...", "-api-url"}},
			{[]string{"bunq", "-h"}, []string{"pin add HOST[:PORT]", "pin list", "pin remove ID..."}},
		} {
			r := runWithEnv(t, "", tt.args...)
			assert.Equal(t, exitOK, r.code, "%v: %s", tt.args, r.stderr)
			for _, want := range tt.want {
				assert.Contains(t, r.stdout, want, "%v", tt.args)
			}
		}
	})
}
