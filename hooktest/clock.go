package hooktest

import (
	"sync"
	"time"
)

// Epoch returns where a zero [Clock] starts: 2025-01-01 00:00:00 UTC. A
// test that wants its clock elsewhere passes its own time to [NewClock].
func Epoch() time.Time {
	return time.Date(2025, time.January, 1, 0, 0, 0, 0, time.UTC)
}

// Clock is a fake clock: it stands still until told to move. Its Now
// method fits wherever bankhook takes a clock (LRUStoreOptions.Now,
// RateLimitOptions.Now), and [Replay] advances it from one scheduled
// attempt to the next, so leases, TTLs and rate limits expire on the same
// fake time as the bank's retries.
//
// The zero value is a clock stopped at [Epoch]. A Clock is safe for
// concurrent use; it must not be copied after first use.
type Clock struct {
	mu  sync.Mutex // guards now and set
	now time.Time
	set bool // now has been given; otherwise the clock reads Epoch
}

// NewClock returns a clock stopped at t.
func NewClock(t time.Time) *Clock {
	return &Clock{now: t, set: true}
}

// Now returns the clock's current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nowLocked()
}

// Advance moves the clock by d and returns the new time. A negative d
// moves it back, for tests of a clock that jumps.
func (c *Clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now, c.set = c.nowLocked().Add(d), true
	return c.now
}

// Set moves the clock to t, forward or back.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now, c.set = t, true
}

// advanceTo moves the clock forward to t; it never moves it back. It
// returns the clock's time afterwards.
func (c *Clock) advanceTo(t time.Time) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := c.nowLocked(); !t.After(now) {
		return now
	}
	c.now, c.set = t, true
	return c.now
}

func (c *Clock) nowLocked() time.Time {
	if !c.set {
		return Epoch()
	}
	return c.now
}
