// Package dispatch holds what the provider receivers (bunq.NewReceiver,
// bankhub.NewReceiver) share: typed routes per kind of event content, and
// the assembly of the pipeline from a provider's configuration.
package dispatch

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/internal/fastpath"
)

// Route calls a typed handler when the event's content is of its type.
// The zero value routes nothing.
type Route[E any] struct {
	// Type names the content type routed, for error messages.
	Type string
	// Call runs the handler if the event's content is of the route's
	// type; taken reports whether it was.
	Call func(ctx context.Context, e E) (taken bool, err error)
}

// On builds a Route for events whose content, as returned by part, is a T.
func On[E, P, T any](part func(E) P, fn func(ctx context.Context, e E, content T) error) Route[E] {
	var zero T
	return Route[E]{
		Type: fmt.Sprintf("%T", zero),
		Call: func(ctx context.Context, e E) (bool, error) {
			content, ok := any(part(e)).(T)
			if !ok || fn == nil {
				return false, nil
			}
			return true, fn(ctx, e, content)
		},
	}
}

// Handler returns one function giving each event to the first route that
// takes it, else to fallback. It refuses routes that were not built with
// On and a type routed twice, in errors starting with provider.
func Handler[E any](provider string, routes []Route[E], fallback func(context.Context, E) error) (func(context.Context, E) error, error) {
	seen := make(map[string]bool, len(routes))
	for i, rt := range routes {
		if rt.Call == nil {
			return nil, fmt.Errorf("%s: Config.Routes[%d] was not built with On", provider, i)
		}
		if seen[rt.Type] {
			return nil, fmt.Errorf("%s: Config.Routes: %s routed twice", provider, rt.Type)
		}
		seen[rt.Type] = true
	}
	routes = append([]Route[E](nil), routes...)
	return func(ctx context.Context, e E) error {
		for _, rt := range routes {
			if taken, err := rt.Call(ctx, e); taken {
				return err
			}
		}
		return fallback(ctx, e)
	}, nil
}

// Receiver is what a provider preset hands over: its decoder, the
// handlers of its Config, and the pipeline options with the provider's
// defaults already applied (the sender allowlist).
type Receiver[E bankhook.Event] struct {
	Provider string                      // "bunq", "bankhub": the prefix of errors and log lines
	Decode   func([]byte) (E, error)     // the provider's decoder; it keeps no part of the body
	BodyKey  func([]byte) (string, bool) // the key read from a body without decoding it; nil: none

	Handler   func(context.Context, E) error // events no route takes
	Routes    []Route[E]                     // typed handlers, first match wins
	Unhandled func(context.Context, E) error // events nothing takes when Handler is nil; default: log, acknowledge
	Describe  func(E) []slog.Attr            // log attributes of an event nobody handles

	Options bankhook.ReceiverOptions // the pipeline
}

// Build assembles the pipeline. Errors are prefixed with the provider.
func (c Receiver[E]) Build() (http.Handler, error) {
	if c.Handler == nil && len(c.Routes) == 0 {
		return nil, fmt.Errorf("%s: Config needs a Handler or Routes", c.Provider)
	}
	fallback := c.Handler
	if fallback == nil {
		fallback = c.Unhandled
	}
	if fallback == nil {
		logger := c.Options.Logger
		if logger == nil {
			logger = slog.Default()
		}
		msg := c.Provider + ": event acknowledged without a handler"
		fallback = func(ctx context.Context, e E) error {
			logger.LogAttrs(ctx, slog.LevelInfo, msg, c.Describe(e)...)
			return nil
		}
	}
	handle, err := Handler(c.Provider, c.Routes, fallback)
	if err != nil {
		return nil, err
	}
	// The providers' decoders copy what they keep, and their key readers
	// are tested to agree with them: the preset trusts both.
	o := fastpath.Trusted(c.Options, c.BodyKey)
	h, err := bankhook.NewReceiver(c.Decode, handle, o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.Provider, err)
	}
	return h, nil
}
