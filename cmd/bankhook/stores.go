package main

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/cmd/bankhook/internal/output"
	"github.com/bankhook/bankhook/redisstore"
)

// dedupeStores returns the dedupe store of each bank that has an
// endpoint, and the Redis client they share with --redis (nil otherwise),
// which the caller closes.
//
// With --redis the banks share one Redis, each under its own prefix: it
// remembers the handled events across restarts and replicas by itself, so
// --out is not read back. Otherwise each bank gets an in-memory LRUStore,
// loaded with the keys of the newest lines of --out (see output.Warm), so
// that a retry after a restart is answered as a replay; with --out - there
// is nothing to read back and the stores start empty.
func (c *serveConfig) dedupeStores(ctx context.Context, logger *slog.Logger) (map[string]bankhook.Store, *redis.Client, error) {
	stores := map[string]bankhook.Store{}
	var banks []string
	if c.bunqPath != "" {
		banks = append(banks, "bunq")
	}
	if c.bankhubPath != "" {
		banks = append(banks, "bankhub")
	}
	if c.redis != "" {
		client, err := c.redisClient(ctx)
		if err != nil {
			return nil, nil, err
		}
		for _, bank := range banks {
			stores[bank] = redisstore.New(client, redisstore.Options{Prefix: redisstore.DefaultPrefix + bank + ":"})
		}
		// The address only: a URL may hold a password.
		logger.Info("dedupe store: Redis, shared; --out is not read back", "redis", client.Options().Addr, "fail_open", c.failOpen)
		return stores, client, nil
	}
	for _, bank := range banks {
		stores[bank] = bankhook.NewLRUStoreWith(bankhook.LRUStoreOptions{
			Capacity: c.capacity,
			OnEvict: func(total uint64) {
				if total == 1 { // the first; bankhook_dedupe_evictions_total counts them all
					logger.Warn("dedupe store full: a key was evicted before its 72 h; a retry of that event would be written twice: raise --dedupe-capacity, or use --redis",
						"bank", bank, "capacity", c.capacity)
				}
			},
		})
	}
	switch c.out {
	case "-":
		logger.Info("dedupe store: in memory, empty: standard output is not read back", "capacity", c.capacity)
		return stores, nil, nil
	case "":
		logger.Info("dedupe store: in memory, empty: no --out to read back", "capacity", c.capacity)
		return stores, nil, nil
	}
	start := time.Now()
	w, err := output.Warm(ctx, c.out, stores, output.WarmOptions{
		TTL:          bankhook.DefaultDedupeTTL,
		Capacity:     c.capacity,
		MaxLineBytes: c.maxLineBytes(),
	})
	if err != nil {
		return nil, nil, err
	}
	attrs := []any{"out", c.out, "capacity", c.capacity, "lines_read", w.Lines, "torn_lines", w.Torn, "took", time.Since(start).Round(time.Millisecond)}
	for _, bank := range slices.Sorted(maps.Keys(stores)) {
		attrs = append(attrs, "loaded_"+bank, w.Loaded[bank])
	}
	logger.Info(fmt.Sprintf("dedupe store: in memory, loaded with the events of the last %v in --out", bankhook.DefaultDedupeTTL), attrs...)
	return stores, nil, nil
}

// maxLineBytes is the longest line serve reads back from --out: an event
// line holds the body twice (as sent, and as decoded), so four times the
// largest body accepted leaves room for escapes.
func (c *serveConfig) maxLineBytes() int {
	body := c.maxBody
	if body <= 0 {
		body = bankhook.DefaultMaxBody
	}
	return int(max(int64(output.DefaultMaxLineBytes), 4*body+64<<10))
}
