// Package dispatch routes a decoded event to one typed handler per kind of
// content, for the provider receivers (bunq.On, bankhub.On).
package dispatch

import (
	"context"
	"fmt"
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
// On and a type routed twice.
func Handler[E any](routes []Route[E], fallback func(context.Context, E) error) (func(context.Context, E) error, error) {
	seen := make(map[string]bool, len(routes))
	for i, rt := range routes {
		if rt.Call == nil {
			return nil, fmt.Errorf("Routes[%d] was not built with On", i)
		}
		if seen[rt.Type] {
			return nil, fmt.Errorf("Routes: %s routed twice", rt.Type)
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
