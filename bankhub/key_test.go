package bankhub_test

import (
	"strings"
	"testing"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/bankhub"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func decodeKey(t *testing.T, body string) string {
	t.Helper()
	w, err := bankhub.Decode([]byte(body))
	require.NoError(t, err)
	return w.IdempotencyKey()
}

func TestIdempotencyKeySameEvent(t *testing.T) {
	// Each pair is one event sent twice, differently formatted.
	tests := []struct {
		name string
		a, b string
	}{
		{
			name: "transaction retried with other members changed",
			a:    `{"webhookType":"TRANSACTIONS","webhookCode":"DEFAULT_UPDATE","transaction":{"id":"t1","amount":100,"description":"a"}}`,
			b:    `{"transaction":{"description":"a","amount":"100.0","id":"t1","bookingDate":"2024-05-02"},"webhookCode":"DEFAULT_UPDATE","webhookType":"TRANSACTIONS"}`,
		},
		{
			name: "transaction id as number and as string",
			a:    `{"webhookType":"TRANSACTIONS","webhookCode":"DEFAULT_UPDATE","transaction":{"id":12345678901234567890,"amount":1}}`,
			b:    `{"webhookType":"TRANSACTIONS","webhookCode":"DEFAULT_UPDATE","transaction":{"id":"12345678901234567890","amount":1}}`,
		},
		{
			name: "grant error with another message",
			a:    `{"webhookType":"GRANT","webhookCode":"ERROR","grantId":"g","error":{"errorCode":"OTP_REQUIRED","errorMessage":"x"}}`,
			b:    `{"webhookType":"GRANT","webhookCode":"ERROR","grantId":"g","error":{"errorCode":"OTP_REQUIRED","errorMessage":"y"}}`,
		},
		{
			name: "unknown pair, members reordered and spaced",
			a:    `{"webhookType":"GRANT","webhookCode":"EXPIRED","grantId":"g","n":1.50,"s":"\u00e9"}`,
			b:    "{ \"s\" : \"é\",\n \"n\": 1.50, \"grantId\":\"g\", \"webhookCode\":\"EXPIRED\", \"webhookType\":\"GRANT\" }",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, decodeKey(t, tt.a), decodeKey(t, tt.b))
		})
	}
}

func TestIdempotencyKeyDistinctEvents(t *testing.T) {
	bodies := map[string]string{
		"transaction t1":           `{"webhookType":"TRANSACTIONS","webhookCode":"DEFAULT_UPDATE","transaction":{"id":"t1","amount":1}}`,
		"transaction t2":           `{"webhookType":"TRANSACTIONS","webhookCode":"DEFAULT_UPDATE","transaction":{"id":"t2","amount":1}}`,
		"grant g, OTP":             `{"webhookType":"GRANT","webhookCode":"ERROR","grantId":"g","error":{"errorCode":"OTP_REQUIRED"}}`,
		"grant g, login":           `{"webhookType":"GRANT","webhookCode":"ERROR","grantId":"g","error":{"errorCode":"GRANT_LOGIN_REQUIRED"}}`,
		"grant g, no error":        `{"webhookType":"GRANT","webhookCode":"ERROR","grantId":"g"}`,
		"grant h, OTP":             `{"webhookType":"GRANT","webhookCode":"ERROR","grantId":"h","error":{"errorCode":"OTP_REQUIRED"}}`,
		"grant g/OTP, no error":    `{"webhookType":"GRANT","webhookCode":"ERROR","grantId":"g/OTP_REQUIRED"}`,
		"grant g revoked":          `{"webhookType":"GRANT","webhookCode":"USER_PERMISSION_REVOKED","grantId":"g"}`,
		"unknown, 18 digits ...78": `{"webhookType":"X","webhookCode":"Y","amount":123456789012345678}`,
		"unknown, 18 digits ...79": `{"webhookType":"X","webhookCode":"Y","amount":123456789012345679}`,
		"unknown, other member":    `{"webhookType":"X","webhookCode":"Y","amount":123456789012345678,"more":true}`,
	}
	seen := map[string]string{}
	for name, body := range bodies {
		key := decodeKey(t, body)
		if other, dup := seen[key]; dup {
			t.Errorf("%q and %q share the key %q", name, other, key)
		}
		seen[key] = name
	}
}

func TestIdempotencyKeyEscapesAndBounds(t *testing.T) {
	long := strings.Repeat("x", 200)
	tests := []struct {
		name string
		w    *bankhub.Webhook
		want string
	}{
		{
			name: "slash and percent escaped",
			w:    &bankhub.Webhook{Type: bankhub.TypeGrant, Code: bankhub.CodeUserPermissionRevoked, GrantID: "a/b%c"},
			want: "bankhub:GRANT:USER_PERMISSION_REVOKED:a%2Fb%25c",
		},
		{
			name: "long id hashed (sha256 of 200 x, from sha256sum)",
			w: &bankhub.Webhook{Type: bankhub.TypeTransactions, Code: bankhub.CodeDefaultUpdate,
				Transaction: &bankhub.Transaction{ID: long, Amount: bankhook.NewDecimal(1, 0)}},
			want: "bankhub:TRANSACTIONS:DEFAULT_UPDATE:sha256=aa20c23e3201834050679e1d88941b9a6fed0557c9a705cb2c315e2e63fd486d",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.w.IdempotencyKey())
		})
	}
}

func TestIdempotencyKeyHandBuilt(t *testing.T) {
	// A known pair missing what it needs is an Unknown, keyed by its
	// encoding, and the key survives a round trip.
	w := &bankhub.Webhook{Type: bankhub.TypeTransactions, Code: bankhub.CodeDefaultUpdate}
	assert.IsType(t, &bankhub.Unknown{}, w.Event())
	key := w.IdempotencyKey()
	assert.True(t, strings.HasPrefix(key, "bankhub:TRANSACTIONS:DEFAULT_UPDATE:sha256="), key)
	assert.Equal(t, key, w.IdempotencyKey(), "stable")

	u := &bankhub.Webhook{Type: "X", Code: "Y", Environment: "sandbox"}
	assert.Equal(t, decodeKey(t, `{"environment":"sandbox","webhookType":"X","webhookCode":"Y"}`), u.IdempotencyKey())
}
