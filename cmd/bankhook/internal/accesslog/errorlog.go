package accesslog

import (
	"context"
	"log"
	"log/slog"
	"net/netip"
	"strings"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/internal/logsample"
)

// serverErrorKind is the sampler's kind of net/http's own error lines.
const serverErrorKind bankhook.Reason = "server_error"

// ErrorLog returns the error log for an http.Server: net/http's lines
// ("http: TLS handshake error from 203.0.113.9:4711: EOF") go to logger at
// Warn, sampled per sender network like the access log, so that a flood
// of broken connections cannot fill the disk either.
func ErrorLog(logger *slog.Logger) *log.Logger {
	sampler, err := logsample.New(logsample.Options{})
	if err != nil { // only for negative options
		panic(err)
	}
	return log.New(errorWriter{logger: logger, sampler: sampler}, "", 0)
}

type errorWriter struct {
	logger  *slog.Logger
	sampler *logsample.Sampler
}

// Write logs one line of the server's error log. A log.Logger calls it
// once per line.
func (e errorWriter) Write(p []byte) (int, error) {
	msg := strings.TrimSuffix(string(p), "\n")
	d := e.sampler.Sample(string(serverErrorKind), senderOf(msg))
	if !d.Write {
		return len(p), nil
	}
	attrs := []slog.Attr{}
	if d.Suppressed > 0 {
		attrs = append(attrs, slog.Uint64("suppressed", d.Suppressed), slog.String("network", d.NetworkString()))
	}
	e.logger.LogAttrs(context.Background(), slog.LevelWarn, msg, attrs...)
	return len(p), nil
}

// senderOf finds the peer's address in a net/http error line: the
// "host:port" after "from ". The zero Addr when there is none.
func senderOf(msg string) netip.Addr {
	_, rest, ok := strings.Cut(msg, " from ")
	if !ok {
		return netip.Addr{}
	}
	addr, _, _ := strings.Cut(rest, ": ")
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr()
}
