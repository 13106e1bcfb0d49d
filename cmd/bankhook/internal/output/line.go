// Package output is serve's output: one JSON line for each event handled
// for the first time, durable before the bank is answered.
//
// [Writer] appends the lines, many requests sharing one write and one
// fsync (group commit). [Open] refuses a file that is not serve's output
// and repairs the end of one that a crash cut short. [Warm] reads the keys
// of the newest lines back into the dedupe stores when serve starts, so
// that a bank's retry after a restart is answered as a replay.
package output

import (
	"fmt"
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
