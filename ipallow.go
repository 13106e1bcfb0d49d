package bankhook

import (
	"context"
	"net/netip"
)

// ClientIPFrom returns the sender's address resolved by ClientIP.
func ClientIPFrom(ctx context.Context) (netip.Addr, bool) {
	s := stateFrom(ctx)
	if s == nil || !s.ipSet {
		return netip.Addr{}, false
	}
	return s.ip, true
}
