package bankhub

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/internal/dispatch"
)

// Config configures [NewReceiver]. Only a handler is required: the zero
// value of every other field is bankHub's production default.
//
// The pipeline's options are those of every bankhook receiver, embedded
// from [bankhook.ReceiverOptions]; set them by name after building the
// value, or in a nested literal:
//
//	cfg := bankhub.Config{Routes: routes}
//	cfg.Tokens = []string{os.Getenv("BANKHUB_WEBHOOK_TOKEN")}
//	cfg.Dedupe.Store = redisstore.New(client, redisstore.Options{})
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

	// Sandbox accepts bankHub's sandbox sender (SandboxIPs) instead of the
	// production ones, when Allow is nil.
	Sandbox bool

	// ReceiverOptions is the pipeline, with bankHub's defaults for its
	// zero fields: Allow nil means ProductionIPs (SandboxIPs with
	// Sandbox); keep the allowlist you set to Replace its contents at run
	// time when bankHub announces new addresses. Rate 50/s and burst 100
	// per sender, POST application/json up to 1 MiB, an in-memory dedupe
	// store of 100,000 keys remembering a webhook for 72 h (three times
	// bankHub's 24 h retry window), a 25 s handler deadline so the answer
	// beats bankHub's 30 s timeout, logging through slog.Default().
	bankhook.ReceiverOptions
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
	o := cfg.ReceiverOptions
	if o.Allow == nil {
		senders := ProductionIPs()
		if cfg.Sandbox {
			senders = SandboxIPs()
		}
		o.Allow = bankhook.MustIPAllowlist(senders...)
	}
	routes := make([]dispatch.Route[*Webhook], len(cfg.Routes))
	for i, rt := range cfg.Routes {
		routes[i] = rt.r
	}
	return dispatch.Receiver[*Webhook]{
		Provider:  "bankhub",
		Decode:    Decode,
		BodyKey:   bodyKey,
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
		Options: o,
	}.Build()
}
