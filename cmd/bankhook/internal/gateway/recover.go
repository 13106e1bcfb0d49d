package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/bunq/bunqapi"
)

// RecoverMaxAge is the age of the oldest failure recovery re-sends: the
// dedupe TTL less a margin, since the event of a failure may have been
// handled (its answer lost) at bunq's first attempt, minutes before the
// failure was stored, and the re-sent callback arrives after the pass, or
// minutes later when bunq retries it. An older failure re-sent could be
// handled twice; it is logged with its id instead, for bankhook bunq retry.
const RecoverMaxAge = bankhook.DefaultDedupeTTL - time.Hour

// defaultRecoverInterval is Config.BunqRecover's default.
const defaultRecoverInterval = bunqapi.DefaultRecoverInterval

// recovery is the loop re-sending the callbacks bunq gave up on: a
// bunqapi.Recoverer running beside the receiver with Config.BunqContext.
// It re-sends only the failures of Config.BunqURL (compared as bunqapi
// compares targets: scheme and host case-insensitive, the rest, token
// included, exact) younger than RecoverMaxAge. The zero value (no BunqContext) does
// nothing.
type recovery struct {
	r      *bunqapi.Recoverer
	logger *slog.Logger
}

// newRecovery loads --bunq-context, so that a missing or unsafe file
// stops serve before it listens. It makes no API call.
func (g *Gateway) newRecovery() (*recovery, error) {
	c, logger := &g.cfg, g.logger
	if c.BunqContext == "" {
		return &recovery{}, nil
	}
	client, err := bunqapi.Load(c.BunqContext, bunqapi.Options{Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("--bunq-context: %w", err)
	}
	r, err := bunqapi.NewRecoverer(client, bunqapi.RecoverOptions{
		Interval: c.BunqRecover,
		Target:   c.BunqURL,
		MaxAge:   RecoverMaxAge,
		Logger:   logger,
	})
	if err != nil {
		return nil, fmt.Errorf("--bunq-recover: %w", err)
	}
	logger.Info("bunq recovery", "user_id", client.UserID(), "api", client.BaseURL(), "interval", c.BunqRecover, "max_age", RecoverMaxAge)
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
