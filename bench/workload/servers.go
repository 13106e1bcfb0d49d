package workload

import (
	"context"
	"io"
	"log/slog"
	"net/http"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/bunq"
)

// Limits of the rate limiter in the chains: no benchmark or load test
// reaches them, although every request comes from one sender, so every
// request passes and the limiter still does its full bookkeeping (a finite
// rate; rate.Inf would skip it).
const (
	ChainRate  = 1e9
	ChainBurst = 1_000_000_000
)

// BareHandler is the application handler without bankhook: it drains the
// body and answers 200, the least any webhook handler does.
var BareHandler http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	w.WriteHeader(http.StatusOK)
})

// GuardChain returns [BareHandler] behind bankhook's guard stages, set up
// as a bunq receiver's are: a no-op Observer, the client IP from
// RemoteAddr, an allowlist of bunq.ProductionRanges() plus extra, the rate
// limit of [ChainRate] and [ChainBurst] per sender, and ReadBody's
// defaults (POST, application/json, 1 MiB).
func GuardChain(extra ...string) (http.Handler, error) {
	allow, err := bankhook.NewIPAllowlist(append(bunq.ProductionRanges(), extra...)...)
	if err != nil {
		return nil, err
	}
	return bankhook.Chain(BareHandler,
		bankhook.Observe(bankhook.ObserverFuncs{}),
		bankhook.ClientIP(nil),
		bankhook.AllowIPs(allow),
		bankhook.RateLimit(bankhook.RateLimitOptions{Rate: ChainRate, Burst: ChainBurst}),
		bankhook.ReadBody(bankhook.BodyOptions{}),
	), nil
}

// FullReceiver returns the whole pipeline as a bunq user builds it:
// bunq.NewReceiver with the guards of [GuardChain] (the same allowlist,
// limits, Observer and body rules), then bunq.Decode, Dedupe on store (nil:
// a new LRUStore of 100,000 keys), the 25 s handler deadline, and a typed
// Payment route. handled, when not nil, is called for every Payment
// handled.
func FullReceiver(store bankhook.Store, handled func(*bunq.Payment), extra ...string) (http.Handler, error) {
	allow, err := bankhook.NewIPAllowlist(append(bunq.ProductionRanges(), extra...)...)
	if err != nil {
		return nil, err
	}
	cfg := bunq.Config{
		Routes: []bunq.Route{bunq.On(func(_ context.Context, _ *bunq.Notification, p *bunq.Payment) error {
			if handled != nil {
				handled(p)
			}
			return nil
		})},
	}
	cfg.Allow = allow
	cfg.RateLimit = bankhook.RateLimitOptions{Rate: ChainRate, Burst: ChainBurst}
	cfg.Dedupe.Store = store
	cfg.Observer = bankhook.ObserverFuncs{}
	cfg.Logger = slog.New(slog.DiscardHandler)
	return bunq.NewReceiver(cfg)
}
