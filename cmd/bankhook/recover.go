package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/bunq/bunqapi"
)

// recoverMaxAge is the age of the oldest failure recovery re-sends: the
// dedupe TTL less a margin, since the event of a failure may have been
// handled (its answer lost) at bunq's first attempt, minutes before the
// failure was stored, and the re-sent callback arrives after the pass, or
// minutes later when bunq retries it. An older failure re-sent could be
// handled twice; it is logged with its id instead, for bankhook bunq retry.
const recoverMaxAge = bankhook.DefaultDedupeTTL - time.Hour

// recovery is serve's loop re-sending the callbacks bunq gave up on: a
// bunqapi.Recoverer running beside the receiver with --bunq-context. It
// re-sends only the failures of --bunq-url (compared as bunqapi compares
// targets: scheme and host case-insensitive, the rest, token included,
// exact) younger than recoverMaxAge. The zero value (no --bunq-context)
// does nothing.
type recovery struct {
	r      *bunqapi.Recoverer
	logger *slog.Logger
}

// validateRecovery checks --bunq-context, --bunq-recover and --bunq-url
// and fills in the default interval.
func (c *serveConfig) validateRecovery(set map[string]bool) error {
	switch {
	case set["bunq-context"] && c.bunqContext == "":
		return errors.New("--bunq-context: empty file name")
	case set["bunq-recover"] && c.bunqContext == "":
		return errors.New("--bunq-recover needs --bunq-context, the API context to re-send failed callbacks with")
	case set["bunq-url"] && c.bunqContext == "":
		return errors.New("--bunq-url needs --bunq-context: it says which failed callbacks recovery re-sends")
	case c.bunqContext != "" && c.bunqURL == "":
		return errors.New("--bunq-context needs --bunq-url, the callback URL serve receives at (the --url given to bankhook bunq subscribe): recovery re-sends only its failed callbacks")
	case c.bunqRecover < 0 || (c.bunqRecover > 0 && c.bunqRecover < bunqapi.MinRecoverInterval):
		return fmt.Errorf("--bunq-recover %v: want at least %v", c.bunqRecover, bunqapi.MinRecoverInterval)
	}
	if c.bunqURL != "" {
		if err := c.checkBunqURL(); err != nil {
			return fmt.Errorf("--bunq-url: %w", err)
		}
	}
	if c.bunqContext != "" && c.bunqRecover == 0 {
		c.bunqRecover = bunqapi.DefaultRecoverInterval
	}
	return nil
}

// checkBunqURL checks --bunq-url: an https URL, or with --dev an http URL
// on a loopback host; with --token, its token must be that one, or serve
// would refuse bunq's callbacks to it. Its errors never quote the URL,
// whose query holds the token.
func (c *serveConfig) checkBunqURL() error {
	u, err := url.Parse(c.bunqURL)
	if err != nil {
		return errors.New("not a URL")
	}
	switch scheme := strings.ToLower(u.Scheme); {
	case u.Host == "" || u.Hostname() == "":
		return errors.New("want an absolute https URL with a host")
	case u.User != nil || u.Fragment != "":
		return errors.New("want no user information and no fragment")
	case scheme == "https":
	case scheme == "http" && c.dev && isLoopbackHost(u.Hostname()):
	case scheme == "http" && c.dev:
		return errors.New("an http URL must be on a loopback host (localhost, 127.0.0.1, ::1)")
	default:
		return errors.New("want an https URL (with --dev, http on a loopback host too)")
	}
	if c.token != "" && u.Query().Get("token") != c.token {
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

// newRecovery loads --bunq-context, so that a missing or unsafe file
// stops serve before it listens. It makes no API call.
func (c *serveConfig) newRecovery(logger *slog.Logger) (*recovery, error) {
	if c.bunqContext == "" {
		return &recovery{}, nil
	}
	client, err := bunqapi.Load(c.bunqContext, bunqapi.Options{Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("--bunq-context: %w", err)
	}
	r, err := bunqapi.NewRecoverer(client, bunqapi.RecoverOptions{
		Interval: c.bunqRecover,
		Target:   c.bunqURL,
		MaxAge:   recoverMaxAge,
		Logger:   logger,
	})
	if err != nil {
		return nil, fmt.Errorf("--bunq-recover: %w", err)
	}
	logger.Info("bunq recovery", "user_id", client.UserID(), "api", client.BaseURL(), "interval", c.bunqRecover, "max_age", recoverMaxAge)
	return &recovery{r: r, logger: logger}, nil
}

// start runs the loop in a goroutine of its own until ctx ends or stop
// is called: the receiver never waits on it. stop ends the loop and
// waits for it.
func (rc *recovery) start(ctx context.Context) (stop func()) {
	if rc.r == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = rc.r.Run(ctx) // it ends with ctx; failed passes are logged by the Recoverer
	}()
	return func() {
		cancel()
		<-done
	}
}
