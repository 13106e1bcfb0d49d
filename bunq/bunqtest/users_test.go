package bunqtest_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/go-json-experiment/json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook/bunq/bunqtest"
)

// TestSandboxUserPerson: POST /v1/sandbox-user-person needs no
// authentication and answers an API key a client logs in with.
func TestSandboxUserPerson(t *testing.T) {
	srv := newServer(t, bunqtest.Options{})
	for _, body := range []string{"", "{}"} {
		w := &wire{t: t, srv: srv, key: testKey}
		a := w.do("POST", "/v1/sandbox-user-person", "", []byte(body), false)
		require.Equal(t, http.StatusOK, a.status, string(a.body))
		items := a.items(t)
		require.Len(t, items, 1)
		var key struct {
			APIKey string `json:"api_key"`
		}
		require.NoError(t, json.Unmarshal(items[0]["ApiKey"], &key), string(a.body))
		assert.True(t, strings.HasPrefix(key.APIKey, "sandbox_"), key.APIKey)

		logged := login(t, srv, key.APIKey)
		assert.Contains(t, logged.sessionAnswer, "UserPerson", "a sandbox user is a natural person")
		u, ok := srv.User(logged.userID)
		require.True(t, ok)
		assert.Equal(t, key.APIKey, u.APIKey)
		assert.NotZero(t, u.AccountID)
	}
	w := &wire{t: t, srv: srv, key: testKey}
	a := w.do("POST", "/v1/sandbox-user-person", "", []byte("[x"), false)
	assert.Equal(t, http.StatusBadRequest, a.status)
	_, ok := srv.User(999)
	assert.False(t, ok)
}

// TestUserEndpoints: GET /v1/user and GET /v1/user/{id} answer the
// session's user for every kind, as bunq's SDKs read them.
func TestUserEndpoints(t *testing.T) {
	srv := newServer(t, bunqtest.Options{})
	other := addUser(t, srv, "")
	for _, kind := range []string{"UserPerson", "UserCompany", "UserApiKey", "UserPaymentServiceProvider"} {
		t.Run(kind, func(t *testing.T) {
			u := addUser(t, srv, kind)
			w := login(t, srv, u.APIKey)
			for _, path := range []string{"/v1/user", fmt.Sprintf("/v1/user/%d", u.ID)} {
				a := w.do("GET", path, w.session, nil, true)
				require.Equal(t, http.StatusOK, a.status, string(a.body))
				require.True(t, w.verified(a))
				items := a.items(t)
				require.Len(t, items, 1, path)
				raw, ok := items[0][kind]
				require.True(t, ok, "%s: %s", path, a.body)
				var got struct {
					ID int64 `json:"id"`
				}
				require.NoError(t, json.Unmarshal(raw, &got))
				assert.Equal(t, u.ID, got.ID, path)
				assert.JSONEq(t, string(w.sessionAnswer[kind]), string(raw), "%s: the user as session-server gave it", path)
			}
			a := w.do("GET", fmt.Sprintf("/v1/user/%d", other.ID), w.session, nil, true)
			assert.Equal(t, http.StatusForbidden, a.status, "another user")
			a = w.do("GET", "/v1/user", w.install, nil, true)
			assert.Equal(t, http.StatusForbidden, a.status, "a session call")
		})
	}
}
