package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/bankhook/bankhook/bunq/bunqapi"
)

// recovery is serve's loop re-sending the callbacks bunq gave up on: a
// bunqapi.Recoverer running beside the receiver with --bunq-context. The
// zero value (no --bunq-context) does nothing.
type recovery struct {
	r      *bunqapi.Recoverer
	logger *slog.Logger
}

// validateRecovery checks --bunq-context and --bunq-recover and fills in
// the default interval.
func (c *serveConfig) validateRecovery(set map[string]bool) error {
	switch {
	case set["bunq-context"] && c.bunqContext == "":
		return errors.New("--bunq-context: empty file name")
	case set["bunq-recover"] && c.bunqContext == "":
		return errors.New("--bunq-recover needs --bunq-context, the API context to re-send failed callbacks with")
	case c.bunqRecover < 0 || (c.bunqRecover > 0 && c.bunqRecover < bunqapi.MinRecoverInterval):
		return fmt.Errorf("--bunq-recover %v: want at least %v", c.bunqRecover, bunqapi.MinRecoverInterval)
	}
	if c.bunqContext != "" && c.bunqRecover == 0 {
		c.bunqRecover = bunqapi.DefaultRecoverInterval
	}
	return nil
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
	r, err := bunqapi.NewRecoverer(client, bunqapi.RecoverOptions{Interval: c.bunqRecover, Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("--bunq-recover: %w", err)
	}
	logger.Info("bunq recovery", "user_id", client.UserID(), "api", client.BaseURL(), "interval", c.bunqRecover)
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
