// Package gateway is bankhook serve: both banks' receivers, their dedupe
// stores, the output their events go to, and what runs beside them (the
// delivery inspector, the metrics listener, bunq's recovery loop), built
// from a Config that serve's flags fill.
//
// New opens everything a Config names (the dedupe stores, --out, the
// metrics listener, the allowlist file's watch) and fails when one of
// them cannot be had; Serve serves the banks' endpoints on a listener
// until its context ends; Close releases what New opened.
package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/time/rate"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/bankhub"
	"github.com/bankhook/bankhook/bunq"
	"github.com/bankhook/bankhook/cmd/bankhook/internal/accesslog"
	"github.com/bankhook/bankhook/cmd/bankhook/internal/forward"
	"github.com/bankhook/bankhook/cmd/bankhook/internal/gate"
	"github.com/bankhook/bankhook/cmd/bankhook/internal/inspect"
	"github.com/bankhook/bankhook/cmd/bankhook/internal/metrics"
	"github.com/bankhook/bankhook/cmd/bankhook/internal/output"
	"github.com/bankhook/bankhook/cmd/bankhook/internal/pgevents"
	"github.com/bankhook/bankhook/cmd/bankhook/internal/redact"
	"github.com/bankhook/bankhook/redisstore"
)

// Server limits: a slow or oversized request cannot hold a connection.
const (
	readHeaderTimeout = 5 * time.Second
	// readTimeout bounds reading a request, its body included.
	readTimeout    = 15 * time.Second
	idleTimeout    = 60 * time.Second
	maxHeaderBytes = 64 << 10
	// requestWorstCase is the longest one request can take from its
	// first byte to its answer: reading it, reserving its key, the
	// handler's deadline (writing the line waits no longer), and the last
	// call that records the key as done.
	requestWorstCase = readTimeout + redisstore.DefaultTimeout + bankhook.DefaultDeadline + redisstore.DefaultTimeout
	// writeTimeout and shutdownTimeout outlast it, so that no request is
	// cut off before its answer: the first bounds a connection's response
	// (counted from the end of its header), the second the wait for
	// requests in flight on shutdown.
	writeTimeout    = requestWorstCase + 5*time.Second
	shutdownTimeout = requestWorstCase + 5*time.Second
	// redisDialTimeout bounds the check that Config.Redis answers in New.
	redisDialTimeout = 5 * time.Second
)

// DefaultMaxConns is Config.MaxConns' default: connections open at once
// on the banks' listener.
const DefaultMaxConns = 1024

// The health checks: they answer GET from anyone, on the banks' listener
// and on the metrics listener.
const (
	HealthzPath = "/healthz" // liveness: 200 while the process serves
	ReadyzPath  = "/readyz"  // readiness: 200 while the store and output can be used
)

// DevRanges are the addresses of this machine, which --dev allows: with
// Config.Dev they are added to Config.AllowFile's list.
var DevRanges = []string{"127.0.0.0/8", "::1/128"}

// Errors of New for a Config that serves nothing or keeps nothing. serve
// never meets them: its flag checks refuse such a command line first.
var (
	// ErrNoEndpoint: BunqPath and BankhubPath are both empty.
	ErrNoEndpoint = errors.New("gateway: no endpoint: BunqPath and BankhubPath are both empty")
	// ErrNoOutput: Out, Forward and Postgres are all empty, so no event
	// would be kept anywhere.
	ErrNoOutput = errors.New("gateway: no output: Out, Forward and Postgres are all empty")
	// ErrPostgresForward: Postgres and Forward are both set. The database
	// decides which deliveries are new after the forward target has seen
	// them, so a forward that failed would never be tried again.
	ErrPostgresForward = errors.New("gateway: Postgres and Forward do not go together")
)

// Config is what serve's command line decides: the validated settings of a
// Gateway, each named after its flag. New checks what needs the network or
// the file system (Redis answers, Out is bankhook's and free, the
// certificate loads, the recovery context is sound); the rest it takes as
// given, so a caller other than serve checks it first as serve does.
//
// The zero Config serves nothing: New refuses it with ErrNoEndpoint.
type Config struct {
	// BunqPath is the path of the bunq endpoint (--bunq-path), such as
	// "/bunq". Empty disables it.
	BunqPath string
	// BankhubPath is the path of the bankHub endpoint (--bankhub-path).
	// Empty disables it.
	BankhubPath string
	// BunqAllow and BankhubAllow are the CIDRs or addresses each bank may
	// send from (--allow, or the banks' published addresses, and
	// DevRanges with --dev). Nil allows no sender (fail closed). Unused
	// with AllowFile.
	BunqAllow, BankhubAllow []string
	// AllowFile is the file of senders both banks share (--allow-file),
	// read again on SIGHUP and when it changes. Empty: BunqAllow and
	// BankhubAllow.
	AllowFile string
	// Dev (--dev) adds DevRanges to AllowFile's list. False: the file's
	// list alone.
	Dev bool
	// TrustedProxies are the CIDRs or addresses of reverse proxies whose
	// X-Forwarded-For is believed (--trust-proxy). Nil: none; then every
	// sender connects itself, and a peer no allowlist holds is closed at
	// accept.
	TrustedProxies []string
	// Token is the secret both endpoints require as ?token= (--token,
	// --token-file or BANKHOOK_TOKEN). Empty requires none.
	Token string
	// Rate and Burst bound the requests of each client address to each
	// bank (--rate, --burst). Zero: bankhook.DefaultRate and
	// bankhook.DefaultBurst.
	Rate  rate.Limit
	Burst int
	// MaxBody is the largest body accepted, in bytes (--max-body). Zero:
	// bankhook.DefaultMaxBody.
	MaxBody int64
	// Redis is the address (host:port or redis:// URL) of the dedupe
	// store both banks share (--redis); New checks that it answers.
	// Empty: each bank's store is in memory, filled from Out.
	Redis string
	// Capacity is the keys each in-memory dedupe store remembers
	// (--dedupe-capacity). Zero: bankhook.DefaultLRUCapacity.
	Capacity int
	// FailOpen (--dedupe-fail-open) handles events without dedupe while
	// the store fails. False: they are answered 503 (fail closed).
	FailOpen bool
	// Postgres is the URL of the PostgreSQL database whose table
	// bankhook_events each event goes to, one row committed before the
	// bank is answered (--postgres or BANKHOOK_POSTGRES_URL). The database
	// decides which deliveries are duplicates, so replicas that share it
	// write each event once. Empty: none.
	Postgres string
	// Out is the file event lines are appended to and synced (--out),
	// locked for the gateway's life; "-" is Options.Stdout. Empty: no
	// output file, Forward alone.
	Out string
	// Forward is the URL each event line is POSTed to before the bank is
	// acknowledged (--forward). Empty: none.
	Forward string
	// TLSCert and TLSKey are the PEM files of the certificate chain and
	// key to serve HTTPS with (--tls-cert, --tls-key). Empty: plain HTTP.
	TLSCert, TLSKey string
	// Inspect is the loopback address of the delivery inspector
	// (--inspect, or inspect.DefaultAddr with --dev). Empty: no inspector.
	Inspect string
	// InspectOptional is set when Inspect was not asked for but chosen
	// by --dev: an address that cannot be listened on is then logged as a
	// warning and the inspector left out. False: it is an error.
	InspectOptional bool
	// Metrics is the host:port of the Prometheus metrics listener
	// (--metrics), which answers the health checks too. Empty: none.
	Metrics string
	// MaxConns is the most connections open at once on the banks'
	// listener (--max-conns); more wait to be accepted. Zero:
	// DefaultMaxConns.
	MaxConns int
	// BunqContext is the bunq API context file (--bunq-context) recovery
	// re-sends bunq's failed callbacks with. Empty: no recovery.
	BunqContext string
	// BunqURL is the callback URL serve receives bunq's callbacks at
	// (--bunq-url): recovery re-sends only its failures. Needed with
	// BunqContext.
	BunqURL string
	// BunqRecover is the interval between recovery passes
	// (--bunq-recover). Zero: bunqapi.DefaultRecoverInterval.
	BunqRecover time.Duration
}

// Options are a Gateway's inputs that are not settings. The zero value
// logs nothing and writes Config.Out "-" to os.Stdout.
type Options struct {
	// Logger receives the gateway's log lines. Nil discards them.
	Logger *slog.Logger
	// Stdout is where Config.Out "-" writes. Nil: os.Stdout.
	Stdout io.Writer
	// UserAgent is the User-Agent of the requests to Config.Forward.
	// Empty: "bankhook".
	UserAgent string
}

// Gateway is bankhook serve: built by New, run by Serve, released by
// Close. Its zero value is not usable. Serve and Close may be called from
// different goroutines, Close after Serve has returned (or instead of
// Serve).
type Gateway struct {
	cfg      Config
	logger   *slog.Logger
	out      *output.Writer  // nil: Forward alone
	client   *redis.Client   // nil: in-memory dedupe stores
	events   *pgevents.Table // nil: no --postgres
	allow    map[string]*bankhook.IPAllowlist
	insp     *inspect.Inspector // nil: no inspector
	srv      *http.Server
	recovery *recovery
	closers  []func() error // what New opened, in order; Close runs them backwards
	close    sync.Once      // guards running closers
	closeErr error          // what the closers returned, set under close
}

// New builds the gateway cfg describes, opening its dedupe stores, its
// output, the watch of its allowlist file and its metrics listener. ctx
// bounds the work of starting (the Redis check, reading Out back); the
// gateway does not end with it. When New fails it closes whatever it had
// opened: the error is all that is left.
func New(ctx context.Context, cfg Config, o Options) (*Gateway, error) {
	switch {
	case cfg.BunqPath == "" && cfg.BankhubPath == "":
		return nil, ErrNoEndpoint
	case cfg.Out == "" && cfg.Forward == "" && cfg.Postgres == "":
		return nil, ErrNoOutput
	case cfg.Postgres != "" && cfg.Forward != "":
		return nil, ErrPostgresForward
	}
	cfg.setDefaults()
	o.setDefaults()
	g := &Gateway{cfg: cfg, logger: o.Logger}
	if err := g.open(ctx, o); err != nil {
		return nil, errors.Join(err, g.Close())
	}
	return g, nil
}

// setDefaults fills in the zero values' defaults.
func (c *Config) setDefaults() {
	if c.Capacity == 0 {
		c.Capacity = bankhook.DefaultLRUCapacity
	}
	if c.MaxConns == 0 {
		c.MaxConns = DefaultMaxConns
	}
	if c.BunqContext != "" && c.BunqRecover == 0 {
		c.BunqRecover = defaultRecoverInterval
	}
}

// setDefaults fills in the zero values' defaults.
func (o *Options) setDefaults() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Stdout == nil {
		o.Stdout = os.Stdout
	}
	if o.UserAgent == "" {
		o.UserAgent = "bankhook"
	}
}

// open is New's work, in the order serve has always started in; each
// part opened pushes its closer.
func (g *Gateway) open(ctx context.Context, o Options) error {
	stores, err := g.dedupeStores(ctx)
	if err != nil {
		return err
	}
	if g.cfg.Out != "" {
		out, err := output.Open(g.cfg.Out, o.Stdout, output.Options{MaxLineBytes: g.cfg.maxLineBytes(), Logger: g.logger})
		if err != nil {
			return err
		}
		g.out = out
		g.push(func() error {
			if err := out.Close(); err != nil {
				return fmt.Errorf("close output: %w", err)
			}
			return nil
		})
	}
	if err := g.openPostgres(ctx); err != nil {
		return err
	}
	s := &sink{out: g.out, pg: g.events}
	if g.cfg.Forward != "" {
		s.forward = forward.New(g.cfg.Forward, o.UserAgent)
	}
	if g.insp, err = g.newInspector(); err != nil {
		return err
	}
	if g.allow, err = g.allowlists(ctx); err != nil {
		return err
	}
	handler, err := g.handler(stores, s)
	if err != nil {
		return err
	}
	g.srv = &http.Server{
		Handler:           accesslog.Handler(g.logger, handler),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          accesslog.ErrorLog(g.logger),
	}
	if g.cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(g.cfg.TLSCert, g.cfg.TLSKey)
		if err != nil {
			return fmt.Errorf("--tls-cert/--tls-key: %w", err)
		}
		g.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	g.recovery, err = g.newRecovery()
	return err
}

// push adds f to the closers Close runs.
func (g *Gateway) push(f func() error) { g.closers = append(g.closers, f) }

// handler returns the banks' endpoints and the health checks, and starts
// the metrics listener when Config.Metrics asks for one.
func (g *Gateway) handler(stores map[string]bankhook.Store, s *sink) (http.Handler, error) {
	healthz := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = io.WriteString(w, "ok\n")
	})
	readyz := readiness(g.logger, g.out, g.client, g.events)
	metricsSrv, err := g.startMetrics(map[string]http.Handler{"GET " + HealthzPath: healthz, "GET " + ReadyzPath: readyz})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET "+HealthzPath, healthz)
	mux.Handle("GET "+ReadyzPath, readyz)
	obs := bankhook.MultiObserver(accesslog.Observer{}, g.insp.Observer())
	for _, e := range []struct {
		name, path string
		allow      []string
		build      func(bankhook.ReceiverOptions) (http.Handler, error)
	}{
		{"bunq", g.cfg.BunqPath, g.cfg.BunqAllow, func(o bankhook.ReceiverOptions) (http.Handler, error) {
			return bunq.NewReceiver(bunq.Config{Handler: s.bunq, ReceiverOptions: o})
		}},
		{"bankhub", g.cfg.BankhubPath, g.cfg.BankhubAllow, func(o bankhook.ReceiverOptions) (http.Handler, error) {
			return bankhub.NewReceiver(bankhub.Config{Handler: s.bankhub, ReceiverOptions: o})
		}},
	} {
		if e.path == "" {
			continue
		}
		o := g.cfg.pipeline(g.allow[e.name], stores[e.name], obs, g.logger)
		if s.pg != nil {
			o.Middleware = append(o.Middleware, withHeader)
		}
		if metricsSrv != nil {
			metricsSrv.Instrument(&o, e.name)
			if lru, ok := stores[e.name].(*bankhook.LRUStore); ok {
				metricsSrv.DedupeEvictions(e.name, lru.Evictions)
			}
		}
		h, err := e.build(o)
		if err != nil {
			return nil, err
		}
		mux.Handle(e.path, g.insp.Watch(e.name, h))
		if g.cfg.AllowFile != "" {
			g.logger.Info(e.name+" endpoint", "path", e.path, "allow_file", g.cfg.AllowFile, "entries", g.allow[e.name].Len())
		} else {
			g.logger.Info(e.name+" endpoint", "path", e.path, "allow", strings.Join(e.allow, ","))
		}
	}
	return mux, nil
}

// startMetrics starts the metrics listener, serving health too, or
// returns nil without Config.Metrics. Close shuts it down.
func (g *Gateway) startMetrics(health map[string]http.Handler) (*metrics.Server, error) {
	if g.cfg.Metrics == "" {
		return nil, nil
	}
	m, err := metrics.Start(g.cfg.Metrics, g.logger, health)
	if err != nil {
		return nil, err
	}
	g.push(func() error { // after the banks' server: scraped until it has stopped
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		return m.Shutdown(ctx)
	})
	return m, nil
}

// Serve serves the banks' endpoints on ln until ctx ends, then shuts down
// gracefully: it stops the inspector first (its replays go through the
// banks' endpoints), then finishes the requests in flight. It stops too
// when the output fails for good, so that the next start repairs Out and
// reads it back, and returns that failure. ln is gated: at most
// Config.MaxConns connections at once, and without TrustedProxies a peer
// neither bank's allowlist holds is closed at accept. Serve closes ln. It
// is called at most once; Close still has to be called after it.
func (g *Gateway) Serve(ctx context.Context, ln net.Listener) (err error) {
	gated := gate.New(ln, g.cfg.MaxConns, g.cfg.admitAtAccept(g.allow))
	stopInspector, err := g.startInspector(g.srv.Handler, gated.Addr().String())
	if err != nil {
		_ = gated.Close()
		return err
	}
	defer stopInspector()
	g.logListening(gated.Addr())
	stopRecovery := g.recovery.start(ctx)
	defer stopRecovery()

	served := make(chan error, 1)
	go func() {
		if g.srv.TLSConfig != nil {
			served <- g.srv.ServeTLS(gated, "", "")
		} else {
			served <- g.srv.Serve(gated)
		}
	}()
	var fatal <-chan struct{} // nil, which never fires, with Forward alone
	if g.out != nil {
		fatal = g.out.Fatal()
	}
	select {
	case err := <-served: // the listener failed
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	case <-fatal:
		// Whether a batch reached the disk is unknown: serve takes no more
		// events (each is answered 503 by now) and stops, so that the next
		// start repairs --out and reads it back, which settles every key of
		// that batch. The keys stay reserved meanwhile.
		g.logger.Error("output failed: stopping, so that the next start repairs --out and reads it back", "out", g.cfg.Out, "error", g.out.FatalErr())
		defer func() { err = errors.Join(err, fmt.Errorf("output: %w", g.out.FatalErr())) }()
	}
	stopInspector() // first: its replays go through the banks' handler to the output
	return g.shutdown(ctx, served)
}

// logListening logs the address the banks are served on, with what
// serve writes events to.
func (g *Gateway) logListening(addr net.Addr) {
	scheme := "http"
	if g.srv.TLSConfig != nil {
		scheme = "https"
	}
	attrs := []any{"out", g.cfg.Out, "max_conns", g.cfg.MaxConns}
	if g.cfg.Forward != "" {
		attrs = append(attrs, "forward", redact.URL(g.cfg.Forward))
	}
	if g.client != nil { // the address only: a URL may hold a password
		attrs = append(attrs, "redis", g.client.Options().Addr)
	}
	g.logger.Info(fmt.Sprintf("listening on %s://%s", scheme, addr), attrs...)
}

// shutdown finishes the requests in flight and waits for the server's
// goroutine, whose result served carries.
func (g *Gateway) shutdown(ctx context.Context, served <-chan error) error {
	g.logger.Info("shutting down: finishing requests in flight", "timeout", shutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := g.srv.Shutdown(shutdownCtx); err != nil {
		_ = g.srv.Close()
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	g.logger.Info("stopped")
	return nil
}

// Close releases what New opened, the last opened first: the metrics
// listener (after Serve, so that it is scraped until the banks' server
// has stopped), the allowlist file's watch, the output (its lock
// released), the Redis client. It returns their errors joined. Calling it
// again does nothing and returns the same error.
func (g *Gateway) Close() error {
	g.close.Do(func() {
		var errs []error
		for i := len(g.closers) - 1; i >= 0; i-- {
			errs = append(errs, g.closers[i]())
		}
		g.closers = nil
		g.closeErr = errors.Join(errs...)
	})
	return g.closeErr
}

// pipeline returns the options of one bank's receiver: what the config
// says, with allow as its senders and store as its dedupe store.
func (c *Config) pipeline(allow *bankhook.IPAllowlist, store bankhook.Store, obs bankhook.Observer, logger *slog.Logger) bankhook.ReceiverOptions {
	o := bankhook.ReceiverOptions{
		Allow:          allow,
		TrustedProxies: c.TrustedProxies,
		RateLimit:      bankhook.RateLimitOptions{Rate: c.Rate, Burst: c.Burst},
		Body:           bankhook.BodyOptions{MaxBytes: c.MaxBody},
		Dedupe:         bankhook.DedupeOptions{Store: store, FailClosed: !c.FailOpen},
		Observer:       obs,
		Logger:         logger,
	}
	if c.Token != "" {
		o.Tokens = []string{c.Token}
	}
	return o
}
