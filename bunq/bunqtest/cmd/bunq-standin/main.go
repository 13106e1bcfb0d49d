// Command bunq-standin runs bunqtest, the stand-in of bunq's API, on a
// loopback port with one user, so that `bankhook bunq …` and `bankhook
// serve --bunq-recover --bunq-url URL` can be tried by hand without a bunq
// account.
//
// Usage:
//
//	bunq-standin [flags]
//
// It prints the API's URL (for --api-url), the user and its API key (for
// BUNQ_API_KEY), and the URL of a few control endpoints:
//
//	POST /pay?amount=-12.50&description=…  a payment on the user's account: bunq calls back its MUTATION and PAYMENT filters
//	POST /advance?by=6m                     moves the clock forward, making the callback attempts that fall due
//	POST /add-filter?category=…&url=…       adds a URL filter of the user, as another service or bunq's app would
//	POST /expire-sessions?status=403        ends every session: the next call gets 403 "Insufficient authentication." (or 401 with status=401)
//	GET  /status                            the clock, the callbacks waiting for a retry, the failed ones
//
// /pay, /add-filter and /status act on the user made at start, or with
// ?user=ID on another one, such as a user bankhook bunq sandbox-user made.
//
// The stand-in's clock follows the wall clock from the start (callbacks go
// out within a second); /advance jumps it forward, past bunq's five
// minutes of retries, say. Callback URLs must be https: start `bankhook
// serve` with --tls-cert and --tls-key and give the certificate to --ca.
// SIGINT or SIGTERM stops it.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/bankhook/bankhook/bunq"
	"github.com/bankhook/bankhook/bunq/bunqtest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole command; it returns the exit status: 0 after a signal,
// 1 when it cannot start, 2 for a usage error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f, status := parseFlags(args, stderr)
	if status >= 0 {
		return status
	}
	tlsConfig, err := deliveryTLS(f.caFile, f.insecure)
	if err != nil {
		fmt.Fprintf(stderr, "bunq-standin: %v\n", err)
		return 1
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	if f.quiet {
		logger = slog.New(slog.DiscardHandler)
	}
	ctl, err := net.Listen("tcp", f.control)
	if err != nil {
		fmt.Fprintf(stderr, "bunq-standin: control: %v\n", err)
		return 1
	}
	srv, err := newServer(bunqtest.Options{
		Start: time.Now().UTC(), Addr: f.addr, RateWindow: f.rateWindow, SessionTimeout: f.sessionTimeout,
		PageLimit: f.pageLimit, ExtraCategories: f.extraCategories, DeliveryTLS: tlsConfig, Logger: logger,
	})
	if err != nil {
		_ = ctl.Close()
		fmt.Fprintf(stderr, "bunq-standin: %v\n", err)
		return 1
	}
	defer srv.Close()
	u, err := srv.AddUser(bunqtest.UserOptions{Kind: f.kind})
	if err != nil {
		_ = ctl.Close()
		fmt.Fprintf(stderr, "bunq-standin: %v\n", err)
		return 2
	}

	hs := &http.Server{Handler: controlHandler(srv, u), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.Serve(ctl) }()
	defer hs.Close()

	fmt.Fprintf(stdout, "bunq stand-in API  %s\n", srv.URL())
	fmt.Fprintf(stdout, "control            http://%s\n", ctl.Addr())
	fmt.Fprintf(stdout, "user               %d (%s), monetary account %d\n", u.ID, u.Kind, u.AccountID)
	fmt.Fprintf(stdout, "export BUNQ_API_KEY=%s\n", u.APIKey)
	followWallClock(ctx, srv)
	return 0
}

// flags are the command's flags, parsed.
type flags struct {
	addr, control, kind, caFile string
	insecure, quiet             bool
	rateWindow, sessionTimeout  time.Duration
	pageLimit                   int
	extraCategories             []bunq.Category
}

// parseFlags parses args, writing usage errors to stderr. It returns the
// exit status when the command is to stop (0 for -help, 2 for a usage
// error), else -1.
func parseFlags(args []string, stderr io.Writer) (flags, int) {
	var f flags
	fs := flag.NewFlagSet("bunq-standin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.addr, "addr", "127.0.0.1:0", "loopback `host:port` of the API (port 0 picks a free one)")
	fs.StringVar(&f.control, "control", "127.0.0.1:0", "loopback `host:port` of the control endpoints")
	fs.StringVar(&f.kind, "kind", "UserPerson", "kind of the user: UserPerson, UserCompany, UserApiKey or UserPaymentServiceProvider")
	fs.StringVar(&f.caFile, "ca", "", "PEM `file` of certificates to trust when calling callback URLs (a self-signed --tls-cert of bankhook serve)")
	fs.BoolVar(&f.insecure, "insecure", false, "do not verify the certificates of callback servers (pinned chains are still checked)")
	fs.DurationVar(&f.rateWindow, "rate-window", bunqtest.DefaultRateWindow, "window of bunq's rate limits; negative turns them off")
	fs.DurationVar(&f.sessionTimeout, "session-timeout", bunqtest.DefaultSessionTimeout, "the users' session_timeout: an unused session ends after it")
	fs.IntVar(&f.pageLimit, "page-limit", 200, "the most entries a page of a listing holds (bunq: count, at most 200)")
	fs.Func("extra-category", "a callback `category` filters may use besides bunq's documented ones (repeatable)", func(v string) error {
		f.extraCategories = append(f.extraCategories, bunq.Category(v))
		return nil
	})
	fs.BoolVar(&f.quiet, "quiet", false, "do not log API requests and callback attempts")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return f, 0
		}
		return f, 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "bunq-standin: unexpected argument %q\n", fs.Arg(0))
		return f, 2
	}
	return f, -1
}

// deliveryTLS is the TLS configuration of the callbacks: trusting the
// certificates of caFile besides the system's when it is not empty, and
// verifying none when insecure is set.
func deliveryTLS(caFile string, insecure bool) (*tls.Config, error) {
	tlsConfig := &tls.Config{InsecureSkipVerify: insecure} // only when asked, for a local trial
	if caFile == "" {
		return tlsConfig, nil
	}
	pemBytes, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pemBytes) {
		return nil, fmt.Errorf("%s holds no PEM certificate", caFile)
	}
	tlsConfig.RootCAs = roots
	return tlsConfig, nil
}

// followWallClock moves srv's clock forward with the wall clock, once a
// second, until ctx ends.
func followWallClock(ctx context.Context, srv *bunqtest.Server) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			srv.Advance(now.Sub(last))
			last = now
		}
	}
}

// newServer is bunqtest.NewServer without the panic.
func newServer(o bunqtest.Options) (srv *bunqtest.Server, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return bunqtest.NewServer(o), nil
}

// controlHandler serves the control endpoints. Those about a user act on
// the one of ?user=ID (a sandbox user a client made, say), else on u.
func controlHandler(srv *bunqtest.Server, first bunqtest.User) http.Handler {
	mux := http.NewServeMux()
	userOf := func(w http.ResponseWriter, r *http.Request) (bunqtest.User, bool) {
		v := r.URL.Query().Get("user")
		if v == "" {
			return first, true
		}
		id, err := strconv.ParseInt(v, 10, 64)
		u, ok := srv.User(id)
		if err != nil || !ok {
			http.Error(w, "no user "+v, http.StatusNotFound)
			return bunqtest.User{}, false
		}
		return u, true
	}
	mux.HandleFunc("POST /pay", func(w http.ResponseWriter, r *http.Request) {
		u, ok := userOf(w, r)
		if !ok {
			return
		}
		amount := r.URL.Query().Get("amount")
		if amount == "" {
			amount = "-10.00"
		}
		p, err := srv.Pay(u.AccountID, amount, r.URL.Query().Get("description"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "payment %d: %s on account %d\n", p.ID, p.Amount, p.MonetaryAccountID)
	})
	mux.HandleFunc("POST /advance", func(w http.ResponseWriter, r *http.Request) {
		by, err := time.ParseDuration(r.URL.Query().Get("by"))
		if err != nil || by < 0 {
			http.Error(w, "want ?by=DURATION, as 6m", http.StatusBadRequest)
			return
		}
		n := srv.Advance(by)
		fmt.Fprintf(w, "clock %s, %d callback attempts made\n", srv.Now().Format(time.DateTime), n)
	})
	mux.HandleFunc("POST /add-filter", func(w http.ResponseWriter, r *http.Request) {
		u, ok := userOf(w, r)
		if !ok {
			return
		}
		f := bunq.NotificationFilterURL{Category: bunq.Category(r.URL.Query().Get("category")), NotificationTarget: r.URL.Query().Get("url")}
		if err := srv.SetFilters(u.ID, 0, append(srv.Filters(u.ID, 0), f)); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "%d filters\n", len(srv.Filters(u.ID, 0)))
	})
	mux.HandleFunc("POST /expire-sessions", func(w http.ResponseWriter, r *http.Request) {
		status := http.StatusForbidden
		if v := r.URL.Query().Get("status"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				http.Error(w, "want ?status=403 or ?status=401", http.StatusBadRequest)
				return
			}
			status = n
		}
		if err := srv.SetEndedSessionStatus(status); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		srv.ExpireSessions()
		fmt.Fprintf(w, "sessions ended: the next call gets %d\n", status)
	})
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		u, ok := userOf(w, r)
		if !ok {
			return
		}
		fmt.Fprintf(w, "clock %s\ncallbacks waiting for a retry: %d\nfailed callbacks: %d\n",
			srv.Now().Format(time.DateTime), srv.Pending(), len(srv.Failures(u.ID)))
	})
	return mux
}
