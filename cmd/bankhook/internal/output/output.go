// Package output writes serve's event lines: one JSON object a line for
// each event handled for the first time, durable before the bank is
// answered.
package output

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Line is one line of serve's output: an event handled for the first
// time. Its fields are a contract: programs read them.
type Line struct {
	// Provider is "bunq" or "bankhub".
	Provider string `json:"provider"`
	// Key is the event's idempotency key, the one dedupe remembers.
	Key string `json:"key"`
	// Category is bunq's category or bankHub's webhookType.
	Category string `json:"category"`
	// EventType is bunq's event_type or bankHub's webhookCode.
	EventType string `json:"event_type"`
	// ObjectType is bunq's object type ("Payment", or the key of an object
	// bankhook does not know) or the kind of a bankHub event
	// ("transaction", "grant_error", …).
	ObjectType string `json:"object_type"`
	// ReceivedAt is when the event was handled, in UTC, written in RFC
	// 3339 with fractional seconds.
	ReceivedAt time.Time `json:"received_at"`
	// Event is the typed event (*bunq.Notification, *bankhub.Webhook),
	// encoded as its package encodes it.
	Event any `json:"event"`
	// Raw is the body as received. It decoded, so it is valid JSON, and is
	// embedded as JSON with its insignificant whitespace removed; strings
	// and numbers keep the bytes the bank sent.
	Raw jsontext.Value `json:"raw"`
}

// lineOptions keep the raw body's strings as sent (escapes included); the
// output is compact, so a line never holds a newline.
var lineOptions = json.JoinOptions(
	jsontext.PreserveRawStrings(true),
	jsontext.Multiline(false),
)

// Marshal encodes l as one line of JSON, without the newline.
func Marshal(l Line) ([]byte, error) {
	l.ReceivedAt = l.ReceivedAt.UTC()
	b, err := json.Marshal(l, lineOptions)
	if err != nil {
		return nil, fmt.Errorf("bankhook: encode event line: %w", err)
	}
	return b, nil
}

// Writer appends lines to serve's output and makes each one durable
// before WriteLine returns: every line is one unbuffered Write, so there
// is nothing left to flush, and a file (--out FILE, or standard output
// redirected to a file) is synced to disk (fsync).
//
// A Writer is safe for concurrent use: lines never interleave. The
// zero value is not usable; use Open.
type Writer struct {
	mu     sync.Mutex // guards w, broken, failed and closed; held for a whole write and sync
	w      io.Writer
	file   *os.File // w when it is a regular file, to sync; nil otherwise
	owned  bool     // file was opened by Open: Close closes it
	broken bool     // the last write failed and may have left a partial line
	failed error    // the last write's or sync's error; nil once one succeeds
	closed bool
}

// ErrClosed is returned by WriteLine after Close.
var ErrClosed = errors.New("bankhook: output closed")

// Open opens the output named by path: "-" is stdout, anything else a
// file opened for appending (created with mode 0600: events carry account
// data).
func Open(path string, stdout io.Writer) (*Writer, error) {
	if path == "-" {
		l := &Writer{w: stdout}
		if f, ok := stdout.(*os.File); ok {
			if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
				l.file = f
			}
		}
		return l, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("bankhook: output: %w", err)
	}
	return &Writer{w: f, file: f, owned: true}, nil
}

// WriteLine appends line and a newline, then syncs. An error means the
// line may not be stored: the caller must not acknowledge the event. After
// a failed write the next line starts on a new line of its own, so that a
// partial line never swallows a complete one.
func (l *Writer) WriteLine(line []byte) error {
	buf := make([]byte, 0, len(line)+2)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	if l.broken {
		buf = append(buf, '\n')
	}
	buf = append(append(buf, line...), '\n')
	if _, err := l.w.Write(buf); err != nil {
		l.broken = true
		l.failed = fmt.Errorf("bankhook: write output: %w", err)
		return l.failed
	}
	l.broken = false
	if l.file != nil {
		if err := l.file.Sync(); err != nil { // the line is whole, maybe not durable
			l.failed = fmt.Errorf("bankhook: sync output: %w", err)
			return l.failed
		}
	}
	l.failed = nil
	return nil
}

// Check reports whether the output can take a line now: nil, ErrClosed,
// or the error of the last write while no write has succeeded since.
// After a failure it retries what the next line would do first (the
// newline that ends a partial line, then a sync), so that an output that
// recovered, a disk with room again, is usable again before the next
// event arrives: a readiness check that waited for an event would wait
// forever once the load balancer sent none.
func (l *Writer) Check() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.closed:
		return ErrClosed
	case l.failed == nil:
		return nil
	}
	if l.broken {
		if _, err := l.w.Write([]byte{'\n'}); err != nil {
			l.failed = fmt.Errorf("bankhook: write output: %w", err)
			return l.failed
		}
		l.broken = false
	}
	if l.file != nil {
		if err := l.file.Sync(); err != nil {
			l.failed = fmt.Errorf("bankhook: sync output: %w", err)
			return l.failed
		}
	}
	l.failed = nil
	return nil
}

// Close syncs and closes the file Open opened; standard output is
// left open. Later writes fail. Close is idempotent.
func (l *Writer) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	if !l.owned {
		return nil
	}
	return errors.Join(l.file.Sync(), l.file.Close())
}
