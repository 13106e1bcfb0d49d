package bunq

import (
	"strings"
	"testing"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func mustKey(t *testing.T, body string) string {
	t.Helper()
	n, err := Decode([]byte(body))
	require.NoError(t, err)
	k := n.IdempotencyKey()
	require.NotEmpty(t, k)
	return k
}

func TestIdempotencyKeyFormat(t *testing.T) {
	n := decodeFile(t, "testdata/MUTATION.json")
	assert.Equal(t, "bunq:MUTATION:MUTATION_CREATED:Payment:2938471@2025-03-14T09:12:44.11823Z", n.IdempotencyKey())

	u := mustKey(t, `{"NotificationUrl":{"category":"X:Y","event_type":"a b","object":{"New/Type":{"k":1}}}}`)
	assert.True(t, strings.HasPrefix(u, "bunq:X%3AY:a%20b:New%2FType:sha256="), u)
	assert.Len(t, strings.TrimPrefix(u, "bunq:X%3AY:a%20b:New%2FType:sha256="), 64)
}

func TestIdempotencyKeyStable(t *testing.T) {
	tests := []struct {
		name string
		a, b string
	}{
		{"reformatted typed",
			`{"NotificationUrl":{"category":"MUTATION","event_type":"MUTATION_CREATED","object":{"Payment":{"id":1,"updated":"2025-01-01 00:00:00.000001","description":"x"}}}}`,
			"{ \"NotificationUrl\" : {\n\"object\":{\"Payment\":{\"description\":\"\\u0078\",\"updated\":\"2025-01-01 00:00:00.000001\",\"id\":1}},\"event_type\":\"MUTATION_CREATED\",\"category\":\"MUTATION\"}}"},
		{"reformatted unknown",
			`{"NotificationUrl":{"category":"C","object":{"Thing":{"a":1,"b":[true,null],"c":"\u00e9"}}}}`,
			`{"NotificationUrl":{"object":{"Thing":{ "c":"é", "b":[ true , null ], "a":1.0 }},"category":"C"}}`},
		{"reformatted typed without id",
			`{"NotificationUrl":{"category":"TAB_RESULT","object":{"BunqMeTabResultResponse":{"payment":{"id":3,"amount":{"value":"1.00","currency":"EUR"}}}}}}`,
			`{"NotificationUrl":{"category":"TAB_RESULT","object":{"BunqMeTabResultResponse":{"payment":{"amount":{"currency":"EUR","value":"1.00"},"id":3}}}}}`},
		{"target URL is not part of the key",
			`{"NotificationUrl":{"target_url":"https://a","category":"PAYMENT","object":{"Payment":{"id":1,"updated":"2025-01-01 00:00:00"}}}}`,
			`{"NotificationUrl":{"target_url":"https://b","category":"PAYMENT","object":{"Payment":{"id":1,"updated":"2025-01-01 00:00:00.000000"}}}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, mustKey(t, tc.a), mustKey(t, tc.b))
		})
	}
}

func TestIdempotencyKeyDiffers(t *testing.T) {
	base := `{"NotificationUrl":{"category":"MUTATION","event_type":"MUTATION_CREATED","object":{"Payment":{"id":1,"updated":"2025-01-01 00:00:00.000001"}}}}`
	tests := []struct {
		name  string
		other string
	}{
		{"other category", strings.Replace(base, `"category":"MUTATION"`, `"category":"PAYMENT"`, 1)},
		{"other event type", strings.Replace(base, `MUTATION_CREATED`, `MUTATION_RECEIVED`, 1)},
		{"other updated", strings.Replace(base, `00:00:00.000001`, `00:00:00.000002`, 1)},
		{"other id", strings.Replace(base, `"id":1`, `"id":2`, 1)},
		{"other object type", strings.Replace(base, `"Payment"`, `"RequestInquiry"`, 1)},
		{"no updated: content hash", strings.Replace(base, `,"updated":"2025-01-01 00:00:00.000001"`, ``, 1)},
	}
	baseKey := mustKey(t, base)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.NotEqual(t, baseKey, mustKey(t, tc.other))
		})
	}
	t.Run("unknown objects by content", func(t *testing.T) {
		a := mustKey(t, `{"NotificationUrl":{"object":{"Thing":{"a":1}}}}`)
		b := mustKey(t, `{"NotificationUrl":{"object":{"Thing":{"a":2}}}}`)
		assert.NotEqual(t, a, b)
	})
}

func TestIdempotencyKeyHandBuilt(t *testing.T) {
	tests := []struct {
		name string
		n    Notification
	}{
		{"no object", Notification{Category: CategoryPayment}},
		{"unknown with invalid raw", Notification{Object: &Unknown{Type: "T", Raw: []byte("{")}}},
		{"empty payment", Notification{Object: &Payment{}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.True(t, strings.HasPrefix(tc.n.IdempotencyKey(), "bunq:"))
		})
	}
}

func TestObjectDigestIsCanonical(t *testing.T) {
	want := jsontext.Value(`{"b":[1,"\u00e9"],"a":{"y":2,"x":1}}`)
	require.NoError(t, want.Canonicalize())
	u := &Unknown{Type: "T", Raw: []byte(`{ "a":{"x":1,"y":2}, "b":[1,"é"] }`)}
	got := objectDigest(u)
	again := objectDigest(&Unknown{Type: "T", Raw: want})
	assert.Equal(t, got, again)
	_, err := json.Marshal(u)
	require.NoError(t, err)
}
