package bunqapi

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSameTarget(t *testing.T) {
	const base = "https://example.com/bunq?token=a"
	tests := []struct {
		other string
		same  bool
	}{
		{base, true},
		{"HTTPS://Example.COM/bunq?token=a", true},
		{"https://example.com:443/bunq?token=a", false},
		{"https://example.com/Bunq?token=a", false},
		{"https://example.com/bunq/?token=a", false},
		{"https://example.com/bunq?token=b", false},
		{"https://example.com/bunq?token=A", false},
		{"https://example.com/bunq", false},
		{"http://example.com/bunq?token=a", false},
		{"https://example.org/bunq?token=a", false},
		{"", false},
		{"example.com/bunq?token=a", false},
	}
	for _, tc := range tests {
		t.Run(tc.other, func(t *testing.T) {
			assert.Equal(t, tc.same, sameTarget(base, tc.other))
			assert.Equal(t, tc.same, sameTarget(tc.other, base))
		})
	}
}
