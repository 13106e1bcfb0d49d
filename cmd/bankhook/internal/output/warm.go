package output

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/bankhook/bankhook"
)

// WarmOptions configures [Warm]. The zero value is ready to use.
type WarmOptions struct {
	// TTL is how long the stores remember a handled event: the keys of
	// lines received longer ago are not loaded, and the others are kept
	// for what remains of it. Default bankhook.DefaultDedupeTTL (72 h).
	TTL time.Duration
	// Capacity is the most keys loaded into each store: the newest ones.
	// Default bankhook.DefaultLRUCapacity (100,000).
	Capacity int
	// MaxLineBytes is the longest line read; a longer one is refused as
	// not serve's output. Default 64 MiB.
	MaxLineBytes int
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Warmed is what [Warm] did.
type Warmed struct {
	Recent
	// Loaded is the number of keys marked done in each provider's store.
	Loaded map[string]int
}

// warmLease is the lease of the reservation Warm completes at once.
const warmLease = time.Minute

// Warm reads the keys of the newest event lines of the file at path (see
// [ReadRecent]) and marks each one done, with status 200 (what serve
// answers for a handled event), in the store of its provider, for what
// remains of the TTL since the line's received_at. A retry of one of
// those events is then answered as a replay: its line is already in the
// file.
//
// It goes through the [bankhook.Store] interface only: Reserve, then
// Complete with the reservation's token, oldest key first, so that in a
// store that forgets the least recently used key first the newest keys are
// the last to go. A key the store already holds (done or reserved) is
// left as it is.
func Warm(ctx context.Context, path string, stores map[string]bankhook.Store, o WarmOptions) (Warmed, error) {
	if o.TTL <= 0 {
		o.TTL = bankhook.DefaultDedupeTTL
	}
	if o.Capacity <= 0 {
		o.Capacity = bankhook.DefaultLRUCapacity
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	ro := RecentOptions{Since: o.Now().Add(-o.TTL), Limit: map[string]int{}, MaxLineBytes: o.MaxLineBytes}
	for provider := range stores {
		ro.Limit[provider] = o.Capacity
	}
	rec, err := ReadRecent(path, ro)
	w := Warmed{Recent: rec, Loaded: map[string]int{}}
	if err != nil {
		return w, err
	}
	for provider, entries := range rec.Keys {
		store := stores[provider]
		for i := len(entries) - 1; i >= 0; i-- {
			e := entries[i]
			ttl := e.ReceivedAt.Add(o.TTL).Sub(o.Now())
			if ttl <= 0 {
				continue
			}
			res, err := store.Reserve(ctx, e.Key, warmLease)
			if err != nil {
				return w, fmt.Errorf("bankhook: output: loading %s key %q: %w", provider, e.Key, err)
			}
			if res.State != bankhook.Reserved {
				continue
			}
			if err := store.Complete(ctx, e.Key, res.Token, http.StatusOK, ttl); err != nil {
				return w, fmt.Errorf("bankhook: output: loading %s key %q: %w", provider, e.Key, err)
			}
			w.Loaded[provider]++
		}
	}
	return w, nil
}
