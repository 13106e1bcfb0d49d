// Package logsample decides which log lines about rejected requests are
// written, so that a flood of rejections cannot fill a disk while what was
// held back is still counted in the lines that are written. The library's
// slog observer and the command's access log share it.
package logsample

import (
	"errors"
	"net/netip"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
	"golang.org/x/time/rate"
)

// maxLogKinds bounds the kinds whose first line is always written. Kinds
// come from code (a bankhook.Reason), so the bound is never reached in practice; it
// keeps memory bounded if a caller passes something a sender controls.
const maxLogKinds = 256

// The defaults of Options.
const (
	defaultInterval = time.Second
	defaultRate     = 10
	defaultNetworks = 1024
)

// Options configures [New]. The zero value is ready
// to use.
type Options struct {
	// Interval is the least time between two lines of one kind from one
	// sender network. Default 1 s.
	Interval time.Duration
	// Rate is the number of lines a second written in all, across kinds and
	// networks, after the first line of each kind: a sender spread over
	// many networks writes no more than one sender. Default 10.
	Rate float64
	// MaxNetworks is the number of (kind, network) pairs remembered.
	// When every one was seen within the last Interval, further networks
	// are counted together, per kind, as one network "other". Default
	// 1,024 (about 270 KB).
	MaxNetworks int
	// Now is the sampler's clock. Default time.Now.
	Now func() time.Time
}

// Sampler decides which log lines about rejected requests are written,
// so that a flood of rejections (a sender off the allowlist, a client
// hammering a wrong token) cannot fill a disk, while what was held back is
// still counted in the lines that are written.
//
// Lines are grouped by kind (the rejection's bankhook.Reason) and by the
// sender's network: the /24 of an IPv4 address, the /48 of an IPv6 one (an
// attacker holds whole networks, not single addresses). The first line of
// each kind is always written. After that, a line is written when its
// group had none for Interval and the sampler wrote fewer than Rate lines
// in the last second; every other line is held back and counted, and the
// next line written for the group carries that count.
//
// Memory is bounded: at most MaxNetworks groups are remembered. A group
// idle for Interval gives its place to a new one (its count, if any, moves
// to its kind's "other" group and is carried by that group's next line);
// while all are busy, new networks are counted in their kind's "other"
// group.
//
// Lines that must never be held back — acknowledged events, the
// receiver's own failures (5xx) — should not be given to the sampler.
//
// A Sampler is safe for concurrent use. The zero value is not usable;
// use [New].
type Sampler struct {
	interval time.Duration
	now      func() time.Time

	mu       sync.Mutex // guards kinds, groups, other and limit
	kinds    map[string]struct{}
	groups   *simplelru.LRU[logGroupKey, *logGroup]
	other    map[string]*logGroup // per kind: networks past MaxNetworks
	limit    *rate.Limiter
	capacity int
}

type logGroupKey struct {
	kind    string
	network netip.Prefix
}

// logGroup is what a sampler remembers of one kind and network.
type logGroup struct {
	lastSeen    time.Time
	lastWritten time.Time
	held        uint64 // lines held back since the last one written
}

// Decision is a [Sampler]'s answer for one line. The zero value
// means "do not write".
type Decision struct {
	// Write is true when the line should be written.
	Write bool
	// Suppressed is, for a line to write, the number of lines of its kind
	// and network held back since the previous line written for them.
	Suppressed uint64
	// Network is the network the line was counted under: the sender's /24
	// or /48, the address itself when it is not a valid IP address (the
	// zero Prefix), or the zero Prefix with Other set.
	Network netip.Prefix
	// Other is true when the line was counted in its kind's "other"
	// group: the sampler's table of networks was full.
	Other bool
}

// NetworkString returns the network the line was counted under as
// written in logs: "203.0.113.0/24", "2001:db8:1::/48", "other", or
// "invalid" for a sender without a valid address.
func (d Decision) NetworkString() string {
	switch {
	case d.Other:
		return "other"
	case !d.Network.IsValid():
		return "invalid"
	}
	return d.Network.String()
}

// New returns a sampler configured by o. Negative settings are
// refused.
func New(o Options) (*Sampler, error) {
	if o.Interval < 0 || o.Rate < 0 || o.MaxNetworks < 0 {
		return nil, errors.New("logsample: negative setting")
	}
	if o.Interval == 0 {
		o.Interval = defaultInterval
	}
	if o.Rate == 0 {
		o.Rate = defaultRate
	}
	if o.MaxNetworks == 0 {
		o.MaxNetworks = defaultNetworks
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	groups, err := simplelru.NewLRU[logGroupKey, *logGroup](o.MaxNetworks, nil)
	if err != nil { // only for a non-positive size, excluded above
		return nil, err
	}
	burst := max(1, int(o.Rate))
	return &Sampler{
		interval: o.Interval,
		now:      o.Now,
		kinds:    make(map[string]struct{}),
		groups:   groups,
		other:    make(map[string]*logGroup),
		limit:    rate.NewLimiter(rate.Limit(o.Rate), burst),
		capacity: o.MaxNetworks,
	}, nil
}

// Must is New for options known to be valid.
func Must(o Options) *Sampler {
	s, err := New(o)
	if err != nil {
		panic(err)
	}
	return s
}

// Network returns the network a sender's address is grouped under:
// its /24 for IPv4 (IPv4-mapped IPv6 included), its /48 for IPv6, the
// zero Prefix for an invalid address.
func Network(addr netip.Addr) netip.Prefix {
	if !addr.IsValid() {
		return netip.Prefix{}
	}
	addr = addr.Unmap().WithZone("")
	bits := 48
	if addr.Is4() {
		bits = 24
	}
	p, _ := addr.Prefix(bits)
	return p
}

// Sample decides whether to write a line of kind about a request from
// addr, and counts it. kind must come from a small fixed set (a bankhook.Reason),
// never from the request itself.
func (s *Sampler) Sample(kind string, addr netip.Addr) Decision {
	network := Network(addr)
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()

	g, other := s.group(logGroupKey{kind, network}, now)
	d := Decision{Network: network, Other: other}
	if other {
		d.Network = netip.Prefix{}
	}
	g.lastSeen = now
	if _, seen := s.kinds[kind]; !seen && len(s.kinds) < maxLogKinds {
		s.kinds[kind] = struct{}{}
		return s.write(g, now, d)
	}
	if now.Sub(g.lastWritten) >= s.interval && s.limit.AllowN(now, 1) {
		return s.write(g, now, d)
	}
	g.held++
	return d
}

func (s *Sampler) write(g *logGroup, now time.Time, d Decision) Decision {
	d.Write, d.Suppressed = true, g.held
	g.held, g.lastWritten = 0, now
	return d
}

// group returns the group of k, making room for it or falling back to its
// kind's "other" group (other is then true). s.mu must be held.
func (s *Sampler) group(k logGroupKey, now time.Time) (g *logGroup, other bool) {
	if g, ok := s.groups.Get(k); ok {
		return g, false
	}
	if s.groups.Len() >= s.capacity {
		oldKey, oldest, _ := s.groups.GetOldest()
		if now.Sub(oldest.lastSeen) < s.interval {
			return s.otherGroup(k.kind), true
		}
		s.groups.Remove(oldKey)
		if oldest.held > 0 {
			s.otherGroup(oldKey.kind).held += oldest.held
		}
	}
	g = &logGroup{}
	s.groups.Add(k, g)
	return g, false
}

func (s *Sampler) otherGroup(kind string) *logGroup {
	g, ok := s.other[kind]
	if !ok {
		if len(s.other) >= maxLogKinds { // see maxLogKinds: never in practice
			for _, g := range s.other {
				return g
			}
		}
		g = &logGroup{}
		s.other[kind] = g
	}
	return g
}
