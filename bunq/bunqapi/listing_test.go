package bunqapi

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook/bunq"
)

// scripted returns a client of user 7 whose server answers every request
// with answer(request number from 1, path with query), signed with the
// server key.
func scripted(t *testing.T, answer func(n int64, pathQuery string) string) *Client {
	t.Helper()
	serverKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	var n atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := []byte(answer(n.Add(1), r.URL.RequestURI()))
		w.Header().Set(HeaderServerSignature, sign(t, serverKey, body))
		_, _ = w.Write(body)
	}))
	t.Cleanup(ts.Close)
	c, err := newClient(Options{BaseURL: ts.URL}, "")
	require.NoError(t, err)
	c.key, err = rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	c.serverKey, c.sessionToken, c.userID, c.generation = &serverKey.PublicKey, "session", 7, 1
	return c
}

func failurePage(ids []int64, older string) string {
	items := ""
	for i, id := range ids {
		if i > 0 {
			items += ","
		}
		items += fmt.Sprintf(`{"NotificationFilterFailure":{"id":%d,"category":"MUTATION","object_id":%d}}`, id, id*10)
	}
	olderURL := "null"
	if older != "" {
		olderURL = fmt.Sprintf("%q", older)
	}
	return fmt.Sprintf(`{"Response":[%s],"Pagination":{"future_url":null,"newer_url":null,"older_url":%s}}`, items, olderURL)
}

func TestListFailuresFollowsOnlyItsOwnPages(t *testing.T) {
	const base = "/v1/user/7/notification-filter-failure"
	tests := []struct {
		name    string
		pages   func(n int64, pathQuery string) string
		want    []int64
		wantErr string
	}{
		{"to the end", func(n int64, _ string) string {
			if n == 1 {
				return failurePage([]int64{9, 8}, base+"?count=200&older_id=8")
			}
			return failurePage([]int64{7, 6}, "")
		}, []int64{9, 8, 7, 6}, ""},
		{"a failure listed twice is listed once", func(n int64, _ string) string {
			if n == 1 {
				return failurePage([]int64{9, 8}, base+"?older_id=8")
			}
			return failurePage([]int64{8, 7}, "")
		}, []int64{9, 8, 7}, ""},
		{"another host", func(int64, string) string {
			return failurePage([]int64{9}, "https://evil.example"+base+"?older_id=9")
		}, nil, "is not a page of"},
		{"another path", func(int64, string) string {
			return failurePage([]int64{9}, "/v1/user/8/notification-filter-failure?older_id=9")
		}, nil, "is not a page of"},
		{"another parameter", func(int64, string) string {
			return failurePage([]int64{9}, base+"?older_id=9&redirect=x")
		}, nil, `unexpected parameter "redirect"`},
		{"a loop", func(int64, string) string {
			return failurePage([]int64{9}, base+"?count=200")
		}, nil, "leads back to a page already read"},
		{"not a failure", func(int64, string) string {
			return `{"Response":[{"Payment":{"id":1}}]}`
		}, nil, "NotificationFilterFailure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := scripted(t, tt.pages)
			got, err := c.ListFailures(context.Background())
			if tt.wantErr != "" {
				require.ErrorIs(t, err, ErrResponse)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			var ids []int64
			for _, f := range got {
				ids = append(ids, f.ID)
			}
			assert.Equal(t, tt.want, ids)
		})
	}
}

func TestDecodeFilters(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    []bunq.NotificationFilterURL
		wantErr string
	}{
		{"one object per filter, as bunq's SDKs read it",
			`{"Response":[{"NotificationFilterUrl":{"id":1,"created":"2025-01-01 00:00:00.000000","category":"MUTATION","notification_target":"https://a.example/"}}]}`,
			[]bunq.NotificationFilterURL{{Category: "MUTATION", NotificationTarget: "https://a.example/"}}, ""},
		{"one object holding the list, as the API reference has it",
			`{"Response":[{"NotificationFilterUrl":{"notification_filters":[{"category":"PAYMENT","notification_target":"https://b.example/"},{"category":"MUTATION","notification_target":"https://b.example/"}]}}]}`,
			[]bunq.NotificationFilterURL{{Category: "PAYMENT", NotificationTarget: "https://b.example/"}, {Category: "MUTATION", NotificationTarget: "https://b.example/"}}, ""},
		{"both shapes in one object are one filter",
			`{"Response":[{"NotificationFilterUrl":{"id":1,"category":"MUTATION","notification_target":"https://a.example/","notification_filters":[{"notification_delivery_method":"URL","category":"MUTATION","notification_target":"https://a.example/"}]}}]}`,
			[]bunq.NotificationFilterURL{{Category: "MUTATION", NotificationTarget: "https://a.example/"}}, ""},
		{"identical filters are kept once",
			`{"Response":[{"NotificationFilterUrl":{"id":2,"category":"MUTATION","notification_target":"https://a.example/"}},{"NotificationFilterUrl":{"id":1,"category":"MUTATION","notification_target":"https://a.example/"}}]}`,
			[]bunq.NotificationFilterURL{{Category: "MUTATION", NotificationTarget: "https://a.example/"}}, ""},
		{"oldest first, as made; bunq lists newest first",
			`{"Response":[{"NotificationFilterUrl":{"id":9,"category":"PAYMENT","notification_target":"https://a.example/"}},{"NotificationFilterUrl":{"id":4,"category":"MUTATION","notification_target":"https://a.example/"}}]}`,
			[]bunq.NotificationFilterURL{{Category: "MUTATION", NotificationTarget: "https://a.example/"}, {Category: "PAYMENT", NotificationTarget: "https://a.example/"}}, ""},
		{"a push filter in the list is not a URL filter",
			`{"Response":[{"NotificationFilterUrl":{"notification_filters":[{"notification_delivery_method":"PUSH","category":"PAYMENT"},{"category":"MUTATION","notification_target":"https://b.example/"}]}}]}`,
			[]bunq.NotificationFilterURL{{Category: "MUTATION", NotificationTarget: "https://b.example/"}}, ""},
		{"an unknown category as listed",
			`{"Response":[{"NotificationFilterUrl":{"id":1,"category":"CARD_DISPUTE","notification_target":"https://a.example/"}}]}`,
			[]bunq.NotificationFilterURL{{Category: "CARD_DISPUTE", NotificationTarget: "https://a.example/"}}, ""},
		{"empty", `{"Response":[]}`, []bunq.NotificationFilterURL{}, ""},
		{"no Response", `{"Error":[]}`, nil, `no "Response"`},
		{"another object", `{"Response":[{"Id":{"id":3}}]}`, nil, `not a "NotificationFilterUrl"`},
		{"bad member", `{"Response":[{"NotificationFilterUrl":{"category":7}}]}`, nil, "member 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeFilters([]byte(tt.body))
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestCreatedID(t *testing.T) {
	id, err := createdID([]byte(`{"Response":[{"Id":{"id":42}}]}`))
	require.NoError(t, err)
	assert.Equal(t, int64(42), id)
	for _, body := range []string{`{"Response":[]}`, `{"Response":[{"Id":{"id":0}}]}`, `{}`} {
		_, err := createdID([]byte(body))
		assert.Error(t, err, body)
	}
}
