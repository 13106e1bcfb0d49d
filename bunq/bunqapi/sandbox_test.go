package bunqapi_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook/bunq/bunqapi"
	"github.com/bankhook/bankhook/bunq/bunqtest"
)

func TestCreateSandboxUser(t *testing.T) {
	srv := standIn(t, bunqtest.Options{})
	ctx := context.Background()
	key, err := bunqapi.CreateSandboxUser(ctx, bunqapi.Options{BaseURL: srv.URL()})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(key, "sandbox_"), key)
	c, err := bunqapi.Setup(ctx, key, bunqapi.Options{BaseURL: srv.URL(), Logger: discard})
	require.NoError(t, err)
	assert.Equal(t, "UserPerson", c.UserType())
	_, err = c.ListFilters(ctx)
	require.NoError(t, err)

	for _, base := range []string{bunqapi.Production, "https://API.bunq.com/v1", "https://api.bunq.com./"} {
		t.Run(base, func(t *testing.T) {
			_, err := bunqapi.CreateSandboxUser(ctx, bunqapi.Options{BaseURL: base})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "production API")
		})
	}
	_, err = bunqapi.CreateSandboxUser(ctx, bunqapi.Options{BaseURL: "ftp://x"})
	assert.ErrorContains(t, err, "Options.BaseURL")
}
