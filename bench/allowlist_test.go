package bench

import (
	"net"
	"net/netip"
	"testing"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/bench/workload"
	"github.com/jpillora/ipfilter"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go4.org/netipx"
)

// The allowlist comparison: 10,000 seeded prefixes (nine in ten IPv4), and
// 4,096 RemoteAddr strings, half inside a listed prefix, half random.
const (
	allowSeed     = 20250314
	allowPrefixes = 10_000
	allowQueries  = 4096 // a power of two: the loops index with i&(n-1)
)

// allowVariant is one allowlist implementation behind a common shape:
// allowed takes a RemoteAddr string ("ip:port") and reports whether the
// address is on the list, parsing included.
type allowVariant struct {
	name    string
	allowed func(remoteAddr string) bool
}

// allowVariants builds every variant from the same prefixes. Each
// allowed func measures exactly:
//
//   - bankhook: netip.ParseAddrPort, then (*bankhook.IPAllowlist).Contains,
//     which unmaps and drops the zone and looks the address up in a bart
//     routing table behind an atomic pointer (lock-free; the list can be
//     replaced at run time).
//   - ipfilter: net.SplitHostPort, then (*ipfilter.IPFilter).Allowed, which
//     parses with net.ParseIP, looks the address's String() up in its map
//     of single IPs, scans every subnet under a read lock, and for an
//     address in no subnet asks its country database before falling back
//     to BlockByDefault. Configured with AllowedIPs and BlockByDefault, the
//     way a user of ipfilter writes an allowlist.
//   - netipx: netip.ParseAddrPort, Unmap, then (*netipx.IPSet).Contains, a
//     binary search over the set's sorted, merged ranges (immutable: a
//     swap needs the caller's own atomic pointer).
//   - linear: netip.ParseAddrPort, Unmap, then a scan of []netip.Prefix
//     with Prefix.Contains until the first match: the baseline any list
//     starts as.
func allowVariants(tb testing.TB, list *workload.Allowlist) []allowVariant {
	tb.Helper()
	entries := list.Strings()

	bh, err := bankhook.NewIPAllowlist(entries...)
	require.NoError(tb, err)

	ipf := ipfilter.New(ipfilter.Options{AllowedIPs: entries, BlockByDefault: true})

	var sb netipx.IPSetBuilder
	for _, p := range list.Prefixes {
		sb.AddPrefix(p)
	}
	set, err := sb.IPSet()
	require.NoError(tb, err)

	prefixes := list.Prefixes
	return []allowVariant{
		{"bankhook", func(s string) bool {
			ap, err := netip.ParseAddrPort(s)
			return err == nil && bh.Contains(ap.Addr())
		}},
		{"ipfilter", func(s string) bool {
			host, _, err := net.SplitHostPort(s)
			return err == nil && ipf.Allowed(host)
		}},
		{"netipx", func(s string) bool {
			ap, err := netip.ParseAddrPort(s)
			return err == nil && set.Contains(ap.Addr().Unmap())
		}},
		{"linear", func(s string) bool {
			ap, err := netip.ParseAddrPort(s)
			if err != nil {
				return false
			}
			a := ap.Addr().Unmap()
			for _, p := range prefixes {
				if p.Contains(a) {
					return true
				}
			}
			return false
		}},
	}
}

// BenchmarkAllowlist10k looks one RemoteAddr up per iteration, cycling
// through the same 4,096 queries in every variant. See allowVariants for
// what each variant measures.
func BenchmarkAllowlist10k(b *testing.B) {
	list := workload.NewAllowlist(allowSeed, allowPrefixes, allowQueries)
	for _, v := range allowVariants(b, list) {
		b.Run(v.name, func(b *testing.B) {
			b.ReportAllocs()
			hits, i := 0, 0
			for b.Loop() {
				if v.allowed(list.Queries[i&(allowQueries-1)]) {
					hits++
				}
				i++
			}
			// About half the queries are inside a prefix; a variant that
			// answered nothing (or everything) would be measuring nothing.
			if i >= allowQueries && (hits == 0 || hits == i) {
				b.Fatalf("%d of %d queries allowed", hits, i)
			}
		})
	}
}

// TestAllowlistVariantsAgree checks that the variants compared give the
// same answer for every query, so that the benchmark compares equal work.
func TestAllowlistVariantsAgree(t *testing.T) {
	list := workload.NewAllowlist(allowSeed, allowPrefixes, allowQueries)
	variants := allowVariants(t, list)
	want := variants[len(variants)-1] // linear: the obvious definition
	require.Equal(t, "linear", want.name)

	hits := 0
	for _, q := range list.Queries {
		if want.allowed(q) {
			hits++
		}
	}
	// Every even query was drawn inside a prefix.
	assert.GreaterOrEqual(t, hits, allowQueries/2)
	assert.Less(t, hits, allowQueries)

	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			for _, q := range list.Queries {
				assert.Equal(t, want.allowed(q), v.allowed(q), "query %s", q)
			}
		})
	}
}
