package main

import (
	"fmt"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook/bunq/bunqtest"
)

func TestBunqLogin(t *testing.T) {
	t.Parallel()
	e := newBunqEnv(t, bunqtest.Options{})

	r := e.run("", "login")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "$BUNQ_API_KEY is not set")
	assert.NoFileExists(t, e.ctx)

	r = e.run("wrong-key", "login")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "400 Bad Request: User credentials are incorrect")
	assert.NotContains(t, r.stderr, "wrong-key")
	assert.NoFileExists(t, e.ctx)

	r = e.run(e.user.APIKey, "login", "--description", "payments")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, fmt.Sprintf("user_id: %d\nuser_type: UserCompany\ncontext: %s\n", e.user.ID, e.ctx), r.stdout)
	assert.NotContains(t, r.stdout+r.stderr, e.user.APIKey)
	info, err := os.Stat(e.ctx)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	r = e.run(e.user.APIKey, "login")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "exists: pass --force to replace it")
	r = e.run(e.user.APIKey, "login", "--force")
	assert.Equal(t, exitOK, r.code, r.stderr)

	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"http API elsewhere", []string{"bunq", "login", "--api-url", "http://api.example.com"}, "http is allowed for a loopback host only"},
		{"not a URL", []string{"bunq", "login", "--api-url", "api.example.com"}, "want an https URL"},
		{"an argument", []string{"bunq", "login", "extra"}, `unexpected argument "extra"`},
		{"the key as a flag", []string{"bunq", "login", "--api-key", "k"}, "flag provided but not defined: -api-key"},
		{"empty context", []string{"bunq", "login", "--context", ""}, "--context: empty file name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runWithEnv(t, "k", tt.args...)
			assert.Equal(t, exitUsage, r.code)
			assert.Contains(t, r.stderr, tt.stderr)
		})
	}
}
