package bunq

import (
	"testing"

	"github.com/go-json-experiment/json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIdentifierJSON(t *testing.T) {
	type holder struct {
		ID Identifier `json:"id"`
	}
	tests := []struct {
		name, in string
		want     Identifier
	}{
		{"string", `{"id":"5411"}`, "5411"},
		{"number keeps digits", `{"id":12345678901234567890123}`, "12345678901234567890123"},
		{"number verbatim", `{"id":-1.50e3}`, "-1.50e3"},
		{"null", `{"id":null}`, ""},
		{"escaped", `{"id":"a\u002fb"}`, "a/b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var v2, v1 holder
			require.NoError(t, json.Unmarshal([]byte(tc.in), &v2))
			require.NoError(t, stdjsonUnmarshal([]byte(tc.in), &v1))
			assert.Equal(t, tc.want, v2.ID)
			assert.Equal(t, tc.want, v1.ID)
			out, err := json.Marshal(v2)
			require.NoError(t, err)
			var again holder
			require.NoError(t, json.Unmarshal(out, &again))
			assert.Equal(t, v2, again)
		})
	}
	for _, in := range []string{`{"id":true}`, `{"id":[1]}`, `{"id":{}}`} {
		t.Run("refuses "+in, func(t *testing.T) {
			var h holder
			assert.Error(t, json.Unmarshal([]byte(in), &h))
			assert.Error(t, stdjsonUnmarshal([]byte(in), &h))
		})
	}
}
