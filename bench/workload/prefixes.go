package workload

import (
	"math/rand/v2"
	"net/netip"
)

// Allowlist is a generated allowlist and the RemoteAddr strings to query it
// with. It is immutable once built and safe for concurrent use.
type Allowlist struct {
	// Prefixes are the allowlist's entries, masked, without duplicates:
	// nine in ten IPv4 (/16 to /30), one in ten IPv6 (/32 to /64).
	Prefixes []netip.Prefix
	// Queries are RemoteAddr strings as net/http sets them: "ip:port" and
	// "[ipv6]:port". Half are addresses inside a randomly chosen prefix,
	// half are random addresses, almost all of which are outside.
	Queries []string
}

// Strings returns the prefixes in CIDR notation, in order.
func (a *Allowlist) Strings() []string {
	s := make([]string, len(a.Prefixes))
	for i, p := range a.Prefixes {
		s[i] = p.String()
	}
	return s
}

// NewAllowlist returns nPrefixes distinct prefixes and nQueries queries
// drawn from a PCG generator seeded with seed.
func NewAllowlist(seed uint64, nPrefixes, nQueries int) *Allowlist {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	a := &Allowlist{Prefixes: make([]netip.Prefix, 0, nPrefixes)}
	seen := make(map[netip.Prefix]bool, nPrefixes)
	for len(a.Prefixes) < nPrefixes {
		var p netip.Prefix
		if rng.IntN(10) == 0 {
			p = netip.PrefixFrom(randomAddr6(rng), 32+rng.IntN(33)).Masked()
		} else {
			p = netip.PrefixFrom(randomAddr4(rng), 16+rng.IntN(15)).Masked()
		}
		if seen[p] {
			continue
		}
		seen[p] = true
		a.Prefixes = append(a.Prefixes, p)
	}
	a.Queries = make([]string, nQueries)
	for i := range a.Queries {
		var addr netip.Addr
		if i%2 == 0 {
			addr = addrIn(rng, a.Prefixes[rng.IntN(len(a.Prefixes))])
		} else if rng.IntN(10) == 0 {
			addr = randomAddr6(rng)
		} else {
			addr = randomAddr4(rng)
		}
		port := uint16(1024 + rng.IntN(65536-1024))
		a.Queries[i] = netip.AddrPortFrom(addr, port).String()
	}
	return a
}

// RemoteAddrs returns n distinct IPv4 RemoteAddr strings (10.0.0.1:40000,
// 10.0.0.2:40001, …), as n different clients would present them. n is at
// most 64,000.
func RemoteAddrs(n int) []string {
	if n > 250*256 {
		panic("workload: RemoteAddrs: n over 64,000")
	}
	s := make([]string, n)
	for i := range s {
		a := netip.AddrFrom4([4]byte{10, 0, byte(i / 250), byte(i%250 + 1)})
		s[i] = netip.AddrPortFrom(a, uint16(40000+i%20000)).String()
	}
	return s
}

func randomAddr4(rng *rand.Rand) netip.Addr {
	var b [4]byte
	u := rng.Uint32()
	b[0], b[1], b[2], b[3] = byte(u>>24), byte(u>>16), byte(u>>8), byte(u)
	if b[0] == 0 || b[0] >= 224 { // keep to unicast space
		b[0] = byte(1 + rng.IntN(223))
	}
	return netip.AddrFrom4(b)
}

func randomAddr6(rng *rand.Rand) netip.Addr {
	var b [16]byte
	hi, lo := rng.Uint64(), rng.Uint64()
	for i := range 8 {
		b[i] = byte(hi >> (56 - 8*i))
		b[8+i] = byte(lo >> (56 - 8*i))
	}
	b[0] = 0x20 | b[0]&0x1f // 2000::/3, global unicast
	return netip.AddrFrom16(b)
}

// addrIn returns a random address inside p.
func addrIn(rng *rand.Rand, p netip.Prefix) netip.Addr {
	var r netip.Addr
	if p.Addr().Is4() {
		r = randomAddr4(rng)
	} else {
		r = randomAddr6(rng)
	}
	base := p.Addr().AsSlice()
	host := r.AsSlice()
	for i := range base {
		bit := i * 8
		switch {
		case bit+8 <= p.Bits():
			host[i] = base[i]
		case bit < p.Bits():
			keep := byte(0xff << (8 - (p.Bits() - bit)))
			host[i] = base[i]&keep | host[i]&^keep
		}
	}
	a, _ := netip.AddrFromSlice(host)
	return a
}
