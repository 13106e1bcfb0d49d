package bunq

import (
	"testing"

	"github.com/go-json-experiment/json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCategories(t *testing.T) {
	cs := Categories()
	require.Len(t, cs, 28)
	seen := map[Category]bool{}
	for _, c := range cs {
		assert.True(t, c.Known(), c)
		assert.False(t, seen[c], "duplicate %s", c)
		seen[c] = true
		assert.True(t, wellFormedCategory(c), c)
	}
	cs[0] = "CHANGED"
	assert.Equal(t, CategoryBilling, Categories()[0], "Categories returns a copy")
	for _, c := range []Category{"", "mutation", "MUTATION ", "CARD_DISPUTE"} {
		assert.False(t, c.Known(), c)
	}
}

func TestEventTypes(t *testing.T) {
	seen := map[EventType]bool{}
	for _, e := range EventTypes() {
		assert.True(t, e.Known(), e)
		assert.False(t, seen[e], "duplicate %s", e)
		seen[e] = true
	}
	assert.True(t, EventMutationCreated.Known())
	assert.False(t, EventType("SOMETHING_NEW").Known())
}

func TestCategoryAndEventTypeJSON(t *testing.T) {
	type holder struct {
		C Category  `json:"c"`
		E EventType `json:"e"`
	}
	tests := []struct {
		name, in string
		want     holder
	}{
		{"known", `{"c":"MUTATION","e":"MUTATION_CREATED"}`, holder{CategoryMutation, EventMutationCreated}},
		{"unknown decodes unchanged", `{"c":"CARD_DISPUTE","e":"CARD_DISPUTE_OPENED"}`, holder{"CARD_DISPUTE", "CARD_DISPUTE_OPENED"}},
		{"escaped", `{"c":"MUT\u0041TION","e":"x\u00e9"}`, holder{CategoryMutation, "xé"}},
		{"null", `{"c":null,"e":null}`, holder{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var v2, v1 holder
			require.NoError(t, json.Unmarshal([]byte(tc.in), &v2))
			require.NoError(t, stdjsonUnmarshal([]byte(tc.in), &v1))
			assert.Equal(t, tc.want, v2)
			assert.Equal(t, tc.want, v1)
		})
	}
	var h holder
	assert.Error(t, json.Unmarshal([]byte(`{"c":1}`), &h))
	assert.Error(t, stdjsonUnmarshal([]byte(`{"e":[]}`), &h))
}
