package bunq

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/internal/dispatch"
)

// Config configures [NewReceiver]. Only a handler is required: the zero
// value of every other field is bunq's production default.
//
// The pipeline's options are those of every bankhook receiver, embedded
// from [bankhook.ReceiverOptions]; set them by name after building the
// value, or in a nested literal:
//
//	cfg := bunq.Config{Routes: routes}
//	cfg.Tokens = []string{os.Getenv("BUNQ_CALLBACK_TOKEN")}
//	cfg.Dedupe.Store = redisstore.New(client, redisstore.Options{})
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

	// Sandbox drops the default address check: bunq's sandbox calls from
	// unlisted AWS addresses. A URL token is then required (Tokens),
	// unless Allow is set.
	Sandbox bool

	// ReceiverOptions is the pipeline, with bunq's defaults for its zero
	// fields: Allow nil means ProductionRanges (none with Sandbox); keep
	// the allowlist you set to Replace its contents at run time when bunq
	// announces new addresses. Rate 50/s and burst 100 per sender, POST
	// application/json up to 1 MiB, an in-memory dedupe store of 100,000
	// keys remembering a callback for 72 h (a failed callback can be
	// re-sent by hand days later), a 25 s handler deadline, logging
	// through slog.Default().
	bankhook.ReceiverOptions
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
	o := cfg.ReceiverOptions
	if o.Allow == nil && !cfg.Sandbox {
		o.Allow = bankhook.MustIPAllowlist(ProductionRanges()...)
	}
	if o.Allow == nil && len(o.Tokens) == 0 {
		return nil, errors.New("bunq: Config.Sandbox needs Tokens (or Allow): the sandbox calls from unlisted addresses")
	}
	routes := make([]dispatch.Route[*Notification], len(cfg.Routes))
	for i, rt := range cfg.Routes {
		routes[i] = rt.r
	}
	return dispatch.Receiver[*Notification]{
		Provider:  "bunq",
		Decode:    Decode,
		BodyKey:   bodyKey,
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
		Options: o,
	}.Build()
}
