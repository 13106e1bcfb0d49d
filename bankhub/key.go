package bankhub

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/bankhook/bankhook"
)

// Webhook implements bankhook.Event, so bankhook.Dedupe can remember it.
var _ bankhook.Event = (*Webhook)(nil)

// maxKeySegment bounds the length of one escaped segment of a key; a
// longer one is replaced by its SHA-256, so that a key stays small
// whatever an identifier holds.
const maxKeySegment = 128

// IdempotencyKey identifies the event w reports, the same in every one of
// bankHub's retries of a delivery. bankHub sends no delivery or event
// identifier, so the key is built from what identifies the event:
//
//   - a new transaction: "bankhub:TRANSACTIONS:DEFAULT_UPDATE:<transaction
//     id>". bankHub repeats the transaction's id in every retry, and a new
//     transaction has a new id.
//   - a grant error: "bankhub:GRANT:ERROR:<grant id>:<error code>". bankHub
//     sends no time or counter with a grant error, so the same error for
//     the same grant, reported again while the dedupe store still
//     remembers the first one (72 h by default), is taken for a retry and
//     acknowledged without calling the handler. That is harmless for the
//     usual reaction (ask the end user to log in again), and a different
//     error code for the grant is a new key; a receiver that must see
//     every repetition should give bankHub's events a dedupe TTL just
//     above bankHub's 24 h retry window.
//   - a revoked permission: "bankhub:GRANT:USER_PERMISSION_REVOKED:<grant
//     id>". A grant is revoked once.
//   - any other pair: "bankhub:<type>:<code>:sha256=<hex>", the SHA-256 of
//     the body in canonical form (see [Unknown].Raw), so that formatting
//     does not matter and distinct events get distinct keys.
//
// The key has the shape of bunq.Notification's. Bytes of an identifier
// other than letters, digits, '_', '-' and '.' are percent-encoded (a ":"
// in an id becomes "%3A"), so keys are unambiguous; a part longer than 128
// bytes is replaced by "sha256=" and its SHA-256 in hex. The key is never "" and
// does not depend on the body's formatting or member order.
func (w *Webhook) IdempotencyKey() string {
	var b strings.Builder
	b.WriteString("bankhub:")
	switch w.kind() {
	case kindGrantFailed:
		b.WriteString("GRANT:ERROR:")
		writeSegment(&b, w.GrantID)
		b.WriteByte(':')
		if w.Error != nil {
			writeSegment(&b, string(w.Error.ErrorCode))
		}
	case kindPermissionRevoked:
		b.WriteString("GRANT:USER_PERMISSION_REVOKED:")
		writeSegment(&b, w.GrantID)
	case kindNewTransaction:
		b.WriteString("TRANSACTIONS:DEFAULT_UPDATE:")
		writeSegment(&b, w.Transaction.ID)
	default:
		body := w.raw
		if body == nil {
			body = w.canonicalBody()
		}
		sum := sha256.Sum256(body)
		writeSegment(&b, string(w.Type))
		b.WriteByte(':')
		writeSegment(&b, string(w.Code))
		b.WriteString(":sha256=")
		b.WriteString(hex.EncodeToString(sum[:]))
	}
	return b.String()
}

// writeSegment writes s percent-encoded, or its hash when that is longer
// than maxKeySegment.
func writeSegment(b *strings.Builder, s string) {
	e := escapeKeyPart(s)
	if len(e) <= maxKeySegment {
		b.WriteString(e)
		return
	}
	sum := sha256.Sum256([]byte(s))
	b.WriteString("sha256=")
	b.WriteString(hex.EncodeToString(sum[:]))
}

// escapeKeyPart percent-encodes every byte of s but letters, digits, '_',
// '-' and '.'.
func escapeKeyPart(s string) string {
	const hexDigits = "0123456789ABCDEF"
	keep := func(c byte) bool {
		return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.'
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if !keep(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	out := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		if c := s[i]; keep(c) {
			out = append(out, c)
		} else {
			out = append(out, '%', hexDigits[c>>4], hexDigits[c&15])
		}
	}
	return string(out)
}
