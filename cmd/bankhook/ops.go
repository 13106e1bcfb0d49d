package main

import (
	"context"
	"log/slog"
	"os"
	"syscall"

	"github.com/redis/go-redis/v9"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/cmd/bankhook/internal/output"
	"github.com/bankhook/bankhook/cmd/bankhook/internal/ready"
)

// allowlists returns each bank's allowlist. With --allow-file both banks
// share one list, kept equal to the file (read again on SIGHUP and when it
// changes) until ctx ends or stop is called; otherwise each bank has its
// own, from --allow or its published addresses.
func (c *serveConfig) allowlists(ctx context.Context, logger *slog.Logger) (lists map[string]*bankhook.IPAllowlist, stop func(), err error) {
	if c.allowFile == "" {
		lists = map[string]*bankhook.IPAllowlist{}
		for bank, entries := range map[string][]string{"bunq": c.bunqAllow, "bankhub": c.bankhubAllow} {
			if lists[bank], err = bankhook.NewIPAllowlist(entries...); err != nil {
				return nil, nil, err
			}
		}
		return lists, func() {}, nil
	}
	o := bankhook.AllowlistFileOptions{Signals: []os.Signal{syscall.SIGHUP}, Logger: logger}
	if c.dev {
		o.Extra = devRanges
	}
	shared := bankhook.MustIPAllowlist()
	watch, err := bankhook.WatchAllowlistFile(ctx, shared, c.allowFile, o)
	if err != nil {
		return nil, nil, err
	}
	return map[string]*bankhook.IPAllowlist{"bunq": shared, "bankhub": shared}, func() { _ = watch.Close() }, nil
}

// readiness is /readyz: the output (none with --forward alone), and Redis when it holds the dedupe
// store (client nil otherwise).
func readiness(logger *slog.Logger, out *output.Writer, client *redis.Client) *ready.Checker {
	var checks []ready.Check
	if out != nil {
		checks = append(checks, ready.Check{Name: "output", Func: out.Check})
	}
	if client != nil {
		checks = append(checks, ready.Check{Name: "redis", Func: func(ctx context.Context) error { return client.Ping(ctx).Err() }})
	}
	return ready.New(logger, checks...)
}
