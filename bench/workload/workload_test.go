package workload

import (
	"net/netip"
	"os"
	"testing"

	"github.com/bankhook/bankhook/bunq"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewAllowlist(t *testing.T) {
	a := NewAllowlist(7, 2000, 512)
	b := NewAllowlist(7, 2000, 512)
	assert.Equal(t, a, b, "the same seed gives the same list")
	assert.NotEqual(t, a.Prefixes, NewAllowlist(8, 2000, 512).Prefixes)

	require.Len(t, a.Prefixes, 2000)
	require.Len(t, a.Queries, 512)
	seen := map[netip.Prefix]bool{}
	v6 := 0
	for _, p := range a.Prefixes {
		assert.Equal(t, p.Masked(), p, "prefix %s is masked", p)
		assert.False(t, seen[p], "prefix %s is listed once", p)
		seen[p] = true
		if p.Addr().Is6() {
			v6++
		}
	}
	assert.InDelta(t, 200, v6, 80, "about one prefix in ten is IPv6")

	for i, q := range a.Queries {
		ap, err := netip.ParseAddrPort(q)
		require.NoError(t, err, q)
		if i%2 == 0 {
			inside := false
			for _, p := range a.Prefixes {
				inside = inside || p.Contains(ap.Addr())
			}
			assert.True(t, inside, "query %d (%s) was drawn inside a prefix", i, q)
		}
	}
	assert.Len(t, a.Strings(), 2000)
	assert.Equal(t, a.Prefixes[0].String(), a.Strings()[0])
}

func TestRemoteAddrs(t *testing.T) {
	addrs := RemoteAddrs(1000)
	seen := map[netip.Addr]bool{}
	for _, s := range addrs {
		ap, err := netip.ParseAddrPort(s)
		require.NoError(t, err)
		assert.True(t, ap.Addr().Is4())
		seen[ap.Addr()] = true
	}
	assert.Len(t, seen, 1000, "every client has its own address")
	assert.Panics(t, func() { RemoteAddrs(64_001) })
}

func TestPaymentEvents(t *testing.T) {
	sample, err := os.ReadFile("../" + SamplePayment)
	require.NoError(t, err)
	e, err := NewPaymentEvents(sample)
	require.NoError(t, err)

	keys := map[string]bool{}
	size := len(e.Body())
	for _, n := range []uint64{0, 1, 9, 10, 123456789, 899_999_999_999} {
		e.Set(n)
		assert.Len(t, e.Body(), size, "the body keeps its size")
		notif, err := bunq.Decode(e.Body())
		require.NoError(t, err)
		p := notif.Object.(*bunq.Payment)
		assert.Equal(t, int64(100_000_000_000+n), p.ID)
		keys[notif.IdempotencyKey()] = true
	}
	assert.Len(t, keys, 6, "every event has its own idempotency key")

	c := e.Clone()
	c.Set(5)
	e.Set(6)
	assert.NotEqual(t, c.Body(), e.Body(), "a clone has its own buffer")
}

func TestPaymentEventsSources(t *testing.T) {
	e, err := LoadPaymentEvents("../" + SamplePayment)
	require.NoError(t, err)
	first := string(e.Body())

	same := e.Sources(false)
	a, b := same(), same()
	assert.Equal(t, first, string(a()))
	assert.Equal(t, first, string(b()), "every connection sends the same event")

	distinct := e.Sources(true)
	c, d := distinct(), distinct()
	ids := map[int64]bool{}
	for _, next := range []func() []byte{c, d, c, d, c} {
		notif, err := bunq.Decode(next())
		require.NoError(t, err)
		ids[notif.Object.(*bunq.Payment).ID] = true
	}
	assert.Len(t, ids, 5, "a new Payment id for every request of every connection")
	assert.Equal(t, first, string(e.Body()), "the sources work on clones")
}

func TestNewPaymentEventsRejects(t *testing.T) {
	tests := []struct {
		name string
		body string
	}{
		{"no payment", `{"NotificationUrl":{"category":"MUTATION","object":{"Invoice":{"id":1}}}}`},
		{"not JSON after patching", `{"NotificationUrl":{"object":{"Payment":{"id":1,}}}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewPaymentEvents([]byte(tc.body))
			assert.Error(t, err)
		})
	}
}

func TestHandlers(t *testing.T) {
	_, err := GuardChain("not an address")
	assert.Error(t, err)
	_, err = FullReceiver(nil, nil, "not an address")
	assert.Error(t, err)
}
