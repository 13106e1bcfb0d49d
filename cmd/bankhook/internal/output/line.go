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
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/bankhook/bankhook/bankhub"
	"github.com/bankhook/bankhook/bunq"
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

// MarshalDecoded encodes l as [Marshal] does, byte for byte, faster, for a
// line whose Raw is a body a bankhook decoder (bunq.Decode,
// bankhub.Decode) accepted: valid JSON, valid UTF-8, no duplicate member
// names. Raw is then not checked again, only compacted: a Raw that no
// decoder accepted gives a line that may not be valid JSON. serve writes
// its lines with it; an event it cannot encode is refused as Marshal
// refuses it.
func MarshalDecoded(l Line) ([]byte, error) { return AppendDecoded(nil, l) }

// AppendDecoded appends the line MarshalDecoded returns to dst, so that a
// caller that is done with a line can reuse its buffer for the next one.
// On an error dst is returned unchanged.
func AppendDecoded(dst []byte, l Line) ([]byte, error) {
	at := l.ReceivedAt.UTC()
	e := eventEncoders.Get().(*eventEncoder)
	defer eventEncoders.Put(e)
	event, err := e.encode(l.Event)
	if err != nil {
		return dst, fmt.Errorf("bankhook: encode event line: %w", err)
	}
	start := len(dst)
	b := slices.Grow(dst, 128+len(l.Provider)+len(l.Key)+len(l.Category)+len(l.EventType)+len(l.ObjectType)+len(event)+len(l.Raw))
	b = append(b, `{"provider":`...)
	b, err = appendString(b, l.Provider)
	b = append(b, `,"key":`...)
	b, err = appendStringErr(b, l.Key, err)
	b = append(b, `,"category":`...)
	b, err = appendStringErr(b, l.Category, err)
	b = append(b, `,"event_type":`...)
	b, err = appendStringErr(b, l.EventType, err)
	b = append(b, `,"object_type":`...)
	b, err = appendStringErr(b, l.ObjectType, err)
	if err != nil {
		return appendMarshal(b[:start], l) // its error, as Marshal words it
	}
	b = append(b, `,"received_at":"`...)
	n := len(b)
	b = at.AppendFormat(b, time.RFC3339Nano)
	if b[n+len("9999")] != '-' { // a year Marshal refuses: its error
		return appendMarshal(b[:start], l)
	}
	b = append(b, `","event":`...)
	b = append(b, event...)
	b = append(b, `,"raw":`...)
	b = appendCompact(b, l.Raw)
	return append(b, '}'), nil
}

// appendMarshal appends what Marshal returns for l to dst, or returns dst
// and Marshal's error.
func appendMarshal(dst []byte, l Line) ([]byte, error) {
	b, err := Marshal(l)
	if err != nil {
		return dst, err
	}
	return append(dst, b...), nil
}

// appendString appends s quoted as the line's encoder quotes it.
func appendString(b []byte, s string) ([]byte, error) {
	return jsontext.AppendQuote(b, s)
}

// appendStringErr is appendString after an earlier append, whose error it
// keeps.
func appendStringErr(b []byte, s string, err error) ([]byte, error) {
	b, err2 := appendString(b, s)
	return b, errors.Join(err, err2)
}

// eventEncoder encodes typed events with lineOptions into a buffer it
// keeps, so that encoding an event allocates nothing of its own.
type eventEncoder struct {
	buf bytes.Buffer
	enc *jsontext.Encoder
}

// eventEncoders holds idle eventEncoders.
var eventEncoders = sync.Pool{New: func() any {
	e := new(eventEncoder)
	e.enc = jsontext.NewEncoder(&e.buf, lineOptions)
	return e
}}

// encode encodes ev and returns its JSON, valid until the next encode.
func (e *eventEncoder) encode(ev any) ([]byte, error) {
	e.buf.Reset()
	e.enc.Reset(&e.buf, lineOptions)
	var err error
	switch ev := ev.(type) { // the events serve writes: their own encoder, without json's lookup of it
	case *bunq.Notification:
		if ev != nil {
			err = ev.MarshalJSONTo(e.enc)
			break
		}
		err = json.MarshalEncode(e.enc, ev, lineOptions)
	case *bankhub.Webhook:
		if ev != nil {
			err = ev.MarshalJSONTo(e.enc)
			break
		}
		err = json.MarshalEncode(e.enc, ev, lineOptions)
	default:
		err = json.MarshalEncode(e.enc, ev, lineOptions)
	}
	if err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(e.buf.Bytes(), []byte("\n")), nil // the encoder ends a top-level value with a newline
}

// appendCompact appends src, valid JSON, without its insignificant
// whitespace: what jsontext writes for it with PreserveRawStrings and
// without Multiline, for every src a bankhook decoder accepts. Strings are
// copied as they are, escapes included.
func appendCompact(dst, src []byte) []byte {
	start := 0 // of what is still to be copied
	for i := 0; i < len(src); {
		switch c := src[i]; {
		case c == '"':
			i += quotedLen(src[i:])
		case c <= ' ': // outside strings, nothing below ' ' but whitespace is valid
			dst = append(dst, src[start:i]...)
			i++
			for i+8 <= len(src) && binary.LittleEndian.Uint64(src[i:]) == eightSpaces { // indentation, 8 bytes at a time
				i += 8
			}
			for i < len(src) && src[i] <= ' ' {
				i++
			}
			start = i
		default:
			i++
		}
	}
	return append(dst, src[start:]...)
}

// eightSpaces is eight ' ' bytes read as one little-endian word.
const eightSpaces = 0x2020202020202020

// quotedLen returns the length of the JSON string src starts with, its
// quotes included; len(src) when it does not end.
func quotedLen(src []byte) int {
	j := 1
	for {
		k := bytes.IndexByte(src[j:], '"')
		if k < 0 {
			return len(src)
		}
		j += k
		escapes := 0 // backslashes right before the quote: an odd count escapes it
		for src[j-1-escapes] == '\\' {
			escapes++
		}
		j++
		if escapes%2 == 0 {
			return j
		}
	}
}
