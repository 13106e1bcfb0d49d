package bankhook

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"

	"github.com/gaissmai/bart"
)

// IPAllowlist is a set of IPv4 and IPv6 prefixes that can be swapped
// atomically while requests are being served: the banks say their sender
// addresses may change.
//
// Lookups cost the same at ten prefixes and at tens of thousands (a
// bart routing table: a handful of array lookups, no allocation), so the
// list can hold a cloud provider's whole address range.
//
// Addresses are normalised before matching: an IPv4-mapped IPv6 address
// (::ffff:185.40.108.1) matches the IPv4 prefix, and an IPv6 zone is
// dropped. An invalid address never matches: the list fails closed.
//
// The zero value is an empty list that allows nothing. A nil *IPAllowlist
// also allows nothing. An IPAllowlist is safe for concurrent use; it must
// not be copied after first use.
type IPAllowlist struct {
	set atomic.Pointer[allowSet]
}

// allowSet is one immutable generation of an IPAllowlist.
type allowSet struct {
	table   bart.Lite
	entries []netip.Prefix
}

// NewIPAllowlist returns a list holding entries: CIDR prefixes
// ("185.40.108.0/22", "2001:db8::/32") and bare addresses ("34.87.150.47",
// "::1"). The error names the first malformed entry. No entries gives an
// empty list that allows nothing.
func NewIPAllowlist(entries ...string) (*IPAllowlist, error) {
	s, err := buildAllowSet(entries)
	if err != nil {
		return nil, err
	}
	a := &IPAllowlist{}
	a.set.Store(s)
	return a, nil
}

// MustIPAllowlist is like [NewIPAllowlist] but panics on a malformed entry.
// It is meant for lists written in code.
func MustIPAllowlist(entries ...string) *IPAllowlist {
	a, err := NewIPAllowlist(entries...)
	if err != nil {
		panic(err)
	}
	return a
}

// Replace swaps the list's contents for entries in one atomic step: every
// lookup sees either the old list or the new one, never a mix. On a
// malformed entry the list is left unchanged and the error names it.
func (a *IPAllowlist) Replace(entries ...string) error {
	s, err := buildAllowSet(entries)
	if err != nil {
		return err
	}
	a.set.Store(s)
	return nil
}

// Contains reports whether addr is in the list. An invalid addr is never
// contained.
func (a *IPAllowlist) Contains(addr netip.Addr) bool {
	return a.containsNormal(addr.Unmap().WithZone(""))
}

// containsNormal is Contains for an address already unmapped and without
// zone, as clientAddr returns them.
func (a *IPAllowlist) containsNormal(addr netip.Addr) bool {
	if a == nil || !addr.IsValid() {
		return false
	}
	s := a.set.Load()
	if s == nil {
		return false
	}
	return s.table.Lookup(addr)
}

// Prefixes returns the list's prefixes in the order they were given, bare
// addresses as /32 or /128.
func (a *IPAllowlist) Prefixes() []netip.Prefix {
	if a == nil {
		return nil
	}
	s := a.set.Load()
	if s == nil {
		return nil
	}
	return append([]netip.Prefix(nil), s.entries...)
}

// Len is the number of entries in the list.
func (a *IPAllowlist) Len() int {
	if a == nil {
		return 0
	}
	if s := a.set.Load(); s != nil {
		return len(s.entries)
	}
	return 0
}

func buildAllowSet(entries []string) (*allowSet, error) {
	prefixes := make([]netip.Prefix, 0, len(entries))
	for _, e := range entries {
		p, err := parseAllowEntry(e)
		if err != nil {
			return nil, err
		}
		prefixes = append(prefixes, p)
	}
	return newAllowSet(prefixes), nil
}

// newAllowSet returns a set holding prefixes, which it keeps.
func newAllowSet(prefixes []netip.Prefix) *allowSet {
	s := &allowSet{entries: prefixes}
	for _, p := range prefixes {
		s.table.Insert(p)
	}
	return s
}

// parseAllowEntry parses one allowlist entry: a CIDR prefix or a bare address.
// IPv4-mapped IPv6 forms are converted to IPv4; host bits are cleared
// ("10.1.2.3/8" is 10.0.0.0/8). Zones are refused: they have no meaning
// in a list of senders.
func parseAllowEntry(entry string) (netip.Prefix, error) {
	p, err := parsePrefix(entry)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("bankhook: allowlist %w", err)
	}
	return p, nil
}

// parsePrefix is parseAllowEntry with errors that start with `entry "…": `,
// for callers that say where the entry comes from.
func parsePrefix(entry string) (netip.Prefix, error) {
	s := strings.TrimSpace(entry)
	if s == "" {
		return netip.Prefix{}, fmt.Errorf("entry %q: empty", entry)
	}
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("entry %q: %w", entry, err)
		}
		addr := p.Addr()
		bits := p.Bits()
		if addr.Is4In6() {
			if bits < 96 {
				return netip.Prefix{}, fmt.Errorf("entry %q: IPv4-mapped prefix shorter than /96", entry)
			}
			addr, bits = addr.Unmap(), bits-96
		}
		return netip.PrefixFrom(addr, bits).Masked(), nil
	}
	addr, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("entry %q: %w", entry, err)
	}
	if addr.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("entry %q: zones are not allowed", entry)
	}
	addr = addr.Unmap()
	return netip.PrefixFrom(addr, addr.BitLen()), nil
}

// ClientIP resolves the sender's address once per request and keeps it for
// [ClientIPFrom], [AllowIPs] and [RateLimit].
//
// The address is the request's RemoteAddr, unless the direct peer is in
// trusted (a load balancer or reverse proxy of yours). Then it is the
// right-most X-Forwarded-For hop that is not itself in trusted: hops to its
// left were written by the client and can be forged. When every hop is
// trusted the left-most is used. A malformed hop before the first untrusted
// one leaves the address unresolved, so AllowIPs refuses the request: a
// broken header never lets a request through. A nil trusted never reads
// the header.
func ClientIP(trusted *IPAllowlist) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s, r := withState(r)
			// ipSet records that ClientIP has judged the request, even
			// when the address is unresolved (zero): the later stages
			// then refuse it instead of falling back to RemoteAddr, which
			// is the proxy's.
			s.ip = resolveClientIP(r, trusted)
			s.ipSet = true
			next.ServeHTTP(w, r)
		})
	}
}

// ClientIPFrom returns the sender's address resolved by [ClientIP].
func ClientIPFrom(ctx context.Context) (netip.Addr, bool) {
	s := stateFrom(ctx)
	if s == nil || !s.ipSet || !s.ip.IsValid() {
		return netip.Addr{}, false
	}
	return s.ip, true
}

// clientAddr returns the address a guard should judge: the one ClientIP
// resolved, or RemoteAddr when ClientIP is not in the chain. It does not
// allocate.
func clientAddr(r *http.Request) netip.Addr {
	if s := stateFrom(r.Context()); s != nil && s.ipSet {
		return s.ip
	}
	return remoteAddr(r.RemoteAddr)
}

// remoteAddr parses a RemoteAddr ("ip:port", "[ip]:port" or a bare ip),
// normalised; the zero Addr when it is none of those.
func remoteAddr(s string) netip.Addr {
	if a, ok := parseIPv4Port(s); ok {
		return a
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone("")
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone("")
	}
	// "[fe80::1%eth0]:80" is handled above; anything else (a unix socket
	// path, "@") is no address.
	if host, _, err := net.SplitHostPort(s); err == nil {
		if a, err := netip.ParseAddr(host); err == nil {
			return a.Unmap().WithZone("")
		}
	}
	return netip.Addr{}
}

// resolveClientIP returns the sender's address, or the zero Addr when it
// cannot be determined.
// parseIPv4Port is remoteAddr's fast path for what net/http sets on most
// requests: a dotted-quad IPv4 address and a decimal port ("a.b.c.d:port").
// It is several times faster than netip.ParseAddrPort, which also checks
// the port's range; remoteAddr ignores the port anyway. For anything else,
// leading zeros included, it reports false and netip decides.
func parseIPv4Port(s string) (netip.Addr, bool) {
	var b [4]byte
	field, v, digits := 0, 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case '0' <= c && c <= '9':
			if digits > 0 && v == 0 { // a leading zero
				return netip.Addr{}, false
			}
			v = v*10 + int(c-'0')
			digits++
			if v > 255 {
				return netip.Addr{}, false
			}
		case c == '.' && digits > 0 && field < 3:
			b[field] = byte(v)
			field, v, digits = field+1, 0, 0
		case c == ':' && digits > 0 && field == 3 && i+1 < len(s):
			for _, p := range []byte(s[i+1:]) {
				if p < '0' || p > '9' {
					return netip.Addr{}, false
				}
			}
			b[3] = byte(v)
			return netip.AddrFrom4(b), true
		default:
			return netip.Addr{}, false
		}
	}
	return netip.Addr{}, false
}

func resolveClientIP(r *http.Request, trusted *IPAllowlist) netip.Addr {
	peer := remoteAddr(r.RemoteAddr)
	if !peer.IsValid() || trusted == nil || !trusted.Contains(peer) {
		return peer
	}
	values := r.Header.Values(HeaderXForwardedFor)
	if len(values) == 0 {
		return peer
	}
	// Walk the hops right to left across all header lines.
	var last netip.Addr
	for i := len(values) - 1; i >= 0; i-- {
		v := values[i]
		for v != "" {
			var hop string
			if j := strings.LastIndexByte(v, ','); j >= 0 {
				hop, v = v[j+1:], v[:j]
			} else {
				hop, v = v, ""
			}
			a, ok := parseHop(hop)
			if !ok {
				return netip.Addr{}
			}
			if !trusted.Contains(a) {
				return a
			}
			last = a
		}
	}
	if last.IsValid() {
		return last
	}
	return peer
}

// parseHop parses one X-Forwarded-For element: an address, optionally with
// a port ("1.2.3.4:5678", "[2001:db8::1]:443").
func parseHop(h string) (netip.Addr, bool) {
	h = strings.TrimSpace(h)
	if h == "" {
		return netip.Addr{}, false
	}
	if a, err := netip.ParseAddr(h); err == nil {
		return a.Unmap().WithZone(""), true
	}
	if ap, err := netip.ParseAddrPort(h); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	return netip.Addr{}, false
}

// AllowIPs answers 403 ip_denied to every request whose sender is not in
// a, before the body is read. The sender is the address [ClientIP]
// resolved, or the request's RemoteAddr when ClientIP is not in the chain.
// An unresolvable sender is denied. A nil or empty list denies everything.
func AllowIPs(a *IPAllowlist) Middleware {
	fallback := newFallbackObserver()
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			addr := clientAddr(r)
			if !a.containsNormal(addr) {
				var err error = ErrNoClientIP
				if addr.IsValid() {
					err = fmt.Errorf("bankhook: %s is not on the allowlist", addr)
				}
				reject(fallback, w, r, http.StatusForbidden, ReasonIPDenied, err)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
