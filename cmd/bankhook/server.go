package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/bankhub"
	"github.com/bankhook/bankhook/bunq"
	"github.com/bankhook/bankhook/cmd/bankhook/internal/accesslog"
	"github.com/bankhook/bankhook/cmd/bankhook/internal/forward"
	"github.com/bankhook/bankhook/cmd/bankhook/internal/metrics"
	"github.com/bankhook/bankhook/cmd/bankhook/internal/output"
	"github.com/bankhook/bankhook/cmd/bankhook/internal/redact"
)

// run serves until ctx ends, then shuts down gracefully. The error is for
// a server that could not start or stop cleanly.
func (c *serveConfig) run(ctx context.Context, logger *slog.Logger, stdout io.Writer) (err error) {
	stores, client, err := c.dedupeStores(ctx, logger)
	if err != nil {
		return err
	}
	var redisAddr string // host:port, for the log: a URL may hold a password
	if client != nil {
		defer client.Close()
		redisAddr = client.Options().Addr
	}
	var out *output.Writer // nil: --forward alone
	if c.out != "" {
		if out, err = output.Open(c.out, stdout, output.Options{MaxLineBytes: c.maxLineBytes(), Logger: logger}); err != nil {
			return err
		}
		defer func() {
			if cerr := out.Close(); cerr != nil {
				err = errors.Join(err, fmt.Errorf("close output: %w", cerr))
			}
		}()
	}

	s := &sink{out: out}
	if c.forward != "" {
		s.forward = forward.New(c.forward, userAgent())
	}
	insp, err := c.newInspector()
	if err != nil {
		return err
	}
	obs := bankhook.MultiObserver(accesslog.Observer{}, insp.Observer())
	allow, stopWatching, err := c.allowlists(ctx, logger)
	if err != nil {
		return err
	}
	defer stopWatching()
	healthz := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = io.WriteString(w, "ok\n")
	})
	readyz := readiness(logger, out, client)
	var metricsSrv *metrics.Server
	if c.metrics != "" {
		health := map[string]http.Handler{"GET " + healthzPath: healthz, "GET " + readyzPath: readyz}
		if metricsSrv, err = metrics.Start(c.metrics, logger, health); err != nil {
			return err
		}
		defer func() { // after the banks' server: scraped until it has stopped
			stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
			defer cancel()
			err = errors.Join(err, metricsSrv.Shutdown(stopCtx))
		}()
	}
	mux := http.NewServeMux()
	mux.Handle("GET "+healthzPath, healthz)
	mux.Handle("GET "+readyzPath, readyz)
	for _, e := range []struct {
		name, path string
		allow      []string
		build      func(bankhook.ReceiverOptions) (http.Handler, error)
	}{
		{"bunq", c.bunqPath, c.bunqAllow, func(o bankhook.ReceiverOptions) (http.Handler, error) {
			return bunq.NewReceiver(bunq.Config{Handler: s.bunq, ReceiverOptions: o})
		}},
		{"bankhub", c.bankhubPath, c.bankhubAllow, func(o bankhook.ReceiverOptions) (http.Handler, error) {
			return bankhub.NewReceiver(bankhub.Config{Handler: s.bankhub, ReceiverOptions: o})
		}},
	} {
		if e.path == "" {
			continue
		}
		o := c.pipeline(allow[e.name], stores[e.name], obs, logger)
		if metricsSrv != nil {
			metricsSrv.Instrument(&o, e.name)
			if lru, ok := stores[e.name].(*bankhook.LRUStore); ok {
				metricsSrv.DedupeEvictions(e.name, lru.Evictions)
			}
		}
		h, err := e.build(o)
		if err != nil {
			return err
		}
		mux.Handle(e.path, insp.Watch(e.name, h))
		if c.allowFile != "" {
			logger.Info(e.name+" endpoint", "path", e.path, "allow_file", c.allowFile, "entries", allow[e.name].Len())
		} else {
			logger.Info(e.name+" endpoint", "path", e.path, "allow", strings.Join(e.allow, ","))
		}
	}

	srv := &http.Server{
		Handler:           accesslog.Handler(logger, mux),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          accesslog.ErrorLog(logger),
	}
	scheme := "http"
	if c.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(c.tlsCert, c.tlsKey)
		if err != nil {
			return fmt.Errorf("--tls-cert/--tls-key: %w", err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		scheme = "https"
	}
	recovery, err := c.newRecovery(logger)
	if err != nil {
		return err
	}
	tcp, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	ln := newGateListener(tcp, c.maxConns, c.admitAtAccept(allow))
	stopInspector, err := c.startInspector(insp, srv.Handler, ln.Addr().String(), logger)
	if err != nil {
		_ = ln.Close()
		return err
	}
	defer stopInspector()
	attrs := []any{"out", c.out, "max_conns", c.maxConns}
	if c.forward != "" {
		attrs = append(attrs, "forward", redact.URL(c.forward))
	}
	if redisAddr != "" {
		attrs = append(attrs, "redis", redisAddr)
	}
	logger.Info(fmt.Sprintf("listening on %s://%s", scheme, ln.Addr()), attrs...)

	stopRecovery := recovery.start(ctx)
	defer stopRecovery()

	served := make(chan error, 1)
	go func() {
		if srv.TLSConfig != nil {
			served <- srv.ServeTLS(ln, "", "")
		} else {
			served <- srv.Serve(ln)
		}
	}()
	var fatal <-chan struct{} // nil, which never fires, with --forward alone
	if out != nil {
		fatal = out.Fatal()
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
		logger.Error("output failed: stopping, so that the next start repairs --out and reads it back", "out", c.out, "error", out.FatalErr())
		defer func() { err = errors.Join(err, fmt.Errorf("output: %w", out.FatalErr())) }()
	}
	stopInspector() // first: its replays go through the banks' handler to the output
	logger.Info("shutting down: finishing requests in flight", "timeout", shutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	logger.Info("stopped")
	return nil
}

// pipeline returns the options of one bank's receiver: what the command
// line says, with allow as its senders and store as its dedupe store.
func (c *serveConfig) pipeline(allow *bankhook.IPAllowlist, store bankhook.Store, obs bankhook.Observer, logger *slog.Logger) bankhook.ReceiverOptions {
	o := bankhook.ReceiverOptions{
		Allow:          allow,
		TrustedProxies: c.trustedProxy,
		RateLimit:      bankhook.RateLimitOptions{Rate: c.rate, Burst: c.burst},
		Body:           bankhook.BodyOptions{MaxBytes: c.maxBody},
		Dedupe:         bankhook.DedupeOptions{Store: store, FailClosed: !c.failOpen},
		Observer:       obs,
		Logger:         logger,
	}
	if c.token != "" {
		o.Tokens = []string{c.token}
	}
	return o
}

// admitAtAccept is the check of a connection's peer at accept: without
// --trust-proxy every sender connects itself, so a peer that neither
// bank's allowlist holds can send nothing the pipeline would take, and is
// closed before any byte is read. Behind a proxy the peer is the proxy,
// and the sender is judged by X-Forwarded-For: nil, every peer connects.
func (c *serveConfig) admitAtAccept(lists map[string]*bankhook.IPAllowlist) func(netip.Addr) bool {
	if len(c.trustedProxy) > 0 {
		return nil
	}
	var used []*bankhook.IPAllowlist
	for bank, path := range map[string]string{"bunq": c.bunqPath, "bankhub": c.bankhubPath} {
		if path != "" && !slices.Contains(used, lists[bank]) {
			used = append(used, lists[bank])
		}
	}
	return func(a netip.Addr) bool {
		for _, l := range used {
			if l.Contains(a) {
				return true
			}
		}
		return false
	}
}

// redisClient connects to --redis and checks that it answers, so that a
// wrong address stops serve at once instead of turning every delivery
// into a store failure.
func (c *serveConfig) redisClient(ctx context.Context) (*redis.Client, error) {
	opts := &redis.Options{Addr: c.redis}
	if strings.Contains(c.redis, "://") {
		var err error
		if opts, err = redis.ParseURL(c.redis); err != nil {
			return nil, fmt.Errorf("--redis: %w", err)
		}
	}
	opts.ContextTimeoutEnabled = true // redisstore bounds each call by context
	client := redis.NewClient(opts)
	pingCtx, cancel := context.WithTimeout(ctx, redisDialTimeout)
	defer cancel()
	if err := client.Ping(pingCtx).Err(); err != nil {
		_ = client.Close()
		return nil, fmt.Errorf("--redis %s: %w", opts.Addr, err)
	}
	return client, nil
}
