package bunq

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
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
	n := decodeSample(t, "MUTATION")
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

func TestIdempotencyKeyExactNumbers(t *testing.T) {
	unknown := `{"NotificationUrl":{"category":"C","object":{"Thing":{"n":%s}}}}`
	typed := `{"NotificationUrl":{"category":"TAB_RESULT","object":{"BunqMeTabResultResponse":{"payment":{"id":%s}}}}}`
	tests := []struct {
		name, body, a, b string
		same             bool
	}{
		{"unknown: integers beyond 2^53", unknown, "9007199254740992", "9007199254740993", false},
		{"unknown: long decimal", unknown, "0.1", "0.1000000000000000055", false},
		{"unknown: beyond float64", unknown, "1e400", "1e500", false},
		{"typed: integers beyond 2^53", typed, "9007199254740992", "9007199254740993", false},
		{"unknown: equal text", unknown, "9007199254740993", "9007199254740993", true},
		{"unknown: equal long decimal", unknown, "0.1000000000000000055", "0.1000000000000000055", true},
		{"unknown: same value, another form", unknown, "1.0", "1E0", true},
		{"typed: equal text", typed, "9007199254740993", "9007199254740993", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := mustKey(t, fmt.Sprintf(tc.body, tc.a))
			b := mustKey(t, fmt.Sprintf(tc.body, tc.b))
			if tc.same {
				assert.Equal(t, a, b)
			} else {
				assert.NotEqual(t, a, b)
			}
		})
	}
}

// TestIdempotencyKeyUnchanged checks that the content keys of objects
// whose numbers RFC 8785 keeps are those of plain RFC 8785, as before
// numbers kept their exact value: a retry spanning an upgrade is still a
// duplicate.
func TestIdempotencyKeyUnchanged(t *testing.T) {
	for _, obj := range []string{
		`{"Thing":{"a":1,"b":[true,null,-0,1.0,0.5,1E2,12345e-5,4.503599627370497E15],"c":"\u00e9","d":9007199254740992}}`,
		`{"BunqMeTabResultResponse":{"payment":{"id":3,"amount":{"value":"1.00","currency":"EUR"},"geolocation":{"latitude":52.3676,"longitude":4.9041}}}}`,
		`{"BunqMeTabResultInquiry":{"payment":{"id":4503599627370497}}}`, // 16 digits, below 2^53
	} {
		t.Run(obj, func(t *testing.T) {
			n, err := Decode([]byte(`{"NotificationUrl":{"category":"C","event_type":"E","object":` + obj + `}}`))
			require.NoError(t, err)
			var raw []byte
			if u, ok := n.Object.(*Unknown); ok {
				raw = u.Raw
			} else {
				raw, err = json.Marshal(n.Object, encodeOptions)
				require.NoError(t, err)
			}
			old := jsontext.Value(raw).Clone()
			require.NoError(t, old.Canonicalize())
			sum := sha256.Sum256(old)
			assert.True(t, strings.HasSuffix(n.IdempotencyKey(), ":sha256="+hex.EncodeToString(sum[:])), "%s\n%s", n.IdempotencyKey(), old)
		})
	}
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
