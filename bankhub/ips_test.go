package bankhub_test

import (
	"net/netip"
	"testing"

	"github.com/bankhook/bankhook/bankhub"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSenderAddresses(t *testing.T) {
	tests := []struct {
		name string
		ips  []string
		want []string
	}{
		{name: "production", ips: bankhub.ProductionIPs, want: []string{"34.87.150.47", "34.124.145.244"}},
		{name: "sandbox", ips: bankhub.SandboxIPs, want: []string{"20.2.69.168"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.ips)
			for _, s := range tt.ips {
				a, err := netip.ParseAddr(s)
				require.NoError(t, err)
				assert.True(t, a.Is4() && a.IsGlobalUnicast() && !a.IsPrivate(), "%s is a public IPv4 address", a)
			}
		})
	}
}
