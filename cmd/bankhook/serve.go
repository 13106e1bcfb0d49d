package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"golang.org/x/time/rate"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/bankhub"
	"github.com/bankhook/bankhook/bunq"
	"github.com/bankhook/bankhook/bunq/bunqapi"
	"github.com/bankhook/bankhook/cmd/bankhook/internal/gateway"
	"github.com/bankhook/bankhook/cmd/bankhook/internal/inspect"
	"github.com/bankhook/bankhook/cmd/bankhook/internal/output"
)

// serveUsage is serve's usage text. The dedupe store's TTL and capacity it
// names are the library's defaults (a test checks them).
const serveUsage = `Usage: bankhook serve [flags]

Receives bunq callbacks at /bunq and bankHub webhooks at /bankhub through
the whole bankhook pipeline (sender allowlist, rate limit, URL token, body
limits, typed decoding, dedupe) and writes each event handled for the first
time to --out as one JSON line:

  {"provider":"bunq","key":"…","category":"MUTATION","event_type":"MUTATION_CREATED",
   "object_type":"Payment","received_at":"2025-03-14T09:12:44.5Z","event":{…},"raw":{…}}

The line is written and synced before the bank is answered 2xx;
concurrent events share one write and one fsync. When the line cannot be
written, the bank gets a 5xx and delivers the event again. A duplicate
delivery is answered from the dedupe store and writes no line.

Restarts: with a --out file, serve reads the keys of its newest lines back
into the in-memory dedupe store when it starts (those of the last 72 h, up
to 100,000 a bank), so a retry that arrives after a restart is answered as
a replay, without a second line. A last line cut short by a crash is
removed first (it belongs to no acknowledged event), and a file that is not
bankhook's output is refused, never written to. With --out - (standard
output) there is nothing to read back: the store starts empty. With --redis
the shared store remembers the handled events itself and --out is not read
back (only checked and repaired).

With --forward URL each event's line is POSTed (application/json, with an
Idempotency-Key header holding the key) to URL first; only when URL answers
2xx is the line written to --out and the bank answered 2xx, otherwise the
bank gets 502 and retries. --out therefore lists acknowledged events; the
forward target may see an event again if writing --out then fails or serve
crashes before the line is synced, so it should deduplicate by key.

With --dev (or --inspect ADDR) a delivery inspector runs on a loopback
listener of its own, 127.0.0.1:4040 unless --inspect says otherwise: a
page that lists the last 500 deliveries live, shows each one's request
(the URL token and credentials hidden), answer, typed event and output
line, replays a delivery through the pipeline and sends the built-in
samples. It never listens on --addr's port, nor on anything but
loopback.

With --bunq-context FILE (a context saved by bankhook bunq login) and
--bunq-url URL (the URL given to bankhook bunq subscribe --url) serve also
heals the callbacks bunq gave up on: at start and every --bunq-recover
interval it lists bunq's failed callbacks and has bunq send again those
that failed on --bunq-url (scheme and host compared case-insensitively,
the rest, token included, exactly) and are younger than the dedupe TTL
less an hour (71 h); dedupe makes one that was handled before harmless.
Older ones are logged with their ids, never re-sent (re-send by hand with
bankhook bunq retry those never handled); failures of other URLs are left
alone. --bunq-url is https, or with --dev http on a loopback host. A
failing pass is logged and tried again at the next interval; receiving
never waits on it.

Events go somewhere durable, or serve does not start: an --out file, a
--forward URL, or a PostgreSQL database (--postgres). --out - (standard output) is accepted with --dev, or when
standard output is redirected to a file (then it is synced like any
--out); a pipe, a terminal or a log driver may drop lines after the bank
got its 2xx. serve holds a lock on --out for its whole life: a second
serve on the same file refuses to start.

PostgreSQL: with --postgres URL (or BANKHOOK_POSTGRES_URL) each event is
one row of the table bankhook_events (created if missing), inserted in
the transaction that finds it new and committed before the bank is
answered. The database decides: a duplicate finds its row (a replay), a
delivery racing one in flight is answered 409, and while the database is
unreachable serve answers 503 with Retry-After. Replicas that share the
database share nothing else. --out may be given too: the line is written
after the commit. --forward does not go with --postgres.

Dedupe: each bank's dedupe store is in memory (--dedupe-capacity keys,
100,000 by default, filled from --out at start), or Redis with --redis,
shared by every replica. While the store fails serve answers 503
store_unavailable with Retry-After, and the bank retries (fail closed);
--dedupe-fail-open handles events without dedupe instead, which may
write an event twice, and is logged as a warning at start.

Secrets: the URL token is read from --token-file FILE or the environment
variable BANKHOOK_TOKEN, the Redis URL from BANKHOOK_REDIS_URL, the
PostgreSQL URL from BANKHOOK_POSTGRES_URL. --token, or --redis or
--postgres with a password in it, works too but shows in ps and in shell
history, and is logged as a warning at start.

--dev is for trying serve on this machine: only loopback addresses may
send (give --allow for others), events go to standard output unless --out
says otherwise, and the inspector runs; on an --addr other than loopback
it needs a token.

GET /healthz answers 200 to anyone while the process runs (liveness);
GET /readyz answers 200 while the dedupe store (--redis), PostgreSQL
(--postgres) and the output can be used, 503 otherwise (readiness, for load balancers). --metrics ADDR
serves Prometheus metrics at /metrics on a listener of its own.

--allow-file FILE holds the senders allowed, one CIDR or address a line,
# comments; it is read again on SIGHUP and when it changes, and a bad
version is refused (logged with its line) while the previous list stays.

Log lines go to stderr (the query string, which holds the token, is never
logged): every acknowledged event and every 5xx answer; rejections at most
one line a second per reason and sender network (/24, /48), carrying the
count held back since the last (suppressed=N). SIGINT or SIGTERM finishes
the requests in flight, then exits.
`

// Environment variables serve reads its secrets from, so that they stay
// out of ps and shell history.
const (
	envToken    = "BANKHOOK_TOKEN"
	envRedisURL = "BANKHOOK_REDIS_URL"
	envPostgres = "BANKHOOK_POSTGRES_URL"
)

// recoverMaxAge is the age of the oldest failed callback recovery
// re-sends, which the usage text names.
const recoverMaxAge = gateway.RecoverMaxAge

// serveConfig is serve's validated command line: the gateway's settings,
// the address its listener listens on, and what only the command line
// has.
type serveConfig struct {
	gateway.Config
	addr      string   // --addr: host:port of the banks' listener
	tokenFile string   // --token-file: where Token was read from
	warnings  []string // what serve logs as warnings at start: unsafe choices it accepted
}

// serveFlags are the flags that fill no serveConfig field directly.
type serveFlags struct {
	allow, trustProxy *string
	dev               *bool
	rate              *float64
}

// register defines serve's flags on fs, filling c where a flag is a field.
func (c *serveConfig) register(fs *flag.FlagSet) serveFlags {
	f := serveFlags{
		allow:      fs.String("allow", "", "`CIDR`s or addresses (comma-separated) allowed to send, replacing both banks' published addresses (bunq "+strings.Join(bunq.ProductionRanges(), ", ")+"; bankHub "+strings.Join(bankhub.ProductionIPs(), ", ")+")"),
		dev:        fs.Bool("dev", false, "for trials on this machine: also allow its own addresses ("+strings.Join(gateway.DevRanges, ", ")+"), write events to standard output unless --out is given, and run the inspector"),
		trustProxy: fs.String("trust-proxy", "", "`CIDR`s or addresses (comma-separated) of reverse proxies whose X-Forwarded-For is believed"),
		rate:       fs.Float64("rate", 0, fmt.Sprintf("requests a second allowed per client address and bank (0 means %v)", float64(bankhook.DefaultRate))),
	}
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "`host:port` to listen on (port 0 picks a free one)")
	fs.StringVar(&c.BunqPath, "bunq-path", "/bunq", "`path` of the bunq endpoint; empty disables it")
	fs.StringVar(&c.BankhubPath, "bankhub-path", "/bankhub", "`path` of the bankHub endpoint; empty disables it")
	fs.StringVar(&c.Token, "token", "", "`secret` both endpoints require as ?token=secret; shows in ps: prefer --token-file or "+envToken)
	fs.StringVar(&c.tokenFile, "token-file", "", "`file` holding the secret both endpoints require as ?token=secret (default: $"+envToken+")")
	fs.BoolVar(&c.FailOpen, "dedupe-fail-open", false, "while the dedupe store fails, handle events without dedupe (an event may be written twice) instead of answering 503")
	fs.IntVar(&c.Capacity, "dedupe-capacity", bankhook.DefaultLRUCapacity, "`keys` each bank's in-memory dedupe store remembers; a key evicted before 72 h is counted and logged")
	fs.IntVar(&c.MaxConns, "max-conns", gateway.DefaultMaxConns, "concurrent connections accepted on --addr; more wait to be accepted")
	fs.IntVar(&c.Burst, "burst", 0, fmt.Sprintf("burst of requests allowed per client address and bank (0 means %d)", bankhook.DefaultBurst))
	fs.Int64Var(&c.MaxBody, "max-body", 0, fmt.Sprintf("largest body accepted, in `bytes` (0 means %d)", bankhook.DefaultMaxBody))
	fs.StringVar(&c.Redis, "redis", "", "Redis `address` (host:port or redis:// URL) of the dedupe store shared by both endpoints and by every replica (default $"+envRedisURL+", else in memory)")
	fs.StringVar(&c.Postgres, "postgres", "", "PostgreSQL `URL` whose table bankhook_events each event is inserted into, committed before the bank is answered; the database decides which deliveries are duplicates (default $"+envPostgres+")")
	fs.StringVar(&c.Out, "out", "", "`file` the event lines are appended to and synced, and read back on start; - is standard output (default - with --dev, else required unless --forward)")
	fs.StringVar(&c.Forward, "forward", "", "`URL` each event line is POSTed to before the bank is acknowledged")
	fs.StringVar(&c.TLSCert, "tls-cert", "", "certificate chain `file` (PEM) to serve HTTPS with; needs --tls-key")
	fs.StringVar(&c.TLSKey, "tls-key", "", "private key `file` (PEM) of --tls-cert")
	fs.StringVar(&c.Inspect, "inspect", "", "serve the delivery inspector on `host:port`, a loopback address (with --dev: "+inspect.DefaultAddr+"; off turns it off)")
	fs.StringVar(&c.BunqContext, "bunq-context", "", "bunq API context `file` (from bankhook bunq login): re-send bunq's failed callbacks every --bunq-recover")
	fs.StringVar(&c.BunqURL, "bunq-url", "", "the callback `URL` serve receives bunq's callbacks at (bankhook bunq subscribe --url); needs --bunq-context, and recovery re-sends only its failures")
	fs.DurationVar(&c.BunqRecover, "bunq-recover", 0, fmt.Sprintf("`interval` between passes re-sending bunq's failed callbacks; needs --bunq-context (0 means %v)", bunqapi.DefaultRecoverInterval))
	fs.StringVar(&c.AllowFile, "allow-file", "", "`file` of CIDRs or addresses allowed to send (one a line, # comments), replacing both banks' published addresses like --allow; read again on SIGHUP and when it changes")
	fs.StringVar(&c.Metrics, "metrics", "", "`host:port` to serve Prometheus metrics on, at /metrics (for example 127.0.0.1:9464); never the banks' port")
	return f
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("serve", serveUsage)
	var c serveConfig
	f := c.register(fs)
	positional, code, ok := parseFlags(fs, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(positional) > 0 {
		return usageError(fs, stderr, "unexpected argument %q", positional[0])
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if err := c.fill(set, f, stdout); err != nil {
		return usageError(fs, stderr, "%v", err)
	}

	logger := slog.New(slog.NewTextHandler(stderr, nil))
	for _, w := range c.warnings {
		logger.Warn(w)
	}
	if err := c.run(ctx, logger, stdout); err != nil {
		logger.Error("bankhook serve: " + err.Error())
		if errors.Is(err, output.ErrInUse) { // another serve writes to --out: a mistake in the setup
			return exitUsage
		}
		return exitFailure
	}
	return exitOK
}

// fill completes c from the flags set and those of f, the secrets and
// --dev's defaults, and validates it: every error is a usage error.
func (c *serveConfig) fill(set map[string]bool, f serveFlags, stdout io.Writer) error {
	c.BunqAllow = bunq.ProductionRanges()
	c.BankhubAllow = bankhub.ProductionIPs()
	if set["allow"] {
		entries := splitList(*f.allow)
		if len(entries) == 0 {
			return errors.New("--allow: no address given")
		}
		c.BunqAllow, c.BankhubAllow = entries, slices.Clone(entries)
	}
	c.Dev = *f.dev
	if c.Dev {
		c.BunqAllow = append(c.BunqAllow, gateway.DevRanges...)
		c.BankhubAllow = append(c.BankhubAllow, gateway.DevRanges...)
		if !set["inspect"] {
			c.Inspect, c.InspectOptional = inspect.DefaultAddr, true
		}
		if !set["out"] && !set["forward"] {
			c.Out = "-"
		}
	}
	if c.Inspect == "off" {
		c.Inspect = ""
	}
	c.TrustedProxies = splitList(*f.trustProxy)
	c.Rate = rate.Limit(*f.rate)
	if err := c.readSecrets(set, os.Getenv); err != nil {
		return err
	}
	if err := c.validate(set); err != nil {
		return err
	}
	return c.checkDurable(stdout)
}

// run builds the gateway, listens on --addr and serves until ctx ends,
// then shuts down gracefully. The error is for a server that could not
// start or stop cleanly.
func (c *serveConfig) run(ctx context.Context, logger *slog.Logger, stdout io.Writer) error {
	g, err := gateway.New(ctx, c.Config, gateway.Options{Logger: logger, Stdout: stdout, UserAgent: userAgent()})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return errors.Join(err, g.Close())
	}
	err = g.Serve(ctx, ln)
	return errors.Join(err, g.Close())
}

// validate checks what can be checked without touching the network or
// the file system: every mistake found here is a usage error.
func (c *serveConfig) validate(set map[string]bool) error {
	if _, _, err := net.SplitHostPort(c.addr); err != nil {
		return fmt.Errorf("--addr %q: want host:port: %w", c.addr, err)
	}
	for _, p := range []struct{ flag, path string }{{"--bunq-path", c.BunqPath}, {"--bankhub-path", c.BankhubPath}} {
		if err := checkEndpointPath(p.path); err != nil {
			return fmt.Errorf("%s %q: %w", p.flag, p.path, err)
		}
	}
	switch {
	case c.BunqPath == "" && c.BankhubPath == "":
		return errors.New("--bunq-path and --bankhub-path are both empty: nothing to serve")
	case c.BunqPath != "" && c.BunqPath == c.BankhubPath:
		return fmt.Errorf("--bunq-path and --bankhub-path are both %q", c.BunqPath)
	}
	if _, err := bankhook.NewIPAllowlist(c.BunqAllow...); err != nil {
		return fmt.Errorf("--allow: %w", err)
	}
	if _, err := bankhook.NewIPAllowlist(c.BankhubAllow...); err != nil {
		return fmt.Errorf("--allow: %w", err)
	}
	if set["allow-file"] {
		switch {
		case c.AllowFile == "":
			return errors.New("--allow-file: empty file name")
		case set["allow"]:
			return errors.New("--allow and --allow-file both name the senders: give one")
		}
	}
	if set["metrics"] {
		if _, _, err := net.SplitHostPort(c.Metrics); err != nil {
			return fmt.Errorf("--metrics %q: want host:port: %w", c.Metrics, err)
		}
		if _, port, _ := net.SplitHostPort(c.Metrics); c.Metrics == c.addr && port != "0" {
			return fmt.Errorf("--metrics %q: the banks' address (--addr); metrics need a listener of their own", c.Metrics)
		}
	}
	if set["trust-proxy"] {
		if len(c.TrustedProxies) == 0 {
			return errors.New("--trust-proxy: no address given")
		}
		if _, err := bankhook.NewIPAllowlist(c.TrustedProxies...); err != nil {
			return fmt.Errorf("--trust-proxy: %w", err)
		}
	}
	return c.validateLimits(set)
}

// validateLimits checks the limits, the outputs and what runs beside the
// receivers, for validate.
func (c *serveConfig) validateLimits(set map[string]bool) error {
	if c.Rate < 0 || math.IsNaN(float64(c.Rate)) {
		return fmt.Errorf("--rate %v: want a positive number of requests a second", float64(c.Rate))
	}
	if c.Burst < 0 {
		return fmt.Errorf("--burst %d: want a positive number of requests", c.Burst)
	}
	if c.MaxBody < 0 {
		return fmt.Errorf("--max-body %d: want a positive number of bytes", c.MaxBody)
	}
	if set["out"] && c.Out == "" {
		return errors.New("--out: empty file name (use - for standard output)")
	}
	if c.Dev && c.Token == "" && !isLoopbackAddr(c.addr) {
		return fmt.Errorf("--dev on --addr %s, which is not loopback: anyone who reaches it could send events; give a token (--token-file or %s), or listen on 127.0.0.1", c.addr, envToken)
	}
	if c.Capacity <= 0 {
		return fmt.Errorf("--dedupe-capacity %d: want a positive number of keys", c.Capacity)
	}
	if c.MaxConns <= 0 {
		return fmt.Errorf("--max-conns %d: want a positive number of connections", c.MaxConns)
	}
	if c.FailOpen {
		c.warnings = append(c.warnings, "--dedupe-fail-open: while the dedupe store fails, events are handled without dedupe, and an event may be written twice")
	}
	if c.Redis != "" && strings.Contains(c.Redis, "://") {
		if _, err := redis.ParseURL(c.Redis); err != nil {
			return fmt.Errorf("--redis: %w", err)
		}
	}
	if c.Postgres != "" {
		if _, err := pgxpool.ParseConfig(c.Postgres); err != nil { // its error shows the URL with the password as xxxxx
			return fmt.Errorf("--postgres: %w", err)
		}
		if c.Forward != "" {
			return errors.New("--forward does not go with --postgres: the database decides which deliveries are new after the target saw them, so a failed forward would never be retried")
		}
	}
	if set["forward"] {
		u, err := url.Parse(c.Forward)
		if err != nil {
			return fmt.Errorf("--forward: %w", err)
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("--forward %q: want an http:// or https:// URL", c.Forward)
		}
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("--tls-cert and --tls-key go together: give both or neither")
	}
	if err := c.validateInspect(); err != nil {
		return err
	}
	return c.validateRecovery(set)
}

// validateInspect checks --inspect: a loopback address, never the banks'
// port.
func (c *serveConfig) validateInspect() error {
	if c.Inspect == "" {
		return nil
	}
	what := "--inspect " + strconv.Quote(c.Inspect)
	if c.InspectOptional {
		what = "--dev's inspector address " + c.Inspect
	}
	if err := inspect.CheckAddr(c.Inspect); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	_, port, _ := net.SplitHostPort(c.Inspect)
	_, bankPort, _ := net.SplitHostPort(c.addr)
	p, _ := net.LookupPort("tcp", port)
	bp, err := net.LookupPort("tcp", bankPort)
	if err == nil && p != 0 && p == bp {
		return fmt.Errorf("%s: port %d is the banks' (--addr): the inspector needs a listener of its own; pick another port, or --inspect off", what, p)
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
	case p == gateway.HealthzPath || p == gateway.ReadyzPath:
		return errors.New("is a health check's path")
	}
	return nil
}

// validateRecovery checks --bunq-context, --bunq-recover and --bunq-url
// and fills in the default interval.
func (c *serveConfig) validateRecovery(set map[string]bool) error {
	switch {
	case set["bunq-context"] && c.BunqContext == "":
		return errors.New("--bunq-context: empty file name")
	case set["bunq-recover"] && c.BunqContext == "":
		return errors.New("--bunq-recover needs --bunq-context, the API context to re-send failed callbacks with")
	case set["bunq-url"] && c.BunqContext == "":
		return errors.New("--bunq-url needs --bunq-context: it says which failed callbacks recovery re-sends")
	case c.BunqContext != "" && c.BunqURL == "":
		return errors.New("--bunq-context needs --bunq-url, the callback URL serve receives at (the --url given to bankhook bunq subscribe): recovery re-sends only its failed callbacks")
	case c.BunqRecover < 0 || (c.BunqRecover > 0 && c.BunqRecover < bunqapi.MinRecoverInterval):
		return fmt.Errorf("--bunq-recover %v: want at least %v", c.BunqRecover, bunqapi.MinRecoverInterval)
	}
	if c.BunqURL != "" {
		if err := c.checkBunqURL(); err != nil {
			return fmt.Errorf("--bunq-url: %w", err)
		}
	}
	if c.BunqContext != "" && c.BunqRecover == 0 {
		c.BunqRecover = bunqapi.DefaultRecoverInterval
	}
	return nil
}

// checkBunqURL checks --bunq-url: an https URL, or with --dev an http URL
// on a loopback host; with --token, its token must be that one, or serve
// would refuse bunq's callbacks to it. Its errors never quote the URL,
// whose query holds the token.
func (c *serveConfig) checkBunqURL() error {
	u, err := url.Parse(c.BunqURL)
	if err != nil {
		return errors.New("not a URL")
	}
	switch scheme := strings.ToLower(u.Scheme); {
	case u.Host == "" || u.Hostname() == "":
		return errors.New("want an absolute https URL with a host")
	case u.User != nil || u.Fragment != "":
		return errors.New("want no user information and no fragment")
	case scheme == "https":
	case scheme == "http" && c.Dev && isLoopbackHost(u.Hostname()):
	case scheme == "http" && c.Dev:
		return errors.New("an http URL must be on a loopback host (localhost, 127.0.0.1, ::1)")
	default:
		return errors.New("want an https URL (with --dev, http on a loopback host too)")
	}
	if c.Token != "" && u.Query().Get("token") != c.Token {
		return errors.New("its token= is not --token's: serve would refuse bunq's callbacks to it")
	}
	return nil
}

// isLoopbackHost reports whether host is localhost or a loopback address.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
