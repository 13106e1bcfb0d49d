package logsample_test

import (
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook/internal/logsample"
)

func newTestSampler(t *testing.T, clock *stepClock, o logsample.Options) *logsample.Sampler {
	t.Helper()
	o.Now = clock.Now
	s, err := logsample.New(o)
	require.NoError(t, err)
	return s
}

func TestNetwork(t *testing.T) {
	for _, tc := range []struct{ addr, want string }{
		{"203.0.113.77", "203.0.113.0/24"},
		{"::ffff:203.0.113.77", "203.0.113.0/24"},
		{"2001:db8:1:2:3::4", "2001:db8:1::/48"},
		{"fe80::1%eth0", "fe80::/48"},
	} {
		t.Run(tc.addr, func(t *testing.T) {
			assert.Equal(t, netip.MustParsePrefix(tc.want), logsample.Network(netip.MustParseAddr(tc.addr)))
		})
	}
	assert.False(t, logsample.Network(netip.Addr{}).IsValid(), "no address, no network")
}

func TestSamplerPerNetwork(t *testing.T) {
	clock := newStepClock()
	s := newTestSampler(t, clock, logsample.Options{})
	a := netip.MustParseAddr("203.0.113.1")
	sameNet := netip.MustParseAddr("203.0.113.200")

	d := s.Sample("ip_denied", a)
	assert.Equal(t, logsample.Decision{Write: true, Network: netip.MustParsePrefix("203.0.113.0/24")}, d, "the first of a kind is written")
	for range 99 {
		assert.False(t, s.Sample("ip_denied", a).Write)
	}
	assert.False(t, s.Sample("ip_denied", sameNet).Write, "the same /24 is one group")
	// Another reason is another kind: its first line is written at once.
	assert.True(t, s.Sample("bad_token", a).Write)

	clock.Advance(999 * time.Millisecond)
	assert.False(t, s.Sample("ip_denied", a).Write, "not before a second has passed")
	clock.Advance(time.Millisecond)
	d = s.Sample("ip_denied", a)
	assert.True(t, d.Write)
	assert.Equal(t, uint64(101), d.Suppressed, "carries every line held back since the last one")
	assert.Equal(t, "203.0.113.0/24", d.NetworkString())

	clock.Advance(time.Second)
	d = s.Sample("ip_denied", a)
	assert.True(t, d.Write)
	assert.Zero(t, d.Suppressed, "the count starts again after each line")

	// Another network of the same kind is a group of its own, due at once.
	d = s.Sample("ip_denied", netip.MustParseAddr("198.51.100.9"))
	assert.True(t, d.Write)
	assert.Zero(t, d.Suppressed)
}

func TestSamplerIPv6Networks(t *testing.T) {
	clock := newStepClock()
	s := newTestSampler(t, clock, logsample.Options{})
	require.True(t, s.Sample("ip_denied", netip.MustParseAddr("2001:db8:1::1")).Write)
	// Every address of the /48, however many, is one group.
	for i := range 1000 {
		addr := netip.MustParseAddr(fmt.Sprintf("2001:db8:1:%x::%x", i, i+1))
		assert.False(t, s.Sample("ip_denied", addr).Write, addr)
	}
	clock.Advance(time.Second)
	d := s.Sample("ip_denied", netip.MustParseAddr("2001:db8:1:ffff::1"))
	assert.True(t, d.Write)
	assert.Equal(t, uint64(1000), d.Suppressed)
	assert.Equal(t, "2001:db8:1::/48", d.NetworkString())
}

func TestSamplerRateInAll(t *testing.T) {
	clock := newStepClock()
	s := newTestSampler(t, clock, logsample.Options{Rate: 5})
	require.True(t, s.Sample("ip_denied", netip.MustParseAddr("10.0.0.1")).Write, "first of its kind")
	// A sender spread over 100 networks: each network is due, but only 5
	// lines a second are written in all.
	written := 0
	for second := range 3 {
		for i := range 100 {
			addr := netip.AddrFrom4([4]byte{10, 1, byte(i), 1})
			if s.Sample("ip_denied", addr).Write {
				written++
			}
		}
		assert.LessOrEqual(t, written, 5*(second+1), "second %d", second)
		clock.Advance(time.Second)
	}
	assert.Equal(t, 15, written)
}

func TestSamplerBoundedTable(t *testing.T) {
	clock := newStepClock()
	s := newTestSampler(t, clock, logsample.Options{MaxNetworks: 2, Rate: 1000})
	a, b, c := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("198.51.100.1"), netip.MustParseAddr("203.0.113.1")

	require.True(t, s.Sample("rate_limited", a).Write)
	require.True(t, s.Sample("rate_limited", b).Write)
	// The table is full and both groups are busy: c is counted as "other".
	d := s.Sample("rate_limited", c)
	assert.True(t, d.Other)
	assert.True(t, d.Write, "other is a group of its own, due at once")
	assert.Equal(t, "other", d.NetworkString())
	for range 5 {
		assert.False(t, s.Sample("rate_limited", c).Write)
		assert.False(t, s.Sample("rate_limited", a).Write)
	}

	// a and c stay busy, b goes idle: a newcomer takes b's place, and b's
	// held-back lines are carried by the next "other" line.
	clock.Advance(600 * time.Millisecond)
	assert.False(t, s.Sample("rate_limited", a).Write)
	assert.False(t, s.Sample("rate_limited", b).Write, "b holds one line back")
	clock.Advance(1500 * time.Millisecond)
	assert.True(t, s.Sample("rate_limited", a).Write)
	d = s.Sample("rate_limited", netip.MustParseAddr("100.64.0.1"))
	assert.False(t, d.Other, "b's idle place was taken")
	assert.True(t, d.Write)
	d = s.Sample("rate_limited", c)
	assert.True(t, d.Other, "the table is full with a and the newcomer, both busy")
	require.True(t, d.Write)
	assert.Equal(t, uint64(5+1), d.Suppressed, "other's five, and the line b held back")
}

func TestSamplerOptions(t *testing.T) {
	for _, o := range []logsample.Options{{Interval: -1}, {Rate: -1}, {MaxNetworks: -1}} {
		_, err := logsample.New(o)
		assert.Error(t, err, "%+v", o)
	}
}

func TestSamplerConcurrent(t *testing.T) {
	s := newTestSampler(t, newStepClock(), logsample.Options{MaxNetworks: 16}) // time stands still
	var wg sync.WaitGroup
	var mu sync.Mutex // guards written
	written := 0
	for g := range 8 {
		wg.Go(func() {
			n := 0
			for i := range 2000 {
				if s.Sample("ip_denied", netip.AddrFrom4([4]byte{10, byte(g), byte(i % 64), 1})).Write {
					n++
				}
			}
			mu.Lock()
			written += n
			mu.Unlock()
		})
	}
	wg.Wait()
	// 16,000 rejections from 512 networks within one instant: the first
	// line, then the burst of 10.
	assert.Equal(t, 11, written)
}

// stepClock is a clock the test moves by hand.
type stepClock struct{ t time.Time }

func newStepClock() *stepClock { return &stepClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)} }

// Now returns the clock's time.
func (c *stepClock) Now() time.Time { return c.t }

// Advance moves the clock forward by d.
func (c *stepClock) Advance(d time.Duration) { c.t = c.t.Add(d) }
