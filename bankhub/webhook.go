package bankhub

import (
	"bytes"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// WebhookType is the webhook's "webhookType": what the webhook is about.
// Values bankHub adds later decode unchanged (their event is [*Unknown]).
type WebhookType string

// The webhook types bankHub documents.
const (
	// TypeGrant is a webhook for a grant (the end user's consent for an
	// application to read a financial account).
	TypeGrant WebhookType = "GRANT"
	// TypeTransactions is a webhook for transaction data.
	TypeTransactions WebhookType = "TRANSACTIONS"
)

// WebhookCode is the webhook's "webhookCode": what happened. Its meaning
// depends on the [WebhookType]. Values bankHub adds later decode unchanged
// (their event is [*Unknown]).
type WebhookCode string

// The webhook codes bankHub documents.
const (
	// CodeError (type GRANT): an error from the financial account
	// associated with the grant. The Webhook's Error says which.
	CodeError WebhookCode = "ERROR"
	// CodeUserPermissionRevoked (type GRANT): the end user deleted the
	// grant given to the application.
	CodeUserPermissionRevoked WebhookCode = "USER_PERMISSION_REVOKED"
	// CodeDefaultUpdate (type TRANSACTIONS): a new banking transaction
	// arose on a connected account. The Webhook's Transaction describes it.
	CodeDefaultUpdate WebhookCode = "DEFAULT_UPDATE"
)

// ErrorCode is the "errorCode" of a grant error: why the financial account
// behind a grant failed. Values bankHub adds later decode unchanged.
type ErrorCode string

// The grant error codes bankHub documents.
const (
	// GrantLoginRequired: the login information changed (a new password,
	// for example); the end user must log in to the bank again.
	GrantLoginRequired ErrorCode = "GRANT_LOGIN_REQUIRED"
	// OTPRequired: the financial account requests OTP authentication.
	OTPRequired ErrorCode = "OTP_REQUIRED"
	// PreventionWeb: the financial service's website blocks the login.
	PreventionWeb ErrorCode = "PREVENTION_WEB"
)

// GrantError is the "error" object of a GRANT/ERROR webhook: the error the
// financial account associated with the grant reported.
//
// The zero value is an error bankHub described with no fields.
type GrantError struct {
	// ErrorType is bankHub's "errorType". Its values are not documented.
	ErrorType string `json:"errorType,omitzero"`
	// ErrorCode is the error code from the financial account.
	ErrorCode ErrorCode `json:"errorCode,omitzero"`
	// ErrorMessage describes the error, for people.
	ErrorMessage string `json:"errorMessage,omitzero"`
}

// Webhook is one bankHub webhook body, as [Decode] returns it. What
// happened is the pair (Type, Code); [Webhook.Event] turns it into a value
// for a type switch, and [Webhook.IdempotencyKey] identifies it across
// bankHub's retries.
//
// A Webhook encodes (with github.com/go-json-experiment/json or
// encoding/json) in bankHub's own shape, so it can be queued or replayed
// and decoded again to an equal Webhook with the same key; it decodes with
// the rules of [Decode]. A Webhook that Decode returned for a (type, code)
// pair this package does not know also keeps the body it came from, in
// canonical form, and encodes as that body, so that nothing bankHub added
// is lost on the way through a queue.
//
// The zero value is an empty Webhook, which encodes but does not decode
// (Type and Code are required). A Webhook is safe for concurrent reads.
type Webhook struct {
	// Environment is bankHub's "environment", the bankHub environment
	// that sent the webhook. Its values are not documented.
	Environment string `json:"environment,omitzero"`
	// Type is the "webhookType". Decode requires it.
	Type WebhookType `json:"webhookType"`
	// Code is the "webhookCode". Decode requires it.
	Code WebhookCode `json:"webhookCode"`
	// GrantID is the "grantId", set when Type is GRANT; "" when absent
	// or null.
	GrantID string `json:"grantId,omitzero"`
	// Error is the grant error, set for GRANT/ERROR; nil when absent or
	// null.
	Error *GrantError `json:"error,omitzero"`
	// Transaction is the new transaction, set for TRANSACTIONS/
	// DEFAULT_UPDATE; nil when absent or null.
	Transaction *Transaction `json:"transaction,omitzero"`

	// raw is the body of a webhook whose pair this package does not know,
	// in canonical form (see canonical); nil for every other Webhook.
	raw jsontext.Value
}

// plainWebhook is Webhook without its methods, for the encoder.
type plainWebhook Webhook

// MarshalJSONTo writes w in bankHub's shape. It is used by
// github.com/go-json-experiment/json.
func (w *Webhook) MarshalJSONTo(enc *jsontext.Encoder) error {
	if w.raw != nil {
		return enc.WriteValue(w.raw)
	}
	return json.MarshalEncode(enc, (*plainWebhook)(w))
}

// MarshalJSON returns w in bankHub's shape, for encoding/json.
func (w *Webhook) MarshalJSON() ([]byte, error) {
	if w.raw != nil {
		return bytes.Clone(w.raw), nil
	}
	return json.Marshal((*plainWebhook)(w))
}

// UnmarshalJSON decodes b with [Decode], for encoding/json and for
// github.com/go-json-experiment/json.
func (w *Webhook) UnmarshalJSON(b []byte) error {
	d, err := Decode(b)
	if err != nil {
		return err
	}
	*w = *d
	return nil
}
