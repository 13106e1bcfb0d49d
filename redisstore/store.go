package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bankhook/bankhook"
)

// Defaults of [Options].
const (
	// DefaultPrefix starts every key when Options.Prefix is empty.
	DefaultPrefix = "bankhook:"
	// DefaultTimeout bounds each call when Options.Timeout is not positive.
	DefaultTimeout = 2 * time.Second
)

// Options configures [New]. The zero value is ready to use.
type Options struct {
	// Prefix starts every key the store writes, so that several
	// receivers (or other applications) can share one Redis. On a
	// cluster it should not contain "{" (see the package documentation on
	// hash tags). Default "bankhook:".
	Prefix string
	// Timeout bounds each call to Redis: Reserve, Complete and Release
	// each run under a context that ends Timeout after the call starts
	// (or earlier, with the caller's context). Keep it well below the
	// bank's own timeout so that a slow Redis turns into a store error,
	// which Dedupe answers by its fail-open or fail-closed policy.
	//
	// go-redis applies a context's deadline to socket reads and writes
	// only when the client was created with ContextTimeoutEnabled;
	// without it, the client's ReadTimeout and WriteTimeout (3 s by
	// default) bound a call to a server that stopped answering. Default
	// 2 s; a negative Timeout also means 2 s.
	Timeout time.Duration
}

// Store is a [bankhook.Store] on Redis, shared by every process that uses
// the same Redis and Prefix. Leases and TTLs are measured on the Redis
// server's clock.
//
// A Store is safe for concurrent use. Use [New]; the zero value is not
// usable. It does not own the client: closing the client is the caller's
// business.
type Store struct {
	c       redis.UniversalClient
	cluster *redis.ClusterClient // c, when it is a cluster client (see callFailed)
	prefix  string
	timeout time.Duration
	undos   chan struct{} // a token per reservation being undone (see undo)
}

var _ interface{ Timeout() time.Duration } = (*Store)(nil) // see bankhook.Store

// Timeout is the longest one call of the store may take: Options.Timeout.
func (s *Store) Timeout() time.Duration { return s.timeout }

// New returns a store that keeps its keys in c, which may be a standalone,
// failover (Sentinel) or cluster client. It does not contact Redis. New
// panics if c is nil.
func New(c redis.UniversalClient, o Options) *Store {
	if c == nil {
		panic("redisstore: New: nil client")
	}
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	cluster, _ := c.(*redis.ClusterClient)
	return &Store{c: c, cluster: cluster, prefix: o.Prefix, timeout: o.Timeout, undos: make(chan struct{}, maxUndos)}
}

// callFailed is told of every call to Redis that failed: a cluster client
// reloads its map of slots in the background, so that a master that died
// is replaced by its replica as soon as that serves, not at go-redis's
// next periodic reload (see "Failover" in the package documentation).
func (s *Store) callFailed(ctx context.Context) {
	if s.cluster != nil {
		s.cluster.ReloadState(ctx)
	}
}

// Stored values: "r:" + token while reserved, "d:" + status when done.
const (
	reservedTag = "r:"
	doneTag     = "d:"
)

// reserveScript sets KEYS[1] to ARGV[1] for ARGV[2] milliseconds when it
// is absent (and answers nil), else answers its value.
var reserveScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v then return v end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false
`)

// completeScript sets KEYS[1] to ARGV[2] for ARGV[3] milliseconds when it
// holds ARGV[1], and answers 1; else it changes nothing and answers 0.
var completeScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`)

// releaseScript deletes KEYS[1] when it holds ARGV[1], and answers 1; else
// it changes nothing and answers 0.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
`)

// Reserve implements [bankhook.Store] in one round trip.
func (s *Store) Reserve(ctx context.Context, key string, lease time.Duration) (bankhook.Reservation, error) {
	if lease <= 0 {
		return bankhook.Reservation{}, fmt.Errorf("redisstore: reserve %q: lease %v is not positive", key, lease)
	}
	token := newToken()
	held := reservedTag + token
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	v, err := reserveScript.Run(ctx, s.c, []string{s.redisKey(key)}, held, millis(lease)).Text()
	switch {
	case errors.Is(err, redis.Nil):
		return bankhook.Reservation{State: bankhook.Reserved, Token: token}, nil
	case err != nil:
		s.callFailed(ctx)
		s.undo(key, held, lease)
		return bankhook.Reservation{}, fmt.Errorf("redisstore: reserve %q: %w", key, err)
	case v == held:
		// The client retried a script that had already run: the key is ours.
		return bankhook.Reservation{State: bankhook.Reserved, Token: token}, nil
	}
	res, err := parseValue(v)
	if err != nil {
		return bankhook.Reservation{}, fmt.Errorf("redisstore: reserve %q: %w", key, err)
	}
	return res, nil
}

// Bounds of undo: how many reservations may be undone at once (past it, a
// failed Reserve is left to its lease), and the pause between two tries.
const (
	maxUndos       = 1024
	undoBackoff    = 50 * time.Millisecond
	undoMaxBackoff = time.Second
)

// undo takes back, in the background, a reservation whose Reserve failed:
// a call that timed out may still be in Redis's input (a server paused,
// or slow) and run later, leaving a key reserved by a token nobody holds,
// which would turn every delivery of its event away as in flight until
// the lease ends. The token is made here, so the store can release such a
// key itself: it tries, backing off, until a release succeeds or the lease
// would have ended anyway. A release that finds the key not holding held
// (the call has not run yet, or never will) is tried again.
func (s *Store) undo(key, held string, lease time.Duration) {
	select {
	case s.undos <- struct{}{}:
	default:
		return // too many at once: left to their leases
	}
	end := time.Now().Add(lease)
	go func() {
		defer func() { <-s.undos }()
		backoff := undoBackoff
		for time.Now().Before(end) {
			ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
			ok, err := releaseScript.Run(ctx, s.c, []string{s.redisKey(key)}, held).Bool()
			cancel()
			if (err == nil && ok) || errors.Is(err, redis.ErrClosed) {
				return // undone, or the client is closed: nothing more to do
			}
			time.Sleep(backoff)
			backoff = min(2*backoff, undoMaxBackoff)
		}
	}()
}

// Complete implements [bankhook.Store] in one round trip. status must be
// between 100 and 999.
func (s *Store) Complete(ctx context.Context, key, token string, status int, ttl time.Duration) error {
	if status < 100 || status > 999 {
		return fmt.Errorf("redisstore: complete %q: status %d is not an HTTP status", key, status)
	}
	if ttl <= 0 {
		return fmt.Errorf("redisstore: complete %q: ttl %v is not positive", key, ttl)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	ok, err := completeScript.Run(ctx, s.c, []string{s.redisKey(key)},
		reservedTag+token, doneTag+strconv.Itoa(status), millis(ttl)).Bool()
	if err != nil {
		s.callFailed(ctx)
		return fmt.Errorf("redisstore: complete %q: %w", key, err)
	}
	if !ok {
		return fmt.Errorf("redisstore: complete %q: %w", key, bankhook.ErrLeaseLost)
	}
	return nil
}

// Release implements [bankhook.Store] in one round trip.
func (s *Store) Release(ctx context.Context, key, token string) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	ok, err := releaseScript.Run(ctx, s.c, []string{s.redisKey(key)}, reservedTag+token).Bool()
	if err != nil {
		s.callFailed(ctx)
		return fmt.Errorf("redisstore: release %q: %w", key, err)
	}
	if !ok {
		return fmt.Errorf("redisstore: release %q: %w", key, bankhook.ErrLeaseLost)
	}
	return nil
}

// redisKey is the Redis key of an idempotency key: the prefix, then the
// key as the hash tag.
func (s *Store) redisKey(key string) string {
	return s.prefix + "{" + key + "}"
}

// newToken returns 128 random bits, base64url without padding (22 bytes).
func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails; a broken source crashes the program
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// millis is d in whole milliseconds, rounded up, so that a lease or TTL
// never ends before it was asked to.
func millis(d time.Duration) int64 {
	return int64((d + time.Millisecond - 1) / time.Millisecond)
}

// errBadValue reports a key holding something this store did not write.
var errBadValue = errors.New("unexpected value")

// parseValue decodes the value of a key that is present: "r:<token>" is
// InFlight (the token is someone else's), "d:<status>" is Done.
func parseValue(v string) (bankhook.Reservation, error) {
	switch {
	case len(v) > len(reservedTag) && v[:len(reservedTag)] == reservedTag:
		return bankhook.Reservation{State: bankhook.InFlight}, nil
	case len(v) == len(doneTag)+3 && v[:len(doneTag)] == doneTag:
		status, err := strconv.Atoi(v[len(doneTag):])
		if err == nil && status >= 100 && status <= 999 {
			return bankhook.Reservation{State: bankhook.Done, Status: status}, nil
		}
	}
	return bankhook.Reservation{}, fmt.Errorf("%w %q", errBadValue, v)
}
