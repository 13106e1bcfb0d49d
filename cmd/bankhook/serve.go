package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/time/rate"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/bankhub"
	"github.com/bankhook/bankhook/bunq"
	"github.com/bankhook/bankhook/redisstore"
)

const serveUsage = `Usage: bankhook serve [flags]

Receives bunq callbacks at /bunq and bankHub webhooks at /bankhub through
the whole bankhook pipeline (sender allowlist, rate limit, URL token, body
limits, typed decoding, dedupe) and writes each event handled for the first
time to --out as one JSON line:

  {"provider":"bunq","key":"…","category":"MUTATION","event_type":"MUTATION_CREATED",
   "object_type":"Payment","received_at":"2025-03-14T09:12:44.5Z","event":{…},"raw":{…}}

The line is written and synced before the bank is answered 2xx; when it
cannot be, the bank gets a 5xx and delivers the event again. A duplicate
delivery is answered from the dedupe store and writes no line.

With --forward URL each event's line is POSTed (application/json, with an
Idempotency-Key header holding the key) to URL first; only when URL answers
2xx is the line written to --out and the bank answered 2xx, otherwise the
bank gets 502 and retries. --out therefore lists acknowledged events; the
forward target may see an event again if writing --out then fails, so it
should deduplicate by key.

GET /healthz answers 200 to anyone, for load balancers. One log line per
request goes to stderr (the query string, which holds the token, is never
logged). SIGINT or SIGTERM finishes the requests in flight, then exits.
`

// Server limits: a slow or oversized request cannot hold a connection.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 15 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 60 * time.Second
	maxHeaderBytes    = 64 << 10
	// shutdownTimeout bounds the wait for requests in flight on SIGTERM:
	// longer than the handler deadline, so a handled event is answered.
	shutdownTimeout = 30 * time.Second
	// forwardTimeout bounds a --forward request, inside the handler's
	// deadline (bankhook.DefaultDeadline, 25 s).
	forwardTimeout = 20 * time.Second
	// redisDialTimeout bounds the check that --redis answers at startup.
	redisDialTimeout = 5 * time.Second
)

// devRanges are the loopback and private ranges --dev allows, for trials
// from this machine or a local network.
var devRanges = []string{"127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"}

// serveConfig is serve's validated command line.
type serveConfig struct {
	addr         string
	bunqPath     string
	bankhubPath  string
	bunqAllow    []string
	bankhubAllow []string
	trustedProxy []string
	token        string
	rate         rate.Limit
	burst        int
	maxBody      int64
	redis        string
	out          string
	forward      string
	tlsCert      string
	tlsKey       string
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("serve", serveUsage)
	var (
		c          serveConfig
		allow      = fs.String("allow", "", "`CIDR`s or addresses (comma-separated) allowed to send, replacing both banks' published addresses (bunq "+strings.Join(bunq.ProductionRanges, ", ")+"; bankHub "+strings.Join(bankhub.ProductionIPs, ", ")+")")
		dev        = fs.Bool("dev", false, "also allow loopback and private addresses ("+strings.Join(devRanges, ", ")+"), for local trials")
		trustProxy = fs.String("trust-proxy", "", "`CIDR`s or addresses (comma-separated) of reverse proxies whose X-Forwarded-For is believed")
		rateFlag   = fs.Float64("rate", 0, fmt.Sprintf("requests a second allowed per client address and bank (0 means %v)", float64(bankhook.DefaultRate)))
	)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "`host:port` to listen on (port 0 picks a free one)")
	fs.StringVar(&c.bunqPath, "bunq-path", "/bunq", "`path` of the bunq endpoint; empty disables it")
	fs.StringVar(&c.bankhubPath, "bankhub-path", "/bankhub", "`path` of the bankHub endpoint; empty disables it")
	fs.StringVar(&c.token, "token", "", "`secret` both endpoints require as ?token=secret")
	fs.IntVar(&c.burst, "burst", 0, fmt.Sprintf("burst of requests allowed per client address and bank (0 means %d)", bankhook.DefaultBurst))
	fs.Int64Var(&c.maxBody, "max-body", 0, fmt.Sprintf("largest body accepted, in `bytes` (0 means %d)", bankhook.DefaultMaxBody))
	fs.StringVar(&c.redis, "redis", "", "Redis `address` (host:port or redis:// URL) of the dedupe store shared by both endpoints and by every replica; default in memory")
	fs.StringVar(&c.out, "out", "-", "`file` the event lines are appended to; - is standard output")
	fs.StringVar(&c.forward, "forward", "", "`URL` each event line is POSTed to before the bank is acknowledged")
	fs.StringVar(&c.tlsCert, "tls-cert", "", "certificate chain `file` (PEM) to serve HTTPS with; needs --tls-key")
	fs.StringVar(&c.tlsKey, "tls-key", "", "private key `file` (PEM) of --tls-cert")

	positional, code, ok := parseFlags(fs, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(positional) > 0 {
		return usageError(fs, stderr, "unexpected argument %q", positional[0])
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	c.bunqAllow = slices.Clone(bunq.ProductionRanges)
	c.bankhubAllow = slices.Clone(bankhub.ProductionIPs)
	if set["allow"] {
		entries := splitList(*allow)
		if len(entries) == 0 {
			return usageError(fs, stderr, "--allow: no address given")
		}
		c.bunqAllow, c.bankhubAllow = entries, slices.Clone(entries)
	}
	if *dev {
		c.bunqAllow = append(c.bunqAllow, devRanges...)
		c.bankhubAllow = append(c.bankhubAllow, devRanges...)
	}
	c.trustedProxy = splitList(*trustProxy)
	c.rate = rate.Limit(*rateFlag)
	if err := c.validate(set); err != nil {
		return usageError(fs, stderr, "%v", err)
	}

	logger := slog.New(slog.NewTextHandler(stderr, nil))
	if err := c.run(ctx, logger, stdout); err != nil {
		logger.Error("bankhook serve: " + err.Error())
		return exitFailure
	}
	return exitOK
}

// validate checks what can be checked without touching the network or
// the file system: every mistake found here is a usage error.
func (c *serveConfig) validate(set map[string]bool) error {
	if _, _, err := net.SplitHostPort(c.addr); err != nil {
		return fmt.Errorf("--addr %q: want host:port: %w", c.addr, err)
	}
	for _, p := range []struct{ flag, path string }{{"--bunq-path", c.bunqPath}, {"--bankhub-path", c.bankhubPath}} {
		if err := checkEndpointPath(p.path); err != nil {
			return fmt.Errorf("%s %q: %w", p.flag, p.path, err)
		}
	}
	switch {
	case c.bunqPath == "" && c.bankhubPath == "":
		return errors.New("--bunq-path and --bankhub-path are both empty: nothing to serve")
	case c.bunqPath != "" && c.bunqPath == c.bankhubPath:
		return fmt.Errorf("--bunq-path and --bankhub-path are both %q", c.bunqPath)
	}
	if _, err := bankhook.NewIPAllowlist(c.bunqAllow...); err != nil {
		return fmt.Errorf("--allow: %w", err)
	}
	if _, err := bankhook.NewIPAllowlist(c.bankhubAllow...); err != nil {
		return fmt.Errorf("--allow: %w", err)
	}
	if set["trust-proxy"] {
		if len(c.trustedProxy) == 0 {
			return errors.New("--trust-proxy: no address given")
		}
		if _, err := bankhook.NewIPAllowlist(c.trustedProxy...); err != nil {
			return fmt.Errorf("--trust-proxy: %w", err)
		}
	}
	if set["token"] && c.token == "" {
		return errors.New("--token: empty secret")
	}
	if c.rate < 0 || math.IsNaN(float64(c.rate)) {
		return fmt.Errorf("--rate %v: want a positive number of requests a second", float64(c.rate))
	}
	if c.burst < 0 {
		return fmt.Errorf("--burst %d: want a positive number of requests", c.burst)
	}
	if c.maxBody < 0 {
		return fmt.Errorf("--max-body %d: want a positive number of bytes", c.maxBody)
	}
	if c.out == "" {
		return errors.New("--out: empty file name (use - for standard output)")
	}
	if set["redis"] && c.redis == "" {
		return errors.New("--redis: empty address")
	}
	if c.redis != "" && strings.Contains(c.redis, "://") {
		if _, err := redis.ParseURL(c.redis); err != nil {
			return fmt.Errorf("--redis: %w", err)
		}
	}
	if set["forward"] {
		u, err := url.Parse(c.forward)
		if err != nil {
			return fmt.Errorf("--forward: %w", err)
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("--forward %q: want an http:// or https:// URL", c.forward)
		}
	}
	if (c.tlsCert == "") != (c.tlsKey == "") {
		return errors.New("--tls-cert and --tls-key go together: give both or neither")
	}
	return nil
}

// checkEndpointPath accepts "" (disabled) or an absolute URL path that is
// not /healthz and holds nothing the request router would read as a
// pattern.
func checkEndpointPath(p string) error {
	switch {
	case p == "":
		return nil
	case !strings.HasPrefix(p, "/"):
		return errors.New("must start with /")
	case strings.ContainsAny(p, "{}?#% \t\r\n"):
		return errors.New("must be a plain path, without braces, escapes, query, fragment or spaces")
	case p == healthzPath:
		return errors.New("is the health check's path")
	}
	return nil
}

// healthzPath answers 200 to GET from anyone.
const healthzPath = "/healthz"

// run serves until ctx ends, then shuts down gracefully. The error is for
// a server that could not start or stop cleanly.
func (c *serveConfig) run(ctx context.Context, logger *slog.Logger, stdout io.Writer) (err error) {
	out, err := openLines(c.out, stdout)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("close output: %w", cerr))
		}
	}()

	var bunqStore, bankhubStore bankhook.Store // nil: each receiver's own LRUStore
	var redisAddr string                       // host:port, for the log: a URL may hold a password
	if c.redis != "" {
		client, err := c.redisClient(ctx)
		if err != nil {
			return err
		}
		defer client.Close()
		redisAddr = client.Options().Addr
		bunqStore = redisstore.New(client, redisstore.Options{Prefix: redisstore.DefaultPrefix + "bunq:"})
		bankhubStore = redisstore.New(client, redisstore.Options{Prefix: redisstore.DefaultPrefix + "bankhub:"})
	}

	s := &sink{out: out}
	if c.forward != "" {
		s.forward = newForwarder(c.forward)
	}
	obs := accessObserver{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+healthzPath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = io.WriteString(w, "ok\n")
	})
	var tokens []string
	if c.token != "" {
		tokens = []string{c.token}
	}
	if c.bunqPath != "" {
		h, err := bunq.NewReceiver(bunq.Config{
			Handler:        s.bunq,
			Allow:          c.bunqAllow,
			TrustedProxies: c.trustedProxy,
			Tokens:         tokens,
			Rate:           c.rate,
			Burst:          c.burst,
			MaxBody:        c.maxBody,
			Store:          bunqStore,
			Observer:       obs,
			Logger:         logger,
		})
		if err != nil {
			return err
		}
		mux.Handle(c.bunqPath, h)
		logger.Info("bunq endpoint", "path", c.bunqPath, "allow", strings.Join(c.bunqAllow, ","))
	}
	if c.bankhubPath != "" {
		h, err := bankhub.NewReceiver(bankhub.Config{
			Handler:        s.bankhub,
			Allow:          c.bankhubAllow,
			TrustedProxies: c.trustedProxy,
			Tokens:         tokens,
			Rate:           c.rate,
			Burst:          c.burst,
			MaxBody:        c.maxBody,
			Store:          bankhubStore,
			Observer:       obs,
			Logger:         logger,
		})
		if err != nil {
			return err
		}
		mux.Handle(c.bankhubPath, h)
		logger.Info("bankhub endpoint", "path", c.bankhubPath, "allow", strings.Join(c.bankhubAllow, ","))
	}

	srv := &http.Server{
		Handler:           accessLog(logger, mux),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
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
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	attrs := []any{"out", c.out}
	if c.forward != "" {
		attrs = append(attrs, "forward", redactURL(c.forward))
	}
	if redisAddr != "" {
		attrs = append(attrs, "redis", redisAddr)
	}
	logger.Info(fmt.Sprintf("listening on %s://%s", scheme, ln.Addr()), attrs...)

	served := make(chan error, 1)
	go func() {
		if srv.TLSConfig != nil {
			served <- srv.ServeTLS(ln, "", "")
		} else {
			served <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-served: // the listener failed
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
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

// sink is what both receivers' handlers hand events to: the forward
// target, if any, then the output.
//
// A sink is safe for concurrent use.
type sink struct {
	out     *lineWriter
	forward *forwarder // nil without --forward
}

func (s *sink) bunq(ctx context.Context, n *bunq.Notification) error {
	return s.deliver(ctx, eventLine{
		Provider:   "bunq",
		Key:        n.IdempotencyKey(),
		Category:   string(n.Category),
		EventType:  string(n.EventType),
		ObjectType: n.Object.ObjectType(),
		Event:      n,
	})
}

func (s *sink) bankhub(ctx context.Context, w *bankhub.Webhook) error {
	return s.deliver(ctx, eventLine{
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
func (s *sink) deliver(ctx context.Context, l eventLine) error {
	if key, ok := bankhook.IdempotencyKeyFrom(ctx); ok {
		l.Key = key
	}
	body, ok := bankhook.BodyFrom(ctx)
	if !ok {
		return bankhook.ErrNoBody
	}
	l.Raw = body
	l.ReceivedAt = time.Now()
	line, err := marshalLine(l)
	if err != nil {
		return err
	}
	if s.forward != nil {
		if err := s.forward.post(ctx, l.Key, line); err != nil {
			return &bankhook.StatusError{Status: http.StatusBadGateway, Err: err}
		}
	}
	return s.out.WriteLine(line)
}

// forwarder POSTs event lines to --forward. It is safe for concurrent use.
type forwarder struct {
	url    string
	client *http.Client
}

func newForwarder(u string) *forwarder {
	return &forwarder{url: u, client: &http.Client{
		Timeout: forwardTimeout,
		// A redirect is not an acknowledgement: following it would turn
		// the POST into a GET for 301/302/303.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// post sends line and reports an error unless the target answers 2xx.
func (f *forwarder) post(ctx context.Context, key string, line []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.url, bytes.NewReader(line))
	if err != nil {
		return fmt.Errorf("bankhook: forward: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	req.Header.Set("User-Agent", userAgent())
	resp, err := f.client.Do(req)
	if err != nil {
		return fmt.Errorf("bankhook: forward: %w", redactError(err))
	}
	// Drain a little so the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if !bankhook.Acknowledged(resp.StatusCode) {
		return fmt.Errorf("bankhook: forward: %s answered %s", redactURL(f.url), resp.Status)
	}
	return nil
}

// redactURL drops the query and credentials of u for logs: both may hold
// secrets.
func redactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(forward URL)"
	}
	p.User, p.RawQuery, p.Fragment = nil, "", ""
	return p.String()
}

// requestLog is what the Observer learns about one request, for the
// access log line. It belongs to one request, served by one goroutine at a
// time.
type requestLog struct {
	clientIP netip.Addr
	reason   bankhook.Reason
	err      error
	key      string
	replayed bool
}

type requestLogKey struct{}

// accessObserver records rejections and acknowledgements in the request's
// requestLog, so that accessLog writes one line per request with the
// reason. It is safe for concurrent use.
type accessObserver struct{}

func (accessObserver) Rejected(r *http.Request, rej bankhook.Rejection) {
	if l, ok := r.Context().Value(requestLogKey{}).(*requestLog); ok {
		l.clientIP, _ = bankhook.ClientIPFrom(r.Context())
		l.reason, l.err = rej.Reason, rej.Err
	}
}

func (accessObserver) Handled(r *http.Request, o bankhook.Outcome) {
	if l, ok := r.Context().Value(requestLogKey{}).(*requestLog); ok {
		l.clientIP, _ = bankhook.ClientIPFrom(r.Context())
		l.key, l.replayed = o.Key, o.Replayed
	}
}

// accessLog writes one log line per request: method, path (never the
// query string: it holds the token), status, duration, client address and,
// from accessObserver, the rejection's reason and cause or the event's
// key.
func accessLog(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		l := &requestLog{}
		rec := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), requestLogKey{}, l)))

		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		client := l.clientIP
		if !client.IsValid() {
			if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
				client = ap.Addr().Unmap()
			}
		}
		attrs := make([]slog.Attr, 0, 9)
		attrs = append(attrs,
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", status),
			slog.Duration("duration", time.Since(start)),
			slog.String("client_ip", client.String()),
		)
		if l.reason != "" {
			attrs = append(attrs, slog.String("reason", string(l.reason)))
		}
		if l.err != nil {
			attrs = append(attrs, slog.String("error", l.err.Error()))
		}
		if l.key != "" {
			attrs = append(attrs, slog.String("key", l.key), slog.Bool("replayed", l.replayed))
		}
		level := slog.LevelInfo
		switch {
		case status >= 500:
			level = slog.LevelError
		case status >= 400:
			level = slog.LevelWarn
		}
		logger.LogAttrs(r.Context(), level, "request", attrs...)
	})
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
