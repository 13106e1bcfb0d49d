package gateway

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/cmd/bankhook/internal/output"
	"github.com/bankhook/bankhook/redisstore"
)

// dedupeStores returns the dedupe store of each bank that has an
// endpoint; with Config.Redis it sets g.client, the Redis client they
// share, and pushes its closer.
//
// With --redis the banks share one Redis, each under its own prefix: it
// remembers the handled events across restarts and replicas by itself, so
// --out is not read back. Otherwise each bank gets an in-memory LRUStore,
// loaded with the keys of the newest lines of --out (see output.Warm), so
// that a retry after a restart is answered as a replay; with --out - there
// is nothing to read back and the stores start empty.
func (g *Gateway) dedupeStores(ctx context.Context) (map[string]bankhook.Store, error) {
	c, logger := &g.cfg, g.logger
	stores := map[string]bankhook.Store{}
	var banks []string
	if c.BunqPath != "" {
		banks = append(banks, "bunq")
	}
	if c.BankhubPath != "" {
		banks = append(banks, "bankhub")
	}
	if c.Redis != "" {
		client, err := c.redisClient(ctx)
		if err != nil {
			return nil, err
		}
		g.client = client
		g.push(client.Close)
		for _, bank := range banks {
			stores[bank] = redisstore.New(client, redisstore.Options{Prefix: redisstore.DefaultPrefix + bank + ":"})
		}
		// The address only: a URL may hold a password.
		logger.Info("dedupe store: Redis, shared; --out is not read back", "redis", client.Options().Addr, "fail_open", c.FailOpen)
		return stores, nil
	}
	for _, bank := range banks {
		stores[bank] = bankhook.NewLRUStore(bankhook.LRUStoreOptions{
			Capacity: c.Capacity,
			OnEvict: func(total uint64) {
				if total == 1 { // the first; bankhook_dedupe_evictions_total counts them all
					logger.Warn("dedupe store full: a key was evicted before its 72 h; a retry of that event would be written twice: raise --dedupe-capacity, or use --redis",
						"bank", bank, "capacity", c.Capacity)
				}
			},
		})
	}
	switch c.Out {
	case "-":
		logger.Info("dedupe store: in memory, empty: standard output is not read back", "capacity", c.Capacity)
		return stores, nil
	case "":
		logger.Info("dedupe store: in memory, empty: no --out to read back", "capacity", c.Capacity)
		return stores, nil
	}
	start := time.Now()
	w, err := output.Warm(ctx, c.Out, stores, output.WarmOptions{
		TTL:          bankhook.DefaultDedupeTTL,
		Capacity:     c.Capacity,
		MaxLineBytes: c.maxLineBytes(),
	})
	if err != nil {
		return nil, err
	}
	attrs := []any{"out", c.Out, "capacity", c.Capacity, "lines_read", w.Lines, "torn_lines", w.Torn, "took", time.Since(start).Round(time.Millisecond)}
	for _, bank := range slices.Sorted(maps.Keys(stores)) {
		attrs = append(attrs, "loaded_"+bank, w.Loaded[bank])
	}
	logger.Info(fmt.Sprintf("dedupe store: in memory, loaded with the events of the last %v in --out", bankhook.DefaultDedupeTTL), attrs...)
	return stores, nil
}

// maxLineBytes is the longest line the gateway reads back from --out: an event
// line holds the body twice (as sent, and as decoded), so four times the
// largest body accepted leaves room for escapes.
func (c *Config) maxLineBytes() int {
	body := c.MaxBody
	if body <= 0 {
		body = bankhook.DefaultMaxBody
	}
	return int(max(int64(output.DefaultMaxLineBytes), 4*body+64<<10))
}

// redisClient connects to Config.Redis and checks that it answers, so that
// a wrong address stops serve at once instead of turning every delivery
// into a store failure.
func (c *Config) redisClient(ctx context.Context) (*redis.Client, error) {
	opts := &redis.Options{Addr: c.Redis}
	if strings.Contains(c.Redis, "://") {
		var err error
		if opts, err = redis.ParseURL(c.Redis); err != nil {
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
