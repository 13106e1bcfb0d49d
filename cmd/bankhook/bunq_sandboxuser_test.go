package main

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook/bunq/bunqtest"
)

func TestBunqSandboxUser(t *testing.T) {
	t.Parallel()
	e := newBunqEnv(t, bunqtest.Options{})

	r := e.run("", "sandbox-user")
	require.Equal(t, exitOK, r.code, r.stderr)
	key, ok := strings.CutPrefix(r.stdout, "BUNQ_API_KEY=")
	require.True(t, ok, r.stdout)
	key, ok = strings.CutSuffix(key, "\n")
	require.True(t, ok, "one line")
	assert.True(t, strings.HasPrefix(key, "sandbox_"), key)
	assert.NotContains(t, key, "\n")
	assert.NoFileExists(t, e.ctx, "no login without --login")

	r = e.run(key, "login")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "user_type: UserPerson")

	t.Run("--login", func(t *testing.T) {
		r := e.run("", "sandbox-user", "--login")
		assert.Equal(t, exitFailure, r.code)
		assert.Contains(t, r.stderr, "exists: pass --force to replace it")
		assert.Empty(t, r.stdout, "no user made")

		require.NoError(t, os.Remove(e.ctx))
		r = e.run("", "sandbox-user", "--login", "--description", "sandbox")
		require.Equal(t, exitOK, r.code, r.stderr)
		lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
		require.Len(t, lines, 1, "stdout is the one line, for export")
		assert.True(t, strings.HasPrefix(lines[0], "BUNQ_API_KEY=sandbox_"))
		assert.Contains(t, r.stderr, "user_type: UserPerson")
		info, err := os.Stat(e.ctx)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
		r = e.run("", "filters")
		assert.Equal(t, exitOK, r.code, "the saved context works: %s", r.stderr)
	})
	t.Run("refuses production", func(t *testing.T) {
		for _, url := range []string{"https://api.bunq.com", "https://API.bunq.com/v1/"} {
			r := runWithEnv(t, "", "bunq", "sandbox-user", "--api-url", url, "--context", e.ctx)
			assert.Equal(t, exitUsage, r.code)
			assert.Contains(t, r.stderr, "sandbox users are made on bunq's sandbox only")
			assert.Empty(t, r.stdout)
		}
	})
}
