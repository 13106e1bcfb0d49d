package gateway

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/go-json-experiment/json"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/cmd/bankhook/internal/output"
	"github.com/bankhook/bankhook/cmd/bankhook/internal/pgevents"
)

// postgresDialTimeout bounds opening Config.Postgres in New: the
// connection, and creating or checking the events table.
const postgresDialTimeout = 10 * time.Second

// openPostgres opens Config.Postgres's events table, when there is one,
// and pushes its closer.
func (g *Gateway) openPostgres(ctx context.Context) error {
	if g.cfg.Postgres == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, postgresDialTimeout)
	defer cancel()
	t, err := pgevents.Open(ctx, g.cfg.Postgres)
	if err != nil {
		return err
	}
	g.events = t
	g.push(func() error { t.Close(); return nil })
	g.logger.Info("output: PostgreSQL, table "+pgevents.TableName+": each event is one row, committed before the bank is answered; the database decides which deliveries are duplicates",
		"out", g.cfg.Out)
	return nil
}

// storeRow inserts the event of l (complete: key, body and time set) into
// the events table. It returns nil for a new event, whose row is
// committed, and for a duplicate of one committed before, which it marks
// as a replay (done true); a delivery racing one in flight is answered 409
// and a database that fails 503, both with Retry-After, so the bank
// retries.
func (s *sink) storeRow(ctx context.Context, l output.Line) (done bool, err error) {
	event, err := json.Marshal(l.Event)
	if err != nil {
		return true, fmt.Errorf("postgres: encode event %q: %w", l.Key, err)
	}
	res, err := s.pg.Insert(ctx, pgevents.Row{
		Key: l.Key, Provider: l.Provider, Category: l.Category, EventType: l.EventType, ObjectType: l.ObjectType,
		ReceivedAt: l.ReceivedAt.UTC(), Event: event, Raw: l.Raw,
	})
	switch {
	case err != nil:
		setHeader(ctx, "Retry-After", "5")
		return true, &bankhook.StatusError{Status: http.StatusServiceUnavailable, Err: err}
	case res == pgevents.InFlight:
		setHeader(ctx, "Retry-After", "5")
		return true, &bankhook.StatusError{Status: http.StatusConflict, Err: fmt.Errorf("postgres: key %q is being inserted by another delivery", l.Key)}
	case res == pgevents.Duplicate:
		setHeader(ctx, bankhook.HeaderIdempotentReplayed, "true")
		return true, nil
	}
	return false, nil
}

// headerKey is the context key of the response's header map, which
// withHeader puts in the request's context for the sink.
type headerKey struct{}

// withHeader hands the response's header map to what the request's
// context reaches: the sink sets Retry-After and Idempotent-Replayed on
// the answers the database decides.
func withHeader(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), headerKey{}, w.Header())))
	})
}

// setHeader sets a header of the answer to the request in ctx, if
// withHeader runs in front of it.
func setHeader(ctx context.Context, name, value string) {
	if h, ok := ctx.Value(headerKey{}).(http.Header); ok {
		h.Set(name, value)
	}
}
