package bunqapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/go-json-experiment/json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook/bunq/bunqapi"
	"github.com/bankhook/bankhook/bunq/bunqtest"
)

func TestSetup(t *testing.T) {
	srv := standIn(t, bunqtest.Options{})
	for _, kind := range []string{"UserPerson", "UserCompany", "UserApiKey", "UserPaymentServiceProvider"} {
		t.Run(kind, func(t *testing.T) {
			u, err := srv.AddUser(bunqtest.UserOptions{Kind: kind})
			require.NoError(t, err)
			c, err := bunqapi.Setup(context.Background(), u.APIKey, bunqapi.Options{BaseURL: srv.URL(), Description: "payments", Logger: discard})
			require.NoError(t, err)
			assert.Equal(t, u.ID, c.UserID())
			assert.Equal(t, kind, c.UserType())
			assert.Equal(t, srv.URL(), c.BaseURL())
		})
	}
	var paths []string
	for _, r := range srv.Requests() {
		require.Equal(t, http.StatusOK, r.Status, r.Path)
		paths = append(paths, r.Method+" "+r.Path)
	}
	assert.Equal(t, []string{"POST /v1/installation", "POST /v1/device-server", "POST /v1/session-server"}, paths[:3],
		"installation → device-server → session-server, each passing the stand-in's header, token and signature checks")
}

func TestSetupErrors(t *testing.T) {
	srv := standIn(t, bunqtest.Options{})
	ctx := context.Background()

	_, err := bunqapi.Setup(ctx, "not-a-key", bunqapi.Options{BaseURL: srv.URL(), Logger: discard})
	var apiErr *bunqapi.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusBadRequest, apiErr.StatusCode)
	assert.Equal(t, "POST", apiErr.Method)
	assert.Equal(t, "/v1/device-server", apiErr.Path)
	require.NotEmpty(t, apiErr.Descriptions)
	assert.Contains(t, apiErr.Descriptions[0].ErrorDescription, "Incorrect API key")
	assert.NotEmpty(t, apiErr.ResponseID)
	assert.True(t, bunqapi.IsStatus(err, 400))
	assert.False(t, bunqapi.IsStatus(err, 401))
	assert.NotContains(t, err.Error(), "not-a-key", "the API key never shows in an error")

	tests := []struct {
		name    string
		apiKey  string
		o       bunqapi.Options
		wantErr string
	}{
		{"empty key", "", bunqapi.Options{BaseURL: srv.URL()}, "API key is empty"},
		{"key with a quote", `a"b`, bunqapi.Options{BaseURL: srv.URL()}, "characters no bunq key has"},
		{"bad permitted ip", "k", bunqapi.Options{BaseURL: srv.URL(), PermittedIPs: []string{"1.2.3.4", "10.0.0.300"}}, `PermittedIPs[1] "10.0.0.300"`},
		{"plain http to a remote host", "k", bunqapi.Options{BaseURL: "http://api.bunq.com"}, "http is allowed for a loopback host only"},
		{"bad language", "k", bunqapi.Options{BaseURL: srv.URL(), Language: "english"}, `Language "english"`},
		{"bad region", "k", bunqapi.Options{BaseURL: srv.URL(), Region: "NL"}, `Region "NL"`},
		{"bad geolocation", "k", bunqapi.Options{BaseURL: srv.URL(), Geolocation: "here"}, `Geolocation "here"`},
		{"user agent with a newline", "k", bunqapi.Options{BaseURL: srv.URL(), UserAgent: "a\nb"}, "line break"},
		{"nobody listening", "k", bunqapi.Options{BaseURL: "http://127.0.0.1:1"}, "POST /v1/installation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := bunqapi.Setup(ctx, tt.apiKey, tt.o)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.True(t, strings.HasPrefix(err.Error(), "bunqapi: "), err.Error())
		})
	}
}

func TestValidateBaseURL(t *testing.T) {
	tests := []struct {
		in      string
		wantErr string
	}{
		{bunqapi.Production, ""},
		{bunqapi.Sandbox, ""},
		{"https://proxy.internal:8443/bunq", ""},
		{"http://127.0.0.1:8080", ""},
		{"http://[::1]:8080", ""},
		{"http://localhost:8080", ""},
		{"http://10.0.0.1", "loopback host only"},
		{"ftp://api.bunq.com", "want an https URL"},
		{"api.bunq.com", "want an https URL"},
		{"https://", "no host"},
		{"https://user:pw@api.bunq.com", "user info"},
		{"https://api.bunq.com?x=1", "query or fragment"},
		{"https://api.bunq.com#top", "query or fragment"},
		{"https://api.bunq.com/%zz", "not a URL"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			err := bunqapi.ValidateBaseURL(tt.in)
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.NotContains(t, err.Error(), "pw", "a password in the URL is not repeated")
		})
	}
}

func TestBaseURLDropsV1(t *testing.T) {
	srv := standIn(t, bunqtest.Options{})
	u, err := srv.AddUser(bunqtest.UserOptions{})
	require.NoError(t, err)
	c, err := bunqapi.Setup(context.Background(), u.APIKey, bunqapi.Options{BaseURL: srv.URL() + "/v1/", Logger: discard})
	require.NoError(t, err)
	assert.Equal(t, srv.URL(), c.BaseURL())
}

func TestSetupRefusesUnsignedAnswers(t *testing.T) {
	tests := []struct {
		name    string
		mode    bunqtest.SignatureMode
		at      int64 // the request before which the mode is set: 1 installation, 2 device-server, 3 session-server
		wantErr error
	}{
		{"installation unsigned", bunqtest.SignNone, 1, bunqapi.ErrSignature},
		{"device-server unsigned", bunqtest.SignNone, 2, bunqapi.ErrSignature},
		{"session-server unsigned", bunqtest.SignNone, 3, bunqapi.ErrSignature},
		{"session-server tampered", bunqtest.SignTampered, 3, bunqapi.ErrSignature},
		{"installation tampered", bunqtest.SignTampered, 1, bunqapi.ErrResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := standIn(t, bunqtest.Options{})
			u, err := srv.AddUser(bunqtest.UserOptions{})
			require.NoError(t, err)
			hook := &hookTransport{before: func(n int64, _ *http.Request) {
				if n == tt.at {
					srv.SetSignatureMode(tt.mode)
				}
			}}
			_, err = bunqapi.Setup(context.Background(), u.APIKey, bunqapi.Options{
				BaseURL: srv.URL(), HTTPClient: &http.Client{Transport: hook}, Logger: discard,
			})
			require.ErrorIs(t, err, tt.wantErr)
		})
	}
}

func TestSetupAcceptsTheOlderSignatureScheme(t *testing.T) {
	srv := standIn(t, bunqtest.Options{})
	srv.SetSignatureMode(bunqtest.SignHeadersAndBody)
	c, _ := setup(t, srv, bunqapi.Options{})
	assert.NotZero(t, c.UserID())
}

func TestSaveLoad(t *testing.T) {
	srv := standIn(t, bunqtest.Options{})
	c, u := setup(t, srv, bunqapi.Options{})
	path := filepath.Join(t.TempDir(), "bunq-context.json")
	require.NoError(t, c.Save(path))

	info, err := os.Stat(path)
	require.NoError(t, err)
	if runtime.GOOS != "windows" {
		assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	}
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var saved map[string]any
	require.NoError(t, json.Unmarshal(raw, &saved))
	for _, field := range []string{"version", "base_url", "user_id", "user_type", "api_key", "private_key", "installation_token", "server_public_key", "session_token"} {
		assert.Contains(t, saved, field)
	}
	assert.Equal(t, u.APIKey, saved["api_key"], "a new session needs the API key")
	assert.Contains(t, saved["private_key"], "-----BEGIN PRIVATE KEY-----")
	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file is left behind")

	loaded, err := bunqapi.Load(path, bunqapi.Options{Logger: discard})
	require.NoError(t, err)
	assert.Equal(t, c.UserID(), loaded.UserID())
	assert.Equal(t, c.UserType(), loaded.UserType())
	assert.Equal(t, c.BaseURL(), loaded.BaseURL())

	require.NoError(t, c.Save(path), "overwrites")
	other, err := bunqapi.Load(path, bunqapi.Options{BaseURL: "https://proxy.example/bunq", Logger: discard})
	require.NoError(t, err)
	assert.Equal(t, "https://proxy.example/bunq", other.BaseURL(), "Options.BaseURL overrides the saved one")
}

func TestLoadRefuses(t *testing.T) {
	srv := standIn(t, bunqtest.Options{})
	c, u := setup(t, srv, bunqapi.Options{})
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	require.NoError(t, c.Save(good))
	raw, err := os.ReadFile(good)
	require.NoError(t, err)
	var fields map[string]any
	require.NoError(t, json.Unmarshal(raw, &fields))

	write := func(t *testing.T, name string, content []byte, mode os.FileMode) string {
		t.Helper()
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, content, 0o600))
		require.NoError(t, os.Chmod(p, mode))
		return p
	}
	with := func(t *testing.T, key string, value any) []byte {
		t.Helper()
		m := map[string]any{}
		for k, v := range fields {
			m[k] = v
		}
		if value == nil {
			delete(m, key)
		} else {
			m[key] = value
		}
		b, err := json.Marshal(m)
		require.NoError(t, err)
		return b
	}

	tests := []struct {
		name    string
		path    func(t *testing.T) string
		wantErr string
	}{
		{"missing", func(*testing.T) string { return filepath.Join(dir, "none.json") }, "no such file"},
		{"a directory", func(*testing.T) string { return dir }, "not a regular file"},
		{"not JSON", func(t *testing.T) string { return write(t, "x.json", []byte("api_key=SECRETVALUE"), 0o600) }, "invalid JSON"},
		{"other version", func(t *testing.T) string { return write(t, "v.json", with(t, "version", 2), 0o600) }, "version 2"},
		{"no api key", func(t *testing.T) string { return write(t, "k.json", with(t, "api_key", nil), 0o600) }, "no api_key"},
		{"no session", func(t *testing.T) string { return write(t, "s.json", with(t, "session_token", ""), 0o600) }, "no session_token"},
		{"no user", func(t *testing.T) string { return write(t, "u.json", with(t, "user_id", 0), 0o600) }, "no user_id"},
		{"bad private key", func(t *testing.T) string { return write(t, "p.json", with(t, "private_key", "x"), 0o600) }, "private_key is not a PEM"},
		{"bad server key", func(t *testing.T) string { return write(t, "sk.json", with(t, "server_public_key", "x"), 0o600) }, "server_public_key"},
		{"http base url", func(t *testing.T) string {
			return write(t, "b.json", with(t, "base_url", "http://bunq.example"), 0o600)
		}, "loopback host only"},
	}
	if runtime.GOOS != "windows" {
		tests = append(tests,
			struct {
				name    string
				path    func(t *testing.T) string
				wantErr string
			}{"readable by others", func(t *testing.T) string { return write(t, "o.json", raw, 0o644) }, "mode 0644"},
			struct {
				name    string
				path    func(t *testing.T) string
				wantErr string
			}{"group writable", func(t *testing.T) string { return write(t, "g.json", raw, 0o620) }, "chmod 600"},
		)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := bunqapi.Load(tt.path(t), bunqapi.Options{Logger: discard})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.NotContains(t, err.Error(), u.APIKey)
			assert.NotContains(t, err.Error(), "SECRETVALUE", "the file's content is never quoted")
			if tt.name != "missing" {
				assert.ErrorIs(t, err, bunqapi.ErrContextFile)
			}
		})
	}
}

func TestClientShowsNoSecret(t *testing.T) {
	srv := standIn(t, bunqtest.Options{})
	c, u := setup(t, srv, bunqapi.Options{})
	path := filepath.Join(t.TempDir(), "ctx.json")
	require.NoError(t, c.Save(path))
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var saved map[string]any
	require.NoError(t, json.Unmarshal(raw, &saved))

	want := fmt.Sprintf("bunqapi.Client{user %d (UserPerson) at %s}", u.ID, srv.URL())
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		got := fmt.Sprintf(format, c)
		assert.Equal(t, want, got, format)
		for _, secret := range []string{"api_key", "installation_token", "session_token"} {
			assert.NotContains(t, got, saved[secret], "%s shows the %s", format, secret)
		}
	}
}

func TestErrorText(t *testing.T) {
	e := &bunqapi.Error{Method: "GET", Path: "/v1/user/1/x", StatusCode: 429}
	assert.Equal(t, "bunqapi: GET /v1/user/1/x: 429 Too Many Requests", e.Error())
	wrapped := fmt.Errorf("listing: %w", e)
	assert.True(t, bunqapi.IsStatus(wrapped, 429))
	assert.False(t, bunqapi.IsStatus(errors.New("x"), 429))
}
