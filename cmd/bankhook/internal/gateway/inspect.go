package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"

	"github.com/bankhook/bankhook/cmd/bankhook/internal/inspect"
	"github.com/bankhook/bankhook/hooktest/samples"
)

// newInspector returns the inspector of the bank endpoints, or nil
// without Config.Inspect.
func (g *Gateway) newInspector() (*inspect.Inspector, error) {
	c := &g.cfg
	if c.Inspect == "" {
		return nil, nil
	}
	var banks []inspect.Bank
	for _, b := range []inspect.Bank{
		{Name: "bunq", Path: c.BunqPath, SampleNames: samples.BunqNames, Sample: samples.Bunq},
		{Name: "bankhub", Path: c.BankhubPath, SampleNames: samples.BankhubNames, Sample: samples.Bankhub},
	} {
		if b.Path != "" {
			banks = append(banks, b)
		}
	}
	return inspect.New(inspect.Options{Banks: banks, Token: c.Token, Line: eventLine})
}

// startInspector serves the inspector on Config.Inspect, with replays
// and samples served by handler as requests to the banks' listener
// bankAddr, and returns the function that stops it (idempotent). It logs
// the address to open, with the access token of this process. An address
// that cannot be listened on is an error, except for the one --dev chose
// by itself (Config.InspectOptional): then the inspector is left out with
// a warning, as --dev is for trials and another program may hold port
// 4040.
func (g *Gateway) startInspector(handler http.Handler, bankAddr string) (stop func(), err error) {
	if g.insp == nil {
		return func() {}, nil
	}
	logger := g.logger
	s, err := g.insp.Listen(g.cfg.Inspect, handler, bankAddr, slog.NewLogLogger(logger.Handler(), slog.LevelWarn))
	switch {
	case err != nil && g.cfg.InspectOptional:
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
