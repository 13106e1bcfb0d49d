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
		ips  func() []string
		want []string
	}{
		{name: "production", ips: bankhub.ProductionIPs, want: []string{"34.87.150.47", "34.124.145.244"}},
		{name: "sandbox", ips: bankhub.SandboxIPs, want: []string{"20.2.69.168"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ips := tt.ips()
			assert.Equal(t, tt.want, ips)
			for _, s := range ips {
				a, err := netip.ParseAddr(s)
				require.NoError(t, err)
				assert.True(t, a.Is4() && a.IsGlobalUnicast() && !a.IsPrivate(), "%s is a public IPv4 address", a)
			}

			// Each call returns a copy: changing one changes no other.
			ips[0] = "0.0.0.0"
			_ = append(ips[:0], "10.0.0.1", "10.0.0.2", "10.0.0.3")
			assert.Equal(t, tt.want, tt.ips())
		})
	}
}
