package bankhook

import (
	"time"

	"golang.org/x/time/rate"
)

// The defaults: what a zero field of an options struct means. They are
// sized for the banks: bankHub retries for 24 h and counts an answer
// slower than 30 s as failed, bunq retries for five minutes and a failed
// callback can be re-sent by hand days later, and neither sends more than
// a few events a second.
const (
	// DefaultMaxBody is the body size ReadBody accepts: 1 MiB, far above
	// any bank event (a bunq payment is about 3 KB).
	DefaultMaxBody int64 = 1 << 20
	// DefaultTokenParam is the query parameter the URL token is read from:
	// https://example.com/bunq?token=SECRET.
	DefaultTokenParam = "token"
	// DefaultRate, DefaultBurst and DefaultMaxClients are RateLimit's:
	// generous for a bank, tight for a flood.
	DefaultRate       rate.Limit = 50
	DefaultBurst      int        = 100
	DefaultMaxClients int        = 10_000
	// DefaultDeadline is the handler deadline of a receiver: it answers
	// before bankHub's 30 s timeout counts the delivery as failed.
	DefaultDeadline = 25 * time.Second
	// DefaultDedupeTTL is how long a handled event is remembered.
	DefaultDedupeTTL = 72 * time.Hour
	// DefaultLease is how long a reservation blocks a key before a crashed
	// holder's key can be taken over.
	DefaultLease = 60 * time.Second
	// DefaultLRUCapacity is the number of keys the in-memory store keeps.
	DefaultLRUCapacity = 100_000
	// DefaultAllowlistPoll is how often WatchAllowlistFile checks its file
	// for a change.
	DefaultAllowlistPoll = 2 * time.Second
)

// Names on the wire.
const (
	// HeaderIdempotentReplayed is set to "true" on an answer that Dedupe
	// gave from its store, for an event that was already handled.
	HeaderIdempotentReplayed = "Idempotent-Replayed"
	// HeaderXForwardedFor is the header ClientIP reads when the direct
	// peer is a trusted proxy.
	HeaderXForwardedFor = "X-Forwarded-For"
	// ProblemContentType is the media type of every rejection body.
	ProblemContentType = "application/problem+json"
)
