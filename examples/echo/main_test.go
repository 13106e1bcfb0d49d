package main

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/bankhook/bankhook/examples/internal/examplestest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRoutes(t *testing.T) {
	examplestest.RunHandler(t, routes)
}

// The address Echo logs is the one bankhook checks.
func TestIPExtractor(t *testing.T) {
	extract, err := ipExtractor([]string{"10.0.0.0/8"})
	require.NoError(t, err)
	tests := []struct {
		name, peer, xff, want string
	}{
		{"direct", "185.40.108.17", "", "185.40.108.17"},
		{"through the proxy", "10.1.2.3", "185.40.108.17", "185.40.108.17"},
		{"forged hop left of the real one", "10.1.2.3", "185.40.108.17, 203.0.113.7", "203.0.113.7"},
		{"header from a peer that is not the proxy", "192.168.1.9", "185.40.108.17", "192.168.1.9"},
		{"header from loopback", "127.0.0.1", "185.40.108.17", "127.0.0.1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/webhooks/bunq", nil)
			r.RemoteAddr = tc.peer + ":40000"
			if tc.xff != "" {
				r.Header.Set("X-Forwarded-For", tc.xff)
			}
			assert.Equal(t, tc.want, extract(r))
		})
	}
	_, err = ipExtractor([]string{"lb.internal"})
	assert.ErrorContains(t, err, `"lb.internal"`)
}
