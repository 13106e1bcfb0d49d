package bankhook_test

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
)

func TestIPAllowlistEntries(t *testing.T) {
	tests := []struct {
		name  string
		entry string
		want  string // "" when the entry is refused
	}{
		{"ipv4 cidr", "185.40.108.0/22", "185.40.108.0/22"},
		{"ipv4 bare", "34.87.150.47", "34.87.150.47/32"},
		{"ipv6 cidr", "2001:db8::/32", "2001:db8::/32"},
		{"ipv6 bare", "::1", "::1/128"},
		{"host bits cleared", "10.1.2.3/8", "10.0.0.0/8"},
		{"surrounding spaces", "  20.2.69.168 ", "20.2.69.168/32"},
		{"ipv4-mapped bare", "::ffff:185.40.108.1", "185.40.108.1/32"},
		{"ipv4-mapped cidr", "::ffff:185.40.108.0/118", "185.40.108.0/22"},
		{"ipv4-mapped /96", "::ffff:0.0.0.0/96", "0.0.0.0/0"},
		{"ipv4-mapped shorter than /96", "::ffff:0:0/95", ""},
		{"octet out of range", "10.0.0.300", ""},
		{"ipv4 prefix too long", "1.2.3.4/33", ""},
		{"ipv6 prefix too long", "2001:db8::/129", ""},
		{"empty", "", ""},
		{"blank", "   ", ""},
		{"zone", "fe80::1%eth0", ""},
		{"zone in cidr", "fe80::1%eth0/64", ""},
		{"hostname", "bunq.com", ""},
		{"with port", "185.40.108.1:443", ""},
		{"missing bits", "185.40.108.0/", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			list, err := bankhook.NewIPAllowlist(tc.entry)
			if tc.want == "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), fmt.Sprintf("bankhook: allowlist entry %q", tc.entry))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, []netip.Prefix{netip.MustParsePrefix(tc.want)}, list.Prefixes())
		})
	}
}

func TestNewIPAllowlistError(t *testing.T) {
	tests := []struct {
		name    string
		entries []string
		bad     string
	}{
		{"bad octet", []string{"185.40.108.0/22", "10.0.0.300"}, "10.0.0.300"},
		{"bad bits", []string{"1.2.3.4/33", "34.87.150.47"}, "1.2.3.4/33"},
		{"empty entry", []string{"34.87.150.47", ""}, ""},
		{"zone", []string{"fe80::1%eth0"}, "fe80::1%eth0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := bankhook.NewIPAllowlist(tc.entries...)
			require.Error(t, err)
			assert.Nil(t, a)
			assert.Contains(t, err.Error(), fmt.Sprintf("%q", tc.bad))
			assert.Panics(t, func() { bankhook.MustIPAllowlist(tc.entries...) })
		})
	}
}

func TestIPAllowlistContains(t *testing.T) {
	a := bankhook.MustIPAllowlist(
		"185.40.108.0/22",    // bunq production
		"34.87.150.47",       // bankHub
		"2001:db8:1::/48",    // an IPv6 range
		"2001:db8:2::7",      // a bare IPv6 address
		"fe80::/64",          // link-local
		"::ffff:20.2.69.168", // bankHub sandbox, written IPv4-mapped
	)
	tests := []struct {
		addr string
		want bool
	}{
		{"185.40.108.0", true},
		{"185.40.111.255", true},
		{"185.40.107.255", false},
		{"185.40.112.0", false},
		{"::ffff:185.40.108.1", true}, // IPv4-mapped IPv6 matches the IPv4 prefix
		{"::ffff:185.40.112.1", false},
		{"34.87.150.47", true},
		{"34.87.150.48", false},
		{"20.2.69.168", true},
		{"2001:db8:1:ffff::1", true},
		{"2001:db8:1:ffff::1%eth0", true}, // the zone is dropped before matching
		{"2001:db8:2::7", true},
		{"2001:db8:2::8", false},
		{"fe80::1%eth0", true}, // the zone is dropped before matching
		{"fe80:0:0:1::1%eth0", false},
		{"::", false},
		{"0.0.0.0", false},
	}
	for _, tc := range tests {
		t.Run(tc.addr, func(t *testing.T) {
			assert.Equal(t, tc.want, a.Contains(netip.MustParseAddr(tc.addr)))
		})
	}
	t.Run("invalid addr", func(t *testing.T) {
		assert.False(t, a.Contains(netip.Addr{}))
	})
	t.Run("prefixes in order", func(t *testing.T) {
		assert.Equal(t, []netip.Prefix{
			netip.MustParsePrefix("185.40.108.0/22"),
			netip.MustParsePrefix("34.87.150.47/32"),
			netip.MustParsePrefix("2001:db8:1::/48"),
			netip.MustParsePrefix("2001:db8:2::7/128"),
			netip.MustParsePrefix("fe80::/64"),
			netip.MustParsePrefix("20.2.69.168/32"),
		}, a.Prefixes())
		assert.Equal(t, 6, a.Len())
	})
	t.Run("prefixes is a copy", func(t *testing.T) {
		p := a.Prefixes()
		p[0] = netip.MustParsePrefix("0.0.0.0/0")
		assert.Equal(t, netip.MustParsePrefix("185.40.108.0/22"), a.Prefixes()[0])
	})
}

func TestIPAllowlistEmpty(t *testing.T) {
	probe := []netip.Addr{
		netip.MustParseAddr("185.40.108.1"), netip.MustParseAddr("::1"),
		netip.MustParseAddr("0.0.0.0"), netip.MustParseAddr("::"),
	}
	empty, err := bankhook.NewIPAllowlist()
	require.NoError(t, err)
	tests := []struct {
		name string
		a    *bankhook.IPAllowlist
	}{
		{"nil", nil},
		{"zero value", &bankhook.IPAllowlist{}},
		{"no entries", empty},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, addr := range probe {
				assert.False(t, tc.a.Contains(addr), addr)
			}
			assert.Zero(t, tc.a.Len())
			assert.Empty(t, tc.a.Prefixes())
		})
	}
	t.Run("zero value accepts Replace", func(t *testing.T) {
		var a bankhook.IPAllowlist
		require.NoError(t, a.Replace("185.40.108.0/22"))
		assert.True(t, a.Contains(netip.MustParseAddr("185.40.108.1")))
	})
}

func TestIPAllowlistReplace(t *testing.T) {
	a := bankhook.MustIPAllowlist("185.40.108.0/22")
	in := netip.MustParseAddr("185.40.108.1")
	other := netip.MustParseAddr("34.87.150.47")

	err := a.Replace("34.87.150.47", "10.0.0.300")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"10.0.0.300"`)
	assert.True(t, a.Contains(in), "a failed Replace keeps the old list")
	assert.False(t, a.Contains(other))
	assert.Equal(t, 1, a.Len())

	require.NoError(t, a.Replace("34.87.150.47"))
	assert.False(t, a.Contains(in))
	assert.True(t, a.Contains(other))

	require.NoError(t, a.Replace())
	assert.False(t, a.Contains(other), "an empty Replace denies everything")
}

// TestIPAllowlistReplaceConcurrent swaps between two lists while readers
// query: addresses in both lists must always match, addresses in neither
// never, and every snapshot of Prefixes must be one of the two lists
// exactly, never a mix. Run with -race.
func TestIPAllowlistReplaceConcurrent(t *testing.T) {
	listA := []string{"185.40.108.0/22", "34.87.150.47", "2001:db8::/32"}
	listB := []string{"185.40.108.0/24", "34.124.145.244", "2001:db8::/48", "20.2.69.168"}
	prefixes := func(entries []string) []netip.Prefix {
		list, err := bankhook.NewIPAllowlist(entries...)
		require.NoError(t, err)
		return list.Prefixes()
	}
	wantA, wantB := prefixes(listA), prefixes(listB)
	inBoth := []netip.Addr{netip.MustParseAddr("185.40.108.9"), netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("::ffff:185.40.108.200")}
	inNeither := []netip.Addr{netip.MustParseAddr("203.0.113.1"), netip.MustParseAddr("2001:db9::1"), netip.MustParseAddr("185.40.112.1")}

	a := bankhook.MustIPAllowlist(listA...)
	done := make(chan struct{})
	var wg sync.WaitGroup
	const readers = 8
	for range readers {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				for _, addr := range inBoth {
					if !a.Contains(addr) {
						t.Errorf("%s, in both lists, not contained", addr)
						return
					}
				}
				for _, addr := range inNeither {
					if a.Contains(addr) {
						t.Errorf("%s, in neither list, contained", addr)
						return
					}
				}
				if p := a.Prefixes(); !slices.Equal(p, wantA) && !slices.Equal(p, wantB) {
					t.Errorf("torn Prefixes snapshot %v", p)
					return
				}
			}
		})
	}
	for i := range 2000 {
		entries := listA
		if i%2 == 0 {
			entries = listB
		}
		if err := a.Replace(entries...); err != nil {
			t.Error(err)
		}
		if i%100 == 0 { // failed swaps in between must change nothing
			assert.Error(t, a.Replace("185.40.108.0/22", "1.2.3.4/33"))
		}
	}
	close(done)
	wg.Wait()
	assert.Equal(t, wantA, a.Prefixes(), "the last Replace wins")
}

// clientIPOf runs r through ClientIP(trusted) and returns what
// ClientIPFrom reports inside the chain.
func clientIPOf(t *testing.T, trusted *bankhook.IPAllowlist, r *http.Request) (netip.Addr, bool) {
	t.Helper()
	var (
		addr   netip.Addr
		ok     bool
		called bool
	)
	h := bankhook.ClientIP(trusted)(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		called = true
		addr, ok = bankhook.ClientIPFrom(r.Context())
	}))
	serveGuard(h, r)
	require.True(t, called, "ClientIP never rejects on its own")
	return addr, ok
}

func TestClientIP(t *testing.T) {
	proxies := bankhook.MustIPAllowlist("10.0.0.0/8", "fd00::/8")
	tests := []struct {
		name    string
		trusted *bankhook.IPAllowlist
		remote  string
		xff     []string // X-Forwarded-For header lines
		want    string   // "" when unresolved
	}{
		// RemoteAddr forms.
		{name: "ipv4:port", remote: "185.40.108.7:4242", want: "185.40.108.7"},
		{name: "[ipv6]:port", remote: "[2001:db8::7]:443", want: "2001:db8::7"},
		{name: "zone stripped", remote: "[fe80::1%eth0]:80", want: "fe80::1"},
		{name: "ipv4-mapped unmapped", remote: "[::ffff:185.40.108.7]:443", want: "185.40.108.7"},
		{name: "bare address", remote: "185.40.108.7", want: "185.40.108.7"},
		{name: "garbage", remote: "not-an-address", want: ""},
		{name: "empty", remote: "", want: ""},
		{name: "unix socket", remote: "@", want: ""},
		{name: "out of range", remote: "185.40.108.300:80", want: ""},

		// X-Forwarded-For is read only from a trusted peer.
		{name: "no trusted list ignores xff", remote: "10.0.0.1:1", xff: []string{"185.40.108.7"}, want: "10.0.0.1"},
		{name: "untrusted peer with forged xff", trusted: proxies, remote: "203.0.113.9:1", xff: []string{"185.40.108.7"}, want: "203.0.113.9"},
		{name: "trusted peer without xff", trusted: proxies, remote: "10.0.0.1:1", want: "10.0.0.1"},
		{name: "trusted peer one hop", trusted: proxies, remote: "10.0.0.1:1", xff: []string{"185.40.108.7"}, want: "185.40.108.7"},
		{name: "trusted ipv6 peer", trusted: proxies, remote: "[fd00::1]:443", xff: []string{"2001:db8::7"}, want: "2001:db8::7"},
		{name: "right-most untrusted of many", trusted: proxies, remote: "10.0.0.1:1",
			xff: []string{"6.6.6.6, 185.40.108.7, 10.0.0.2, 10.0.0.3"}, want: "185.40.108.7"},
		{name: "client-forged left hop ignored", trusted: proxies, remote: "10.0.0.1:1",
			xff: []string{"185.40.108.7, 203.0.113.9"}, want: "203.0.113.9"},
		{name: "several header lines", trusted: proxies, remote: "10.0.0.1:1",
			xff: []string{"6.6.6.6, 185.40.108.7", "10.0.0.2", "10.0.0.3"}, want: "185.40.108.7"},
		{name: "later line wins", trusted: proxies, remote: "10.0.0.1:1",
			xff: []string{"185.40.108.7", "203.0.113.9, 10.0.0.2"}, want: "203.0.113.9"},
		{name: "spaces", trusted: proxies, remote: "10.0.0.1:1", xff: []string{"  185.40.108.7  ,10.0.0.2 "}, want: "185.40.108.7"},
		{name: "ports in hops", trusted: proxies, remote: "10.0.0.1:1", xff: []string{"185.40.108.7:5555, 10.0.0.2:80"}, want: "185.40.108.7"},
		{name: "bracketed ipv6 hop with port", trusted: proxies, remote: "10.0.0.1:1", xff: []string{"[2001:db8::7]:443"}, want: "2001:db8::7"},
		{name: "ipv4-mapped hop", trusted: proxies, remote: "10.0.0.1:1", xff: []string{"::ffff:185.40.108.7"}, want: "185.40.108.7"},
		{name: "ipv4-mapped trusted hop skipped", trusted: proxies, remote: "10.0.0.1:1", xff: []string{"185.40.108.7, ::ffff:10.0.0.2"}, want: "185.40.108.7"},
		{name: "all hops trusted", trusted: proxies, remote: "10.0.0.1:1", xff: []string{"10.0.0.5, 10.0.0.4", "10.0.0.3"}, want: "10.0.0.5"},
		{name: "empty header line", trusted: proxies, remote: "10.0.0.1:1", xff: []string{""}, want: "10.0.0.1"},
		{name: "malformed hop left of the client is not read", trusted: proxies, remote: "10.0.0.1:1",
			xff: []string{"garbage, 185.40.108.7"}, want: "185.40.108.7"},

		// A malformed hop that must be read leaves the address unresolved.
		{name: "malformed right-most hop", trusted: proxies, remote: "10.0.0.1:1", xff: []string{"185.40.108.7, garbage"}},
		{name: "malformed after trusted hop", trusted: proxies, remote: "10.0.0.1:1", xff: []string{"185.40.108.7, nope, 10.0.0.2"}},
		{name: "empty hop", trusted: proxies, remote: "10.0.0.1:1", xff: []string{"185.40.108.7, , 10.0.0.2"}},
		{name: "trailing comma", trusted: proxies, remote: "10.0.0.1:1", xff: []string{"185.40.108.7,"}},
		{name: "lone comma", trusted: proxies, remote: "10.0.0.1:1", xff: []string{","}},
		{name: "malformed line after a good one", trusted: proxies, remote: "10.0.0.1:1", xff: []string{"185.40.108.7", "unknown"}},
		{name: "out-of-range hop", trusted: proxies, remote: "10.0.0.1:1", xff: []string{"185.40.108.256"}},
		{name: "garbage peer ignores xff", trusted: proxies, remote: "nope", xff: []string{"185.40.108.7"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", nil)
			r.RemoteAddr = tc.remote
			for _, v := range tc.xff {
				r.Header.Add(bankhook.HeaderXForwardedFor, v)
			}
			addr, ok := clientIPOf(t, tc.trusted, r)
			if tc.want == "" {
				assert.False(t, ok, "resolved to %s", addr)
				assert.False(t, addr.IsValid())
				return
			}
			require.True(t, ok)
			assert.Equal(t, netip.MustParseAddr(tc.want), addr)
		})
	}
}

// netipRemoteAddr is the model of how a RemoteAddr is read, written with
// netip and net.SplitHostPort only: what netip.ParseAddrPort accepts (its
// zones may hold any text: "[::%]:8eth0]:8" is :: on port 8), "ip:port"
// (any port text without a colon), "[ipv6%zone]:port" or a bare address,
// unmapped and without zone.
func netipRemoteAddr(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		host, _, serr := net.SplitHostPort(s)
		if serr != nil {
			return netip.Addr{}, false
		}
		if a, err = netip.ParseAddr(host); err != nil {
			return netip.Addr{}, false
		}
	}
	return a.Unmap().WithZone(""), true
}

// FuzzClientIPRemoteAddr checks that ClientIP reads any RemoteAddr exactly
// as the netip model does.
func FuzzClientIPRemoteAddr(f *testing.F) {
	for _, s := range []string{
		"185.40.108.7:4242", "185.40.108.7", "185.40.108.7:", "185.40.108.7:99999", "185.40.108.7:http",
		"01.2.3.4:80", "1.2.3.04:80", "256.1.1.1:80", "1.2.3:80", "1.2.3.4.5:80", "1.2.3.4:80:90", "1.2.3.4:8]0",
		"[2001:db8::7]:443", "[fe80::1%eth0]:80", "[::ffff:185.40.108.7]:443", "::1", "[::1]", "@", "",
		"0.0.0.0:0", "255.255.255.255:65535", "１.2.3.4:80",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, remote string) {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.RemoteAddr = remote
		var (
			got netip.Addr
			ok  bool
		)
		bankhook.ClientIP(nil)(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			got, ok = bankhook.ClientIPFrom(r.Context())
		})).ServeHTTP(httptest.NewRecorder(), r)
		want, wantOK := netipRemoteAddr(remote)
		if got != want || ok != wantOK {
			t.Fatalf("RemoteAddr %q: got %v, %t; want %v, %t", remote, got, ok, want, wantOK)
		}
	})
}

func TestClientIPFromWithoutClientIP(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	_, ok := bankhook.ClientIPFrom(r.Context())
	assert.False(t, ok)
}

func TestAllowIPs(t *testing.T) {
	banks := bankhook.MustIPAllowlist("185.40.108.0/22", "34.87.150.47", "2001:db8::/32")
	proxies := bankhook.MustIPAllowlist("10.0.0.0/8")
	tests := []struct {
		name    string
		list    *bankhook.IPAllowlist
		trusted *bankhook.IPAllowlist // non-nil puts ClientIP(trusted) in front
		remote  string
		xff     string
		allowed bool
		noAddr  bool // the rejection reports ErrNoClientIP
	}{
		{name: "in the /22", list: banks, remote: "185.40.108.1:443", allowed: true},
		{name: "bare address entry", list: banks, remote: "34.87.150.47:443", allowed: true},
		{name: "ipv6", list: banks, remote: "[2001:db8::1]:443", allowed: true},
		{name: "ipv4-mapped remote", list: banks, remote: "[::ffff:185.40.108.1]:443", allowed: true},
		{name: "outside", list: banks, remote: "203.0.113.1:443"},
		{name: "just outside the /22", list: banks, remote: "185.40.112.0:443"},
		{name: "garbage remote", list: banks, remote: "garbage", noAddr: true},
		{name: "nil list", list: nil, remote: "185.40.108.1:443"},
		{name: "zero list", list: &bankhook.IPAllowlist{}, remote: "185.40.108.1:443"},
		{name: "via trusted proxy", list: banks, trusted: proxies, remote: "10.0.0.1:1", xff: "185.40.108.1", allowed: true},
		{name: "proxy's own address is not the sender", list: banks, trusted: proxies, remote: "10.0.0.1:1", xff: "203.0.113.1"},
		{name: "forged xff from untrusted peer", list: banks, trusted: proxies, remote: "203.0.113.1:1", xff: "185.40.108.1"},
		{name: "forged hop left of the client", list: banks, trusted: proxies, remote: "10.0.0.1:1", xff: "185.40.108.1, 203.0.113.1"},
		{name: "malformed xff", list: banks, trusted: proxies, remote: "10.0.0.1:1", xff: "185.40.108.1, bogus", noAddr: true},
		// The proxy itself is allowed, yet a malformed header from it must
		// not fall back to its RemoteAddr.
		{name: "malformed xff from an allowed proxy", list: bankhook.MustIPAllowlist("10.0.0.0/8", "185.40.108.0/22"),
			trusted: proxies, remote: "10.0.0.1:1", xff: "bogus", noAddr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var obs observed
			final := &reached{}
			m := []bankhook.Middleware{obs.observer()}
			if tc.trusted != nil {
				m = append(m, bankhook.ClientIP(tc.trusted))
			}
			m = append(m, bankhook.AllowIPs(tc.list))
			r := httptest.NewRequest(http.MethodPost, "/", nil)
			r.Body = unreadBody{t}
			r.RemoteAddr = tc.remote
			if tc.xff != "" {
				r.Header.Set(bankhook.HeaderXForwardedFor, tc.xff)
			}

			rec := serveGuard(bankhook.Chain(final, m...), r)

			if tc.allowed {
				assert.Equal(t, http.StatusNoContent, rec.Code)
				assert.Equal(t, 1, final.calls)
				assert.Empty(t, obs.rejected)
				return
			}
			problemOf(t, rec, http.StatusForbidden, bankhook.ReasonIPDenied)
			assert.Zero(t, final.calls)
			require.Len(t, obs.rejected, 1)
			assert.Equal(t, bankhook.ReasonIPDenied, obs.rejected[0].Reason)
			if tc.noAddr {
				assert.ErrorIs(t, obs.rejected[0].Err, bankhook.ErrNoClientIP)
			} else {
				assert.NotErrorIs(t, obs.rejected[0].Err, bankhook.ErrNoClientIP)
			}
		})
	}
}

// discardWriter is a ResponseWriter that keeps nothing but its header map,
// so a benchmark measures the guard and not a recorder's buffer.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(int)             {}

// allowlist10k builds a deterministic list of 10,000 prefixes, 90% IPv4
// (/12 to /32) and 10% IPv6 (/32 to /64), and 1,024 "ip:port" remote
// addresses: the first half inside the list, the second half outside.
func allowlist10k(tb testing.TB) (*bankhook.IPAllowlist, []string) {
	tb.Helper()
	rng := rand.New(rand.NewPCG(10_000, 1_024))
	entries := make([]string, 0, 10_000)
	var v4 []netip.Prefix
	for len(entries) < cap(entries) {
		if rng.IntN(10) == 0 {
			var b [16]byte
			b[0], b[1] = 0x20, 0x01
			for i := 2; i < 8; i++ {
				b[i] = byte(rng.Uint32())
			}
			p := netip.PrefixFrom(netip.AddrFrom16(b), 32+rng.IntN(33)).Masked()
			entries = append(entries, p.String())
			continue
		}
		a := netip.AddrFrom4([4]byte{byte(1 + rng.IntN(222)), byte(rng.Uint32()), byte(rng.Uint32()), byte(rng.Uint32())})
		p := netip.PrefixFrom(a, 12+rng.IntN(21)).Masked()
		v4 = append(v4, p)
		entries = append(entries, p.String())
	}
	list, err := bankhook.NewIPAllowlist(entries...)
	require.NoError(tb, err)

	remotes := make([]string, 0, 1_024)
	for len(remotes) < 512 { // inside: a random host of a random IPv4 prefix
		p := v4[rng.IntN(len(v4))]
		b := p.Addr().As4()
		host := rng.Uint32() & (1<<(32-p.Bits()) - 1)
		for i := range 4 {
			b[3-i] |= byte(host >> (8 * i))
		}
		addr := netip.AddrFrom4(b)
		require.True(tb, list.Contains(addr))
		remotes = append(remotes, netip.AddrPortFrom(addr, uint16(1024+rng.IntN(60000))).String())
	}
	for len(remotes) < cap(remotes) { // outside: random addresses the list misses
		addr := netip.AddrFrom4([4]byte{byte(1 + rng.IntN(222)), byte(rng.Uint32()), byte(rng.Uint32()), byte(rng.Uint32())})
		if list.Contains(addr) {
			continue
		}
		remotes = append(remotes, netip.AddrPortFrom(addr, uint16(1024+rng.IntN(60000))).String())
	}
	return list, remotes
}

// BenchmarkAllowlist10k measures AllowIPs over a 10,000-prefix list.
//
// The request is built once and passed through Observe(ObserverFuncs{})
// once, outside the timed loop, to obtain the request as the guard sees it
// in a real chain (Observe outermost, its per-request state in the
// context, reporting to a no-op Observer instead of logging through
// slog). Observe's own cost, one context value per request, is Observe's
// and not the guard's. Each iteration sets RemoteAddr from the
// precomputed slice, so the guard does all its per-request work: find the
// state, parse RemoteAddr (no ClientIP in front), look the address up and
// either call the no-op next handler or write a problem+json rejection.
func BenchmarkAllowlist10k(b *testing.B) {
	list, remotes := allowlist10k(b)
	inside, mixed := remotes[:512], remotes

	var r *http.Request
	bankhook.Observe(bankhook.ObserverFuncs{})(http.HandlerFunc(func(_ http.ResponseWriter, req *http.Request) {
		r = req
	})).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/bunq", nil))
	h := bankhook.AllowIPs(list)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	w := &discardWriter{h: http.Header{}}

	run := func(b *testing.B, addrs []string) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			r.RemoteAddr = addrs[i%len(addrs)]
			h.ServeHTTP(w, r)
			i++
		}
	}
	b.Run("allowed", func(b *testing.B) { run(b, inside) })
	// Half the requests are rejected; a rejection formats its error and
	// writes a problem body, which allocates.
	b.Run("mixed", func(b *testing.B) { run(b, mixed) })
	b.Run("contains", func(b *testing.B) {
		addrs := make([]netip.Addr, len(mixed))
		for i, s := range mixed {
			addrs[i] = netip.MustParseAddrPort(s).Addr()
		}
		b.ReportAllocs()
		i, hits := 0, 0
		for b.Loop() {
			if list.Contains(addrs[i%len(addrs)]) {
				hits++
			}
			i++
		}
		if hits == 0 {
			b.Fatal("no address matched")
		}
	})
}
