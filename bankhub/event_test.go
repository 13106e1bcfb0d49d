package bankhub_test

import (
	"testing"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/bankhub"
	"github.com/stretchr/testify/assert"
)

func TestEvent(t *testing.T) {
	tx := &bankhub.Transaction{ID: "t", Amount: bankhook.NewDecimal(5, 0)}
	tests := []struct {
		name string
		w    *bankhub.Webhook
		want bankhub.Event
		kind string
	}{
		{
			name: "grant error",
			w: &bankhub.Webhook{Type: bankhub.TypeGrant, Code: bankhub.CodeError, GrantID: "g",
				Error: &bankhub.GrantError{ErrorCode: bankhub.PreventionWeb, ErrorMessage: "blocked"}},
			want: &bankhub.GrantFailed{GrantID: "g", Error: bankhub.GrantError{ErrorCode: bankhub.PreventionWeb, ErrorMessage: "blocked"}},
			kind: "grant_error",
		},
		{
			name: "grant error without error object",
			w:    &bankhub.Webhook{Type: bankhub.TypeGrant, Code: bankhub.CodeError, GrantID: "g"},
			want: &bankhub.GrantFailed{GrantID: "g"},
			kind: "grant_error",
		},
		{
			name: "permission revoked",
			w:    &bankhub.Webhook{Type: bankhub.TypeGrant, Code: bankhub.CodeUserPermissionRevoked, GrantID: "g"},
			want: &bankhub.PermissionRevoked{GrantID: "g"},
			kind: "permission_revoked",
		},
		{
			name: "new transaction",
			w:    &bankhub.Webhook{Type: bankhub.TypeTransactions, Code: bankhub.CodeDefaultUpdate, Transaction: tx},
			want: &bankhub.NewTransaction{Transaction: tx},
			kind: "transaction",
		},
		{
			name: "DEFAULT_UPDATE under GRANT",
			w:    &bankhub.Webhook{Type: bankhub.TypeGrant, Code: bankhub.CodeDefaultUpdate, GrantID: "g"},
			want: &bankhub.Unknown{Type: bankhub.TypeGrant, Code: bankhub.CodeDefaultUpdate,
				Raw: []byte(`{"grantId":"g","webhookCode":"DEFAULT_UPDATE","webhookType":"GRANT"}`)},
			kind: "unknown",
		},
		{
			name: "grant error without grant",
			w:    &bankhub.Webhook{Type: bankhub.TypeGrant, Code: bankhub.CodeError},
			want: &bankhub.Unknown{Type: bankhub.TypeGrant, Code: bankhub.CodeError,
				Raw: []byte(`{"webhookCode":"ERROR","webhookType":"GRANT"}`)},
			kind: "unknown",
		},
		{
			name: "transaction without id",
			w: &bankhub.Webhook{Type: bankhub.TypeTransactions, Code: bankhub.CodeDefaultUpdate,
				Transaction: &bankhub.Transaction{Amount: bankhook.NewDecimal(5, 0)}},
			want: &bankhub.Unknown{Type: bankhub.TypeTransactions, Code: bankhub.CodeDefaultUpdate,
				Raw: []byte(`{"transaction":{"accountNumber":"","amount":"5","currency":"","description":"","fiId":"","fiName":"","fiServiceId":"","fiServiceName":"","id":""},"webhookCode":"DEFAULT_UPDATE","webhookType":"TRANSACTIONS"}`)},
			kind: "unknown",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := tt.w.Event()
			assert.Equal(t, tt.want, e)
			assert.Equal(t, tt.kind, e.Kind())
		})
	}
}

func TestUnknownRawIsACopy(t *testing.T) {
	w, err := bankhub.Decode([]byte(`{"webhookType":"X","webhookCode":"Y"}`))
	if !assert.NoError(t, err) {
		return
	}
	key := w.IdempotencyKey()
	u := w.Event().(*bankhub.Unknown)
	for i := range u.Raw {
		u.Raw[i] = ' '
	}
	assert.Equal(t, key, w.IdempotencyKey())
	assert.Equal(t, `{"webhookCode":"Y","webhookType":"X"}`, string(w.Event().(*bankhub.Unknown).Raw))
}
