package bunq

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/internal/dispatch"
	"golang.org/x/time/rate"
)

// Config configures [NewReceiver]. Only a handler is required: the zero
// value of every other field is bunq's production default.
type Config struct {
	// Handler receives every notification that no Route takes. At least
	// one of Handler and Routes must be set.
	Handler func(ctx context.Context, n *Notification) error
	// Routes are typed handlers, one per object type, built with [On].
	// A notification whose object a Route takes is not given to Handler.
	Routes []Route
	// Unhandled receives the notifications that neither a Route nor
	// Handler takes. Default: log them through Logger and acknowledge
	// them, so bunq stops retrying events you did not ask to handle.
	// Return an error to refuse them instead.
	Unhandled func(ctx context.Context, n *Notification) error

	// Allow replaces the production sender ranges (ProductionRanges) with
	// these CIDRs or addresses.
	Allow []string
	// Allowlist, when set, is used as the sender allowlist instead of
	// Allow or ProductionRanges; keep it to Replace its contents at run
	// time when bunq announces new addresses.
	Allowlist *bankhook.IPAllowlist
	// Sandbox drops the default address check: bunq's sandbox calls from
	// unlisted AWS addresses. A URL token is then required (Tokens), unless
	// Allow or Allowlist is set.
	Sandbox bool
	// TrustedProxies are your load balancers or reverse proxies, the only
	// peers whose X-Forwarded-For is believed. Default none.
	TrustedProxies []string
	// Tokens are the accepted secrets of the callback URL
	// (https://example.com/bunq?token=SECRET), several during a rotation.
	// Default: no token check in production; required with Sandbox.
	Tokens []string
	// TokenParam is the token's query parameter. Default "token".
	TokenParam string

	// Rate is the requests a second allowed per sender. Default 50.
	Rate rate.Limit
	// Burst is the burst allowed per sender. Default 100.
	Burst int
	// MaxBody is the largest body accepted. Default 1 MiB.
	MaxBody int64

	// Store is the dedupe store. Default: an in-memory LRUStore of 100,000
	// keys, for this receiver alone; use redisstore for several replicas.
	Store bankhook.Store
	// DedupeTTL is how long a handled notification is remembered. Default
	// 72 h: a failed callback can be re-sent by hand days later.
	DedupeTTL time.Duration
	// FailClosed answers 503 while the store fails, instead of handling
	// without dedupe (at-least-once).
	FailClosed bool
	// Deadline bounds each handler call. Default 25 s.
	Deadline time.Duration

	// Observer is told of every rejection and acknowledged notification.
	// Default: logging through Logger.
	Observer bankhook.Observer
	// Logger receives unhandled notifications and store failures. Default
	// slog.Default().
	Logger *slog.Logger
}

// Route is a typed handler for one object type, built with [On]. The zero
// value is refused by NewReceiver.
type Route struct{ r dispatch.Route[*Notification] }

// On returns a Route calling fn for notifications whose object is a T:
//
//	bunq.On(func(ctx context.Context, n *bunq.Notification, p *bunq.Payment) error {
//		return book(ctx, p.ID, p.Amount)
//	})
//
// The same object type may be routed only once per receiver.
func On[T Object](fn func(ctx context.Context, n *Notification, obj T) error) Route {
	return Route{dispatch.On(func(n *Notification) Object { return n.Object }, fn)}
}

// NewReceiver returns an http.Handler receiving bunq callbacks with the
// whole bankhook pipeline and bunq's defaults: senders in ProductionRanges
// only (403 otherwise), 50 requests a second per sender, POST
// application/json up to 1 MiB, the optional URL token, typed decoding (400
// naming the bad field), dedupe (a retried callback is handled once) and a
// 25 s handler deadline. A nil error from the handler acknowledges the
// callback with 200; anything else makes bunq retry it, up to five times a
// minute apart (see RetrySchedule).
func NewReceiver(cfg Config) (http.Handler, error) {
	allow := cfg.Allowlist
	if allow == nil {
		entries := cfg.Allow
		if len(entries) == 0 && !cfg.Sandbox {
			entries = ProductionRanges
		}
		if len(entries) > 0 {
			var err error
			if allow, err = bankhook.NewIPAllowlist(entries...); err != nil {
				return nil, fmt.Errorf("bunq: Config.Allow: %w", err)
			}
		}
	}
	if allow == nil && len(cfg.Tokens) == 0 {
		return nil, errors.New("bunq: Config.Sandbox needs Tokens (or Allow): the sandbox calls from unlisted addresses")
	}
	routes := make([]dispatch.Route[*Notification], len(cfg.Routes))
	for i, rt := range cfg.Routes {
		routes[i] = rt.r
	}
	return dispatch.Receiver[*Notification]{
		Provider:  "bunq",
		Decode:    Decode,
		Handler:   cfg.Handler,
		Routes:    routes,
		Unhandled: cfg.Unhandled,
		Describe: func(n *Notification) []slog.Attr {
			return []slog.Attr{
				slog.String("category", string(n.Category)),
				slog.String("event_type", string(n.EventType)),
				slog.String("object_type", n.Object.ObjectType()),
			}
		},
		Allow:          allow,
		TrustedProxies: cfg.TrustedProxies,
		Tokens:         cfg.Tokens,
		TokenParam:     cfg.TokenParam,
		Rate:           cfg.Rate,
		Burst:          cfg.Burst,
		MaxBody:        cfg.MaxBody,
		Store:          cfg.Store,
		DedupeTTL:      cfg.DedupeTTL,
		FailClosed:     cfg.FailClosed,
		Deadline:       cfg.Deadline,
		Observer:       cfg.Observer,
		Logger:         cfg.Logger,
	}.Build()
}
