package bankhub

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/internal/dispatch"
	"golang.org/x/time/rate"
)

// Config configures [NewReceiver]. Only a handler is required: the zero
// value of every other field is bankHub's production default.
type Config struct {
	// Handler receives every webhook that no Route takes. At least one of
	// Handler and Routes must be set.
	Handler func(ctx context.Context, w *Webhook) error
	// Routes are typed handlers, one per kind of event, built with [On].
	// A webhook whose event a Route takes is not given to Handler.
	Routes []Route
	// Unhandled receives the webhooks that neither a Route nor Handler
	// takes. Default: log them through Logger and acknowledge them, so
	// bankHub stops retrying events you did not ask to handle. Return an
	// error to refuse them instead.
	Unhandled func(ctx context.Context, w *Webhook) error

	// Allow replaces the sender addresses (ProductionIPs, or SandboxIPs
	// with Sandbox) with these CIDRs or addresses.
	Allow []string
	// Allowlist, when set, is used as the sender allowlist instead of
	// Allow and the defaults; keep it to Replace its contents at run time
	// when bankHub announces new addresses.
	Allowlist *bankhook.IPAllowlist
	// Sandbox accepts bankHub's sandbox sender (SandboxIPs) instead of the
	// production ones.
	Sandbox bool
	// TrustedProxies are your load balancers or reverse proxies, the only
	// peers whose X-Forwarded-For is believed. Default none.
	TrustedProxies []string
	// Tokens are the accepted secrets of the webhook URL
	// (https://example.com/bankhub?token=SECRET), several during a
	// rotation. Default: no token check.
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
	// DedupeTTL is how long a handled webhook is remembered. Default 72 h,
	// three times bankHub's 24 h retry window.
	DedupeTTL time.Duration
	// FailClosed answers 503 while the store fails, instead of handling
	// without dedupe (at-least-once).
	FailClosed bool
	// Deadline bounds each handler call. Default 25 s, so the answer
	// beats bankHub's 30 s timeout.
	Deadline time.Duration

	// Observer is told of every rejection and acknowledged webhook.
	// Default: logging through Logger.
	Observer bankhook.Observer
	// Logger receives unhandled webhooks and store failures. Default
	// slog.Default().
	Logger *slog.Logger
}

// Route is a typed handler for one kind of event, built with [On]. The
// zero value is refused by NewReceiver.
type Route struct{ r dispatch.Route[*Webhook] }

// On returns a Route calling fn for webhooks whose event is a T:
//
//	bankhub.On(func(ctx context.Context, w *bankhub.Webhook, e *bankhub.NewTransaction) error {
//		return book(ctx, e.Transaction)
//	})
//
// The same event type may be routed only once per receiver.
func On[T Event](fn func(ctx context.Context, w *Webhook, e T) error) Route {
	return Route{dispatch.On(func(w *Webhook) Event { return w.Event() }, fn)}
}

// NewReceiver returns an http.Handler receiving bankHub webhooks with the
// whole bankhook pipeline and bankHub's defaults: senders in ProductionIPs
// only (403 otherwise), 50 requests a second per sender, POST
// application/json up to 1 MiB, the optional URL token, typed decoding (400
// naming the bad field), dedupe (a retried webhook is handled once) and a
// 25 s handler deadline, so the answer beats bankHub's 30 s timeout. A nil
// error from the handler acknowledges the webhook with 200; anything else
// makes bankHub retry it, 17 times over 24 h (see RetrySchedule).
func NewReceiver(cfg Config) (http.Handler, error) {
	allow := cfg.Allowlist
	if allow == nil {
		entries := cfg.Allow
		if len(entries) == 0 {
			entries = ProductionIPs
			if cfg.Sandbox {
				entries = SandboxIPs
			}
		}
		var err error
		if allow, err = bankhook.NewIPAllowlist(entries...); err != nil {
			return nil, fmt.Errorf("bankhub: Config.Allow: %w", err)
		}
	}
	routes := make([]dispatch.Route[*Webhook], len(cfg.Routes))
	for i, rt := range cfg.Routes {
		routes[i] = rt.r
	}
	return dispatch.Receiver[*Webhook]{
		Provider:  "bankhub",
		Decode:    Decode,
		Handler:   cfg.Handler,
		Routes:    routes,
		Unhandled: cfg.Unhandled,
		Describe: func(w *Webhook) []slog.Attr {
			return []slog.Attr{
				slog.String("webhook_type", string(w.Type)),
				slog.String("webhook_code", string(w.Code)),
				slog.String("kind", w.Event().Kind()),
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
