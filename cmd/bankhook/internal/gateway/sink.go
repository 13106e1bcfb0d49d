package gateway

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/bankhub"
	"github.com/bankhook/bankhook/bunq"
	"github.com/bankhook/bankhook/cmd/bankhook/internal/forward"
	"github.com/bankhook/bankhook/cmd/bankhook/internal/inspect"
	"github.com/bankhook/bankhook/cmd/bankhook/internal/output"
	"github.com/bankhook/bankhook/cmd/bankhook/internal/pgevents"
)

// sink is what both receivers' handlers hand events to: the forward
// target, if any, then the output.
//
// A sink is safe for concurrent use.
type sink struct {
	out     *output.Writer     // nil with --forward or --postgres alone
	forward *forward.Forwarder // nil without --forward
	pg      *pgevents.Table    // nil without --postgres
}

func (s *sink) bunq(ctx context.Context, n *bunq.Notification) error {
	return s.deliver(ctx, lineOf(n))
}

func (s *sink) bankhub(ctx context.Context, w *bankhub.Webhook) error {
	return s.deliver(ctx, lineOf(w))
}

// lineOf returns the fields of an output line that the typed event
// gives; completeLine adds the rest, the key among them.
func lineOf(ev bankhook.Event) output.Line {
	switch e := ev.(type) {
	case *bunq.Notification:
		return output.Line{
			Provider:   "bunq",
			Category:   string(e.Category),
			EventType:  string(e.EventType),
			ObjectType: e.Object.ObjectType(),
			Event:      e,
		}
	case *bankhub.Webhook:
		return output.Line{
			Provider:   "bankhub",
			Category:   string(e.Type),
			EventType:  string(e.Code),
			ObjectType: e.Event().Kind(),
			Event:      e,
		}
	}
	return output.Line{Event: ev}
}

// deliver completes l with what the pipeline kept for the request (the
// key dedupe used, the body), forwards it and writes it. An error makes
// the bank deliver the event again: 502 when the forward target did not
// acknowledge it, 500 when the output could not be written.
//
// With --postgres the event's row is inserted first: the database decides
// whether the event is new (see storeRow), and only a new one's line goes
// on to the output.
func (s *sink) deliver(ctx context.Context, l output.Line) error {
	if err := completeLine(ctx, &l); err != nil {
		return err
	}
	var line []byte // only for those that take it
	var buf *[]byte // line's buffer, to reuse once nothing holds the line
	if watched := inspect.Watched(ctx); s.out != nil || s.forward != nil || watched {
		var dst []byte
		if !watched { // the inspector keeps the line it is given
			buf = lineBuffers.Get().(*[]byte)
			dst = (*buf)[:0]
		}
		var err error
		if line, err = output.AppendDecoded(dst, l); err != nil { // the body decoded: the fast encoding writes the same line
			return err
		}
		inspect.SetLine(ctx, line)
	}
	if s.pg != nil {
		if done, err := s.storeRow(ctx, l); done {
			return err
		}
	}
	if s.forward != nil {
		if err := s.forward.Post(ctx, l.Key, line); err != nil {
			return &bankhook.StatusError{Status: http.StatusBadGateway, Err: err}
		}
	}
	if s.out == nil {
		return nil
	}
	err := s.out.WriteLine(ctx, line)
	if err == nil && buf != nil && cap(line) <= maxReusedLine {
		*buf = line[:0] // written and synced: the Writer no longer holds it
		lineBuffers.Put(buf)
	}
	return settleLater(ctx, err)
}

// lineBuffers are the buffers of written lines, reused for the next lines
// so that an event costs no allocation of its line.
var lineBuffers = sync.Pool{New: func() any { return new([]byte) }}

// maxReusedLine is the largest line buffer kept for reuse: a rare large
// event does not keep its memory.
const maxReusedLine = 64 << 10

// settleLater answers for a line whose outcome the output could not give
// before the request's deadline: its key stays reserved (see
// bankhook.Postpone) until the line is known to be stored (done) or not
// (released), so that no retry meanwhile can write it a second time. When
// the outcome is unknown for good (a failed sync) the key is never
// released: serve stops, and the next start reads the file back. Either
// way the bank is answered 503 and retries. Any other error is returned as
// it is.
func settleLater(ctx context.Context, err error) error {
	var pe *output.PendingError
	switch {
	case errors.As(err, &pe):
		if settle, ok := bankhook.Postpone(ctx); ok {
			go func() {
				switch err := <-pe.Outcome; {
				case err == nil:
					settle(true)
				case !errors.Is(err, output.ErrOutcomeUnknown):
					settle(false)
				}
			}()
		}
		return err // wraps the deadline: 503 timeout
	case errors.Is(err, output.ErrOutcomeUnknown):
		bankhook.Postpone(ctx) // and never settled
		return &bankhook.StatusError{Status: http.StatusServiceUnavailable, Err: err}
	}
	return err
}

// marshalLine completes l (see completeLine) and encodes it.
func marshalLine(ctx context.Context, l output.Line) ([]byte, error) {
	if err := completeLine(ctx, &l); err != nil {
		return nil, err
	}
	return output.MarshalDecoded(l) // the body decoded: the fast encoding writes the same line
}

// completeLine completes l with the key dedupe used (the event's own when
// the pipeline kept none: the event's is not computed otherwise) and the
// body the pipeline read for the request in ctx, and stamps it with the
// time.
func completeLine(ctx context.Context, l *output.Line) error {
	if key, ok := bankhook.IdempotencyKeyFrom(ctx); ok {
		l.Key = key
	} else if ev, ok := l.Event.(bankhook.Event); ok {
		l.Key = ev.IdempotencyKey()
	}
	body, ok := bankhook.BodyFrom(ctx)
	if !ok {
		return bankhook.ErrNoBody
	}
	l.Raw = body
	l.ReceivedAt = time.Now()
	return nil
}

// eventLine returns the output line of the event the pipeline decoded for
// the request in ctx: what the inspector shows for a delivery the sink
// never saw (a duplicate, an event rejected after decoding).
func eventLine(ctx context.Context) ([]byte, bool) {
	ev, ok := bankhook.EventFrom[bankhook.Event](ctx)
	if !ok {
		return nil, false
	}
	line, err := marshalLine(ctx, lineOf(ev))
	return line, err == nil
}
