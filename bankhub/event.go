package bankhub

import (
	"bytes"

	"github.com/go-json-experiment/json/jsontext"
)

// Event is what a webhook reports, for a type switch:
//
//	switch e := w.Event().(type) {
//	case *bankhub.GrantFailed:       // GRANT/ERROR
//	case *bankhub.PermissionRevoked: // GRANT/USER_PERMISSION_REVOKED
//	case *bankhub.NewTransaction:    // TRANSACTIONS/DEFAULT_UPDATE
//	case *bankhub.Unknown:           // any other pair
//	}
//
// The set is sealed: these four types are all there is, and a pair bankHub
// adds later is an [*Unknown], so a new bankHub event never breaks a
// receiver.
type Event interface {
	// Kind is a short, stable name for the event, for the "object_type"
	// of a log line: "grant_error", "permission_revoked", "transaction"
	// or "unknown".
	Kind() string

	isEvent()
}

// GrantFailed reports that the financial account behind a grant failed
// (GRANT/ERROR): the end user has to act, for example log in again or
// pass an OTP check, before bankHub can read the account.
//
// The zero value has no grant. It is plain data, safe for concurrent reads.
type GrantFailed struct {
	// GrantID is the grant that failed; never "" in an event from Decode.
	GrantID string
	// Error is the error bankHub reported; zero when it sent none.
	Error GrantError
}

// PermissionRevoked reports that the end user deleted the grant given to
// the application (GRANT/USER_PERMISSION_REVOKED): bankHub will send no
// more data for it.
//
// The zero value has no grant. It is plain data, safe for concurrent reads.
type PermissionRevoked struct {
	// GrantID is the revoked grant; never "" in an event from Decode.
	GrantID string
}

// NewTransaction reports a new banking transaction on a connected account
// (TRANSACTIONS/DEFAULT_UPDATE).
//
// The zero value has no transaction. It is plain data, safe for concurrent
// reads.
type NewTransaction struct {
	// Transaction is the transaction, shared with the Webhook; never nil
	// and always with an ID in an event from [Webhook.Event].
	Transaction *Transaction
}

// Unknown is any webhook whose (type, code) pair this package does not
// handle: one bankHub added after this package was written, or (for a
// Webhook built by hand rather than by Decode) a known pair missing what
// it needs.
//
// The zero value is an empty pair. It is plain data, safe for concurrent
// reads.
type Unknown struct {
	// Type is the webhook's "webhookType", as sent.
	Type WebhookType
	// Code is the webhook's "webhookCode", as sent.
	Code WebhookCode
	// Raw is the whole webhook body in canonical form: object members
	// sorted, whitespace removed, strings in their shortest form and
	// numbers exactly as sent (RFC 8785 without its float64 rewriting of
	// numbers, which would merge distinct 18-digit amounts).
	Raw jsontext.Value
}

// Kind returns "grant_error".
func (*GrantFailed) Kind() string { return "grant_error" }

// Kind returns "permission_revoked".
func (*PermissionRevoked) Kind() string { return "permission_revoked" }

// Kind returns "transaction".
func (*NewTransaction) Kind() string { return "transaction" }

// Kind returns "unknown".
func (*Unknown) Kind() string { return "unknown" }

func (*GrantFailed) isEvent()       {}
func (*PermissionRevoked) isEvent() {}
func (*NewTransaction) isEvent()    {}
func (*Unknown) isEvent()           {}

// eventKind is a pair this package handles, or kindUnknown.
type eventKind int

const (
	kindUnknown eventKind = iota
	kindGrantFailed
	kindPermissionRevoked
	kindNewTransaction
)

// pairKind maps a (type, code) pair to the event it documents.
func pairKind(t WebhookType, c WebhookCode) eventKind {
	switch {
	case t == TypeGrant && c == CodeError:
		return kindGrantFailed
	case t == TypeGrant && c == CodeUserPermissionRevoked:
		return kindPermissionRevoked
	case t == TypeTransactions && c == CodeDefaultUpdate:
		return kindNewTransaction
	}
	return kindUnknown
}

// kind is the event w reports: its pair's, when w has what that event
// needs (Decode makes sure it does), and kindUnknown otherwise.
func (w *Webhook) kind() eventKind {
	switch k := pairKind(w.Type, w.Code); k {
	case kindGrantFailed, kindPermissionRevoked:
		if w.GrantID != "" {
			return k
		}
	case kindNewTransaction:
		if w.Transaction != nil && w.Transaction.ID != "" {
			return k
		}
	}
	return kindUnknown
}

// Event returns what w reports, as a new value on each call. For a Webhook
// from [Decode], a documented pair always gives its own type; a pair
// bankHub added later gives an [*Unknown].
func (w *Webhook) Event() Event {
	switch w.kind() {
	case kindGrantFailed:
		e := &GrantFailed{GrantID: w.GrantID}
		if w.Error != nil {
			e.Error = *w.Error
		}
		return e
	case kindPermissionRevoked:
		return &PermissionRevoked{GrantID: w.GrantID}
	case kindNewTransaction:
		return &NewTransaction{Transaction: w.Transaction}
	default:
		return &Unknown{Type: w.Type, Code: w.Code, Raw: w.canonicalBody()}
	}
}

// canonicalBody is the body w was decoded from, or for a Webhook built by
// hand its encoding, in canonical form.
func (w *Webhook) canonicalBody() jsontext.Value {
	if w.raw != nil {
		return bytes.Clone(w.raw)
	}
	b, err := w.MarshalJSON()
	if err != nil {
		return nil
	}
	v, err := canonical(b)
	if err != nil {
		return nil
	}
	return v
}
