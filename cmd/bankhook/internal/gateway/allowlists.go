package gateway

import (
	"context"
	"log/slog"
	"net/netip"
	"os"
	"slices"
	"syscall"

	"github.com/redis/go-redis/v9"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/cmd/bankhook/internal/output"
	"github.com/bankhook/bankhook/cmd/bankhook/internal/pgevents"
	"github.com/bankhook/bankhook/cmd/bankhook/internal/ready"
)

// allowlists returns each bank's allowlist. With Config.AllowFile both
// banks share one list, kept equal to the file (read again on SIGHUP and
// when it changes) until Close; otherwise each bank has its own, from
// BunqAllow and BankhubAllow. ctx bounds the first reading of the file.
func (g *Gateway) allowlists(ctx context.Context) (map[string]*bankhook.IPAllowlist, error) {
	c := &g.cfg
	if c.AllowFile == "" {
		lists := map[string]*bankhook.IPAllowlist{}
		for bank, entries := range map[string][]string{"bunq": c.BunqAllow, "bankhub": c.BankhubAllow} {
			var err error
			if lists[bank], err = bankhook.NewIPAllowlist(entries...); err != nil {
				return nil, err
			}
		}
		return lists, nil
	}
	o := bankhook.AllowlistFileOptions{Signals: []os.Signal{syscall.SIGHUP}, Logger: g.logger}
	if c.Dev {
		o.Extra = DevRanges
	}
	// The watch lives until Close, not until ctx ends.
	watchCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	shared := bankhook.MustIPAllowlist()
	watch, err := bankhook.WatchAllowlistFile(watchCtx, shared, c.AllowFile, o)
	if err != nil {
		cancel()
		return nil, err
	}
	g.push(func() error {
		defer cancel()
		_ = watch.Close()
		return nil
	})
	return map[string]*bankhook.IPAllowlist{"bunq": shared, "bankhub": shared}, nil
}

// admitAtAccept is the check of a connection's peer at accept: without
// TrustedProxies every sender connects itself, so a peer that neither
// bank's allowlist holds can send nothing the pipeline would take, and is
// closed before any byte is read. Behind a proxy the peer is the proxy,
// and the sender is judged by X-Forwarded-For: nil, every peer connects.
func (c *Config) admitAtAccept(lists map[string]*bankhook.IPAllowlist) func(netip.Addr) bool {
	if len(c.TrustedProxies) > 0 {
		return nil
	}
	var used []*bankhook.IPAllowlist
	for bank, path := range map[string]string{"bunq": c.BunqPath, "bankhub": c.BankhubPath} {
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

// readiness is /readyz: the output (none with Forward alone), and Redis
// when it holds the dedupe store (client nil otherwise).
func readiness(logger *slog.Logger, out *output.Writer, client *redis.Client, events *pgevents.Table) *ready.Checker {
	var checks []ready.Check
	if out != nil {
		checks = append(checks, ready.Check{Name: "output", Func: out.Check})
	}
	if client != nil {
		checks = append(checks, ready.Check{Name: "redis", Func: func(ctx context.Context) error { return client.Ping(ctx).Err() }})
	}
	if events != nil {
		checks = append(checks, ready.Check{Name: "postgres", Func: events.Ping})
	}
	return ready.New(logger, checks...)
}
