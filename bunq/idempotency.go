package bunq

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/internal/jsonscan"
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

var _ bankhook.Event = (*Notification)(nil)

// IdempotencyKey identifies the event the notification reports, for
// deduplication. It is
//
//	bunq:<category>:<event type>:<object type>:<id>@<updated>
//
// for example "bunq:MUTATION:MUTATION_CREATED:Payment:108864@2017-11-08T11:20:03.950184Z",
// where id and updated are the object's "id" and "updated" (RFC 3339, UTC).
// For an object without both (an [Unknown] object, a bunq.me result, one
// whose id is 0 or whose updated time is absent) the last part is
// "sha256=<hex>", the SHA-256 of the object's JSON in RFC 8785 canonical
// form (for typed objects, of the fields this package models), except
// that a number RFC 8785 would write as another value (an integer beyond
// 2^53 such as 9007199254740993, a decimal with more digits than a
// float64 holds such as 0.1000000000000000055) keeps its text, so that
// objects differing only in such a number have different keys. Numbers
// that RFC 8785 writes with their value (1.0 as 1, 0.5) are written that
// way, as before.
//
// The key does not depend on the body's formatting (spacing, member order,
// escapes). It differs when the object is updated, when the same object
// arrives under another category or event type, and between objects. The
// category, event type and object type are kept readable; bytes other than
// letters, digits, '_', '-' and '.' are percent-encoded so that the parts
// cannot run into one another. The key is never empty.
func (n *Notification) IdempotencyKey() string {
	var buf [128]byte
	if n.Object == nil {
		return string(append(appendKeyPrefix(buf[:0], n.Category, n.EventType), ":none"...))
	}
	if id, updated := n.Object.identity(); id != 0 && !updated.IsZero() {
		return identityKey(n.Category, n.EventType, n.Object.ObjectType(), id, updated)
	}
	b := appendKeyPart(appendKeyPrefix(buf[:0], n.Category, n.EventType), n.Object.ObjectType())
	b = append(b, ":sha256="...)
	sum := objectDigest(n.Object)
	return string(hex.AppendEncode(b, sum[:]))
}

// appendKeyPrefix appends "bunq:<category>:<event type>:".
func appendKeyPrefix(b []byte, c Category, e EventType) []byte {
	b = append(b, "bunq:"...)
	b = appendKeyPart(b, string(c))
	b = append(b, ':')
	b = appendKeyPart(b, string(e))
	return append(b, ':')
}

// identityKey is the key of an object with an id and an update time.
func identityKey(c Category, e EventType, objectType string, id int64, updated Time) string {
	var buf [128]byte // a typical key fits: built without an allocation of its own
	b := appendKeyPart(appendKeyPrefix(buf[:0], c, e), objectType)
	b = append(b, ':')
	b = strconv.AppendInt(b, id, 10)
	b = append(b, '@')
	return string(updated.UTC().AppendFormat(b, time.RFC3339Nano))
}

// objectDigest is the SHA-256 of the object's canonical JSON, whose
// numbers keep their exact value (see jsonscan.NumberExact). An object
// that cannot be encoded (only a hand-built Unknown with invalid Raw can
// fail) is hashed from its type and raw bytes.
func objectDigest(o Object) [32]byte {
	var raw []byte
	var err error
	if u, ok := o.(*Unknown); ok {
		raw = append([]byte(nil), u.Raw...)
	} else {
		raw, err = json.Marshal(o, encodeOptions)
	}
	var v jsontext.Value
	if err == nil {
		v, err = jsonscan.Canonical(raw, jsonscan.NumberExact)
	}
	if err != nil {
		return sha256.Sum256(append([]byte(o.ObjectType()+"\x00"), raw...))
	}
	return sha256.Sum256(v)
}

// appendKeyPart appends s, percent-encoding every byte that is not a
// letter, digit, '_', '-' or '.'.
func appendKeyPart(b []byte, s string) []byte {
	const hexDigits = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '-', c == '.':
			b = append(b, c)
		default:
			b = append(b, '%', hexDigits[c>>4], hexDigits[c&15])
		}
	}
	return b
}
