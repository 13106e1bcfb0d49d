package bankhook

import (
	"fmt"
	"hash/maphash"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
	"golang.org/x/time/rate"
)

// rateShards spreads clients over independently locked LRUs, so
// concurrent requests from different senders rarely wait on one lock.
const rateShards = 16

// RateLimitOptions configures [RateLimit]. The zero value allows each
// client 50 requests a second with bursts of 100, tracking 10,000 clients.
type RateLimitOptions struct {
	// Rate is the sustained number of requests a second per client.
	// Default 50. rate.Inf disables limiting.
	Rate rate.Limit
	// Burst is how many requests a client may make at once. Default 100.
	Burst int
	// MaxClients bounds the number of clients tracked. When more send, the
	// least recently seen client is forgotten (and starts again with a full
	// burst), so a flood of source addresses cannot grow memory. Clients
	// are spread over 16 independently locked shards of MaxClients/16
	// (rounded up) each, and eviction is per shard.
	// Default 10,000.
	MaxClients int
	// Now is the clock the limiters run on. Default time.Now.
	Now func() time.Time
}

// RateLimit limits requests per client address (the one [ClientIP]
// resolved, or RemoteAddr; an IPv6 client is its /64) with a token bucket
// from golang.org/x/time/rate per client, kept in a bounded LRU. A client over its rate is answered
// 429 rate_limited with Retry-After: the whole seconds until its next
// token, at least 1. The body is not read.
//
// Each call returns an independent limiter; it is safe for concurrent use.
func RateLimit(o RateLimitOptions) Middleware {
	l := newClientLimiter(o)
	fallback := newFallbackObserver()
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			addr := limitKey(clientAddr(r))
			wait, ok := l.allow(addr)
			if !ok {
				w.Header().Set("Retry-After", strconv.FormatInt(retryAfterSeconds(wait), 10))
				reject(fallback, w, r, http.StatusTooManyRequests, ReasonRateLimited,
					fmt.Errorf("bankhook: %s over %v requests/s (burst %d)", addr, l.rate, l.burst))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// limitKey is the client a request counts against: its IPv4 address, or
// the /64 of its IPv6 address — one IPv6 host usually holds a whole /64,
// and would otherwise pick a fresh address, and a fresh bucket, for every
// request.
func limitKey(a netip.Addr) netip.Addr {
	if a.Is6() && !a.Is4In6() {
		b := a.As16()
		clear(b[8:])
		return netip.AddrFrom16(b)
	}
	return a
}

type clientLimiter struct {
	rate   rate.Limit
	burst  int
	now    func() time.Time
	seed   maphash.Seed // keys shardOf
	shards [rateShards]limiterShard
}

type limiterShard struct {
	mu  sync.Mutex // guards lru
	lru *simplelru.LRU[netip.Addr, *rate.Limiter]
}

func newClientLimiter(o RateLimitOptions) *clientLimiter {
	if o.Rate == 0 {
		o.Rate = DefaultRate
	}
	if o.Burst <= 0 {
		o.Burst = DefaultBurst
	}
	if o.MaxClients <= 0 {
		o.MaxClients = DefaultMaxClients
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	l := &clientLimiter{rate: o.Rate, burst: o.Burst, now: o.Now, seed: maphash.MakeSeed()}
	per := max(1, (o.MaxClients+rateShards-1)/rateShards)
	for i := range l.shards {
		c, err := simplelru.NewLRU[netip.Addr, *rate.Limiter](per, nil)
		if err != nil { // only for a non-positive size, excluded above
			panic(err)
		}
		l.shards[i].lru = c
	}
	return l
}

// allow takes one token for addr. When none is left it reports how long
// until the next one.
func (l *clientLimiter) allow(addr netip.Addr) (time.Duration, bool) {
	if l.rate == rate.Inf {
		return 0, true
	}
	sh := &l.shards[l.shardOf(addr)]
	sh.mu.Lock()
	lim, ok := sh.lru.Get(addr)
	if !ok {
		lim = rate.NewLimiter(l.rate, l.burst)
		sh.lru.Add(addr, lim)
	}
	sh.mu.Unlock()

	now := l.now()
	if lim.AllowN(now, 1) {
		return 0, true
	}
	if l.rate <= 0 {
		return time.Duration(math.MaxInt64), false
	}
	need := 1 - lim.TokensAt(now)
	wait := need / float64(l.rate) * float64(time.Second)
	if wait >= math.MaxInt64 { // a very small rate: do not overflow Duration
		return time.Duration(math.MaxInt64), false
	}
	return time.Duration(wait), false
}

// shardOf hashes the address into a shard index with a per-limiter key,
// so that neighbouring addresses (one bank's /22) spread over all shards
// and a sender cannot aim its addresses at one shard.
func (l *clientLimiter) shardOf(a netip.Addr) uint64 {
	b := a.As16()
	return maphash.Bytes(l.seed, b[:]) % rateShards
}

// retryAfterSeconds rounds a wait up to whole seconds, at least 1, capped
// at a day.
func retryAfterSeconds(d time.Duration) int64 {
	const day = 86400
	if d >= day*time.Second { // before rounding up, which could overflow
		return day
	}
	s := int64((d + time.Second - 1) / time.Second)
	return max(s, 1)
}
