package bunqtest

import (
	"sync"
	"time"
)

// rateLimiter keeps bunq's limits per client address and endpoint with
// sliding windows on the wall clock.
type rateLimiter struct {
	window time.Duration // <0: no limits

	mu   sync.Mutex             // guards hits
	hits map[string][]time.Time // key → times of the requests still in their window, oldest first
}

func newRateLimiter(window time.Duration) *rateLimiter {
	return &rateLimiter{window: window, hits: map[string][]time.Time{}}
}

// limitFor returns how many requests of method to path bunq allows within
// how long.
func (l *rateLimiter) limitFor(method, path string) (int, time.Duration) {
	if method == "POST" && path == "/v1/session-server" {
		return 1, 10 * l.window
	}
	switch method {
	case "GET":
		return 3, l.window
	case "PUT":
		return 2, l.window
	case "POST":
		return 5, l.window
	}
	return 3, l.window
}

// allow records a request from addr and reports whether it is within the
// limits.
func (l *rateLimiter) allow(addr, method, path string, now time.Time) bool {
	if l.window < 0 {
		return true
	}
	n, span := l.limitFor(method, path)
	key := addr + " " + method + " " + path
	l.mu.Lock()
	defer l.mu.Unlock()
	hits := l.hits[key]
	i := 0
	for i < len(hits) && now.Sub(hits[i]) >= span {
		i++
	}
	hits = hits[i:]
	if len(hits) >= n {
		l.hits[key] = hits
		return false
	}
	l.hits[key] = append(hits, now)
	return true
}
