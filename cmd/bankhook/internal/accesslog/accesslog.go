// Package accesslog writes serve's access log: a line per request with
// what the pipeline decided (the rejection's reason and cause, or the
// event's key), never the query string (it holds the URL token).
//
// Acknowledged events and the server's own failures (5xx) are always
// logged. Every other line — rejections, health checks, unknown paths —
// goes through the library's log sampler (internal/logsample), so that a
// flood from senders off the allowlist writes about one line a second per reason and sender network,
// each counting the lines held back since the last, instead of a line per
// request.
package accesslog

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/internal/logsample"
)

// requestLog is what the Observer learns about one request, for the
// access log line. It belongs to one request, served by one goroutine at a
// time.
type requestLog struct {
	clientIP netip.Addr
	reason   bankhook.Reason
	err      error
	key      string
	replayed bool
	acked    bool // the pipeline acknowledged an event
}

type requestLogKey struct{}

// Observer records rejections and acknowledgements in the request's
// requestLog, so that [Handler] writes one line per request with the
// reason. It is safe for concurrent use.
type Observer struct{}

// Rejected implements bankhook.Observer.
func (Observer) Rejected(r *http.Request, rej bankhook.Rejection) {
	if l, ok := r.Context().Value(requestLogKey{}).(*requestLog); ok {
		l.clientIP, _ = bankhook.ClientIPFrom(r.Context())
		l.reason, l.err = rej.Reason, rej.Err
	}
}

// Handled implements bankhook.Observer.
func (Observer) Handled(r *http.Request, o bankhook.Outcome) {
	if l, ok := r.Context().Value(requestLogKey{}).(*requestLog); ok {
		l.clientIP, _ = bankhook.ClientIPFrom(r.Context())
		l.key, l.replayed, l.acked = o.Key, o.Replayed, true
	}
}

// Handler writes the access log of next through logger: a line per
// request, sampled as the package documentation says, with method, path
// (never the query string: it holds the token), status, duration, client
// address and, from [Observer], the rejection's reason and cause or the
// event's key. A sampled line that follows held-back ones carries their
// count as "suppressed" and their sender network as "network". The lines
// carry no source (their records have no program counter), even where
// logger's handler adds one.
func Handler(logger *slog.Logger, next http.Handler) http.Handler {
	sampler, err := logsample.New(logsample.Options{})
	if err != nil { // only for negative options
		panic(err)
	}
	return handler(logger, sampler, next)
}

func handler(logger *slog.Logger, sampler *logsample.Sampler, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		both := &struct { // one allocation for the two
			l   requestLog
			rec statusWriter
		}{rec: statusWriter{ResponseWriter: w}}
		l, rec := &both.l, &both.rec
		next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), requestLogKey{}, l)))

		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		level := slog.LevelInfo
		switch {
		case status >= 500:
			level = slog.LevelError
		case status >= 400:
			level = slog.LevelWarn
		}
		ctx := r.Context()
		if !logger.Enabled(ctx, level) {
			return
		}
		client := l.clientIP
		if !client.IsValid() {
			if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
				client = ap.Addr().Unmap()
			}
		}
		var sampled logsample.Decision
		if !l.acked && status < 500 {
			if sampled = sampler.Sample(string(kindOf(l.reason, status)), client); !sampled.Write {
				return
			}
		}
		// The record goes to the handler directly: Logger.LogAttrs would
		// also look up its caller (runtime.Callers), on every request, for
		// a source that would name this function whatever the request.
		now := time.Now()
		record := slog.NewRecord(now, level, "request", 0)
		record.AddAttrs(
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", status),
			slog.Duration("duration", now.Sub(start)),
			slog.String("client_ip", client.String()),
		)
		if l.reason != "" {
			record.AddAttrs(slog.String("reason", string(l.reason)))
		}
		if l.err != nil {
			record.AddAttrs(slog.String("error", l.err.Error()))
		}
		if l.key != "" {
			record.AddAttrs(slog.String("key", l.key), slog.Bool("replayed", l.replayed))
		}
		if sampled.Suppressed > 0 {
			record.AddAttrs(slog.Uint64("suppressed", sampled.Suppressed), slog.String("network", sampled.NetworkString()))
		}
		_ = logger.Handler().Handle(ctx, record) // as Logger.LogAttrs does, a handler's error is dropped
	})
}

// kindOf is the sampler's kind of a line: the pipeline's reason, or for a
// request the pipeline did not judge (a health check, an unknown path) its
// status: a small set either way, never the path a sender chose.
func kindOf(reason bankhook.Reason, status int) bankhook.Reason {
	if reason != "" {
		return reason
	}
	return bankhook.Reason("status_" + strconv.Itoa(status))
}

// statusWriter records the status a handler answers.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
