package main

import (
	"context"
	"net/http"
	"time"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/bankhub"
	"github.com/bankhook/bankhook/bunq"
	"github.com/bankhook/bankhook/cmd/bankhook/internal/forward"
	"github.com/bankhook/bankhook/cmd/bankhook/internal/output"
)

// sink is what both receivers' handlers hand events to: the forward
// target, if any, then the output.
//
// A sink is safe for concurrent use.
type sink struct {
	out     *output.Writer
	forward *forward.Forwarder // nil without --forward
}

func (s *sink) bunq(ctx context.Context, n *bunq.Notification) error {
	return s.deliver(ctx, output.Line{
		Provider:   "bunq",
		Key:        n.IdempotencyKey(),
		Category:   string(n.Category),
		EventType:  string(n.EventType),
		ObjectType: n.Object.ObjectType(),
		Event:      n,
	})
}

func (s *sink) bankhub(ctx context.Context, w *bankhub.Webhook) error {
	return s.deliver(ctx, output.Line{
		Provider:   "bankhub",
		Key:        w.IdempotencyKey(),
		Category:   string(w.Type),
		EventType:  string(w.Code),
		ObjectType: w.Event().Kind(),
		Event:      w,
	})
}

// deliver completes l with what the pipeline kept for the request (the
// key dedupe used, the body), forwards it and writes it. An error makes
// the bank deliver the event again: 502 when the forward target did not
// acknowledge it, 500 when the output could not be written.
func (s *sink) deliver(ctx context.Context, l output.Line) error {
	if key, ok := bankhook.IdempotencyKeyFrom(ctx); ok {
		l.Key = key
	}
	body, ok := bankhook.BodyFrom(ctx)
	if !ok {
		return bankhook.ErrNoBody
	}
	l.Raw = body
	l.ReceivedAt = time.Now()
	line, err := output.Marshal(l)
	if err != nil {
		return err
	}
	if s.forward != nil {
		if err := s.forward.Post(ctx, l.Key, line); err != nil {
			return &bankhook.StatusError{Status: http.StatusBadGateway, Err: err}
		}
	}
	return s.out.WriteLine(line)
}
