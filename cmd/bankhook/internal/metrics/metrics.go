// Package metrics serves serve's Prometheus metrics, GET /metrics, on a
// listener of its own: never on the port the banks call.
package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/extra/bankhookprom"
)

// Path is where the metrics are served.
const Path = "/metrics"

// Server serves the metrics of the process (Go runtime, process) and of
// its receivers. It is safe for concurrent use; use [Start].
type Server struct {
	metrics *bankhookprom.Metrics
	srv     *http.Server
	ln      net.Listener
	served  chan error
}

// Start listens on addr and serves the metrics until Shutdown, and
// extra's handlers beside them (serve's health checks, for a prober the
// banks' listener would not admit), each under its pattern. A binary built
// with -tags bankhook_pprof also serves net/http/pprof under
// /debug/pprof/ there, for the gateway load test's profiles; serve as
// users build it does not.
func Start(addr string, logger *slog.Logger, extra map[string]http.Handler) (*Server, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m, err := bankhookprom.New(reg, bankhookprom.Options{})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET "+Path, promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:            slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		MaxRequestsInFlight: 4,
		Timeout:             10 * time.Second,
	}))
	for pattern, h := range extra {
		mux.Handle(pattern, h)
	}
	addDebug(mux) // nothing, unless built with -tags bankhook_pprof
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics: %w", err)
	}
	s := &Server{
		metrics: m,
		srv: &http.Server{
			Handler:           mux,
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       10 * time.Second, // a scrape is a GET: no body to wait for
			WriteTimeout:      30 * time.Second,
			IdleTimeout:       60 * time.Second,
			MaxHeaderBytes:    16 << 10,
			ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		},
		ln:     ln,
		served: make(chan error, 1),
	}
	go func() { s.served <- s.srv.Serve(ln) }()
	logger.Info(fmt.Sprintf("metrics on http://%s%s", ln.Addr(), Path))
	return s, nil
}

// Instrument adds the metrics of the receiver called name to o: its
// Observer beside o's, and the gauge of requests in flight outermost.
func (s *Server) Instrument(o *bankhook.ReceiverOptions, name string) {
	r := s.metrics.Receiver(name)
	o.Observer = bankhook.MultiObserver(o.Observer, r)
	o.Middleware = append([]bankhook.Middleware{r.Middleware}, o.Middleware...)
}

// DedupeEvictions exports count as bankhook_dedupe_evictions_total of
// the receiver called name, read at every scrape: the keys its dedupe
// store evicted before they expired. serve calls it for each bank whose
// store is an in-memory LRUStore, with that store's Evictions method:
//
//	metricsSrv.DedupeEvictions("bunq", lru.Evictions)
//
// A store that does not evict (Redis) has no such series. count must be
// safe for concurrent use; a later call for the same receiver replaces it.
func (s *Server) DedupeEvictions(name string, count func() uint64) {
	s.metrics.Receiver(name).DedupeEvictions(count)
}

// Shutdown stops serving, waiting for scrapes in flight until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if serr := <-s.served; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	return nil
}
