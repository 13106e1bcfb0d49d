package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"

	"github.com/bankhook/bankhook/cmd/bankhook/internal/inspect"
)

// newInspector returns the inspector of serve's bank endpoints, or nil
// without --inspect (or --dev).
func (c *serveConfig) newInspector() (*inspect.Inspector, error) {
	if c.inspect == "" {
		return nil, nil
	}
	var banks []inspect.Bank
	for _, e := range []struct{ name, path string }{{"bunq", c.bunqPath}, {"bankhub", c.bankhubPath}} {
		if e.path != "" {
			p := providers[e.name]
			banks = append(banks, inspect.Bank{Name: e.name, Path: e.path, SampleNames: p.names, Sample: p.sample})
		}
	}
	return inspect.New(inspect.Options{Banks: banks, Token: c.token, Line: eventLine})
}

// startInspector serves insp on --inspect, with replays and samples
// served by handler as requests to the banks' listener bankAddr, and
// returns the function that stops it (idempotent). It logs the address
// to open, with the access token of this process. An address that
// cannot be listened on is an error, except for the one --dev chose by
// itself: then the inspector is left out with a warning, as --dev is for
// trials and another program may hold port 4040.
func (c *serveConfig) startInspector(insp *inspect.Inspector, handler http.Handler, bankAddr string, logger *slog.Logger) (stop func(), err error) {
	if insp == nil {
		return func() {}, nil
	}
	s, err := insp.Listen(c.inspect, handler, bankAddr, slog.NewLogLogger(logger.Handler(), slog.LevelWarn))
	switch {
	case err != nil && c.inspectDev:
		logger.Warn("inspector not started: "+err.Error(), "hint", "--inspect ADDR picks another address")
		return func() {}, nil
	case err != nil:
		return nil, fmt.Errorf("--inspect: %w", err)
	}
	// The address carries the access token: whoever reads this line may
	// open the inspector, as whoever reads serve's output may read the
	// events.
	logger.Info("inspector on " + s.AccessURL())
	var once sync.Once
	return func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
			defer cancel()
			if err := s.Shutdown(ctx); err != nil {
				logger.Warn(err.Error())
			}
		})
	}, nil
}
