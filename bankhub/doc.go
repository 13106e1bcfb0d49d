// Package bankhub receives bankHub webhooks: it decodes their bodies into
// typed events, identifies each event across bankHub's retries, and holds
// bankHub's sender addresses and retry schedule.
//
// # What bankHub sends
//
// bankHub (a Vietnamese open-banking service) POSTs a raw JSON body to the
// one URL configured in the bankHub Console (http(s)://your-domain/path)
// when a grant fails or is revoked, and when a new transaction arrives on
// a connected account:
//
//	{
//	  "environment": "production",
//	  "webhookType": "TRANSACTIONS",          // required: GRANT | TRANSACTIONS
//	  "webhookCode": "DEFAULT_UPDATE",        // required: see below
//	  "grantId": null,                        // set for GRANT
//	  "error": null,                          // set for GRANT/ERROR
//	  "transaction": {"id": "…", "amount": 123456789012345678, …}
//	}
//
// The (webhookType, webhookCode) pair says what happened; [Webhook.Event]
// turns it into one of four types for a type switch:
//
//	GRANT/ERROR                     *GrantFailed        "grant_error"
//	    the financial account behind the grant failed; Error.ErrorCode is
//	    GRANT_LOGIN_REQUIRED (login details changed), OTP_REQUIRED (OTP
//	    authentication requested) or PREVENTION_WEB (the bank's website
//	    blocks the login)
//	GRANT/USER_PERMISSION_REVOKED   *PermissionRevoked  "permission_revoked"
//	    the end user deleted the grant given to the application
//	TRANSACTIONS/DEFAULT_UPDATE     *NewTransaction     "transaction"
//	    a new banking transaction on a connected account
//	anything else                   *Unknown            "unknown"
//	    a pair bankHub added later; Raw has the whole body
//
// The third column is the event's Kind, for the "object_type" of a log
// line.
//
// A [Transaction] carries every member bankHub documents: its id, the
// financial service's transactionCode and reference (MBBank sends both,
// OCB only reference; Agribank and Eximbank have no reference), the value
// date, value date-time and booking date, the exact amount and running
// balance (JSON numbers, up to 18 digits for VND, kept exactly as
// [bankhook.Decimal], never as float64), the description,
// the account and virtual account, the payment channel (Napas247, Nội bộ,
// Citad, Swift), the counterpart's account, name, bank BIN and bank name,
// paymentMeta.referenceNumber (the partner's order code), the financial
// institution and service, and the currency.
//
// # Decoding
//
// [Decode] reads a body without any HTTP, so it serves queues and replays
// as well as a handler. It is strict where laxness is a risk (duplicate
// member names, invalid UTF-8, trailing data, deep nesting, a transaction
// without an id or an amount) and liberal where real senders deviate from
// their documents (unknown members, null for absent values, JSON numbers
// for identifiers documented as strings, amounts as strings). An error is
// a *bankhook.DecodeError naming the offending member as a JSON Pointer.
// A decoded [Webhook] encodes back to bankHub's shape and decodes again to
// an equal Webhook.
//
// # Acknowledging, retries and duplicates
//
// bankHub counts a delivery as done when the endpoint answers 2xx within
// 30 seconds. Anything else, a 4xx or 5xx or no answer in time, makes it
// send the webhook again: 17 attempts in all within 24 hours, spaced by the
// Fibonacci sequence ([RetrySchedule] has the exact schedule and why).
// So answer 2xx only once the event is handled or safely stored, answer
// fast (do slow work after storing the event), and expect the same event
// more than once: [Webhook.IdempotencyKey] is the same in every retry of
// one event (bankHub sends no delivery id; the key is built from the
// transaction id, or the grant and its error code), for the dedupe stage of
// github.com/bankhook/bankhook.
//
// # Sender addresses
//
// bankHub sends from [ProductionIPs] (34.87.150.47, 34.124.145.244) and,
// in its sandbox, from [SandboxIPs] (20.2.69.168). bankHub does not sign
// its webhooks, so allow only these addresses, put a secret token in the
// configured URL, and use HTTPS.
//
// # Receiving over HTTP
//
// NewReceiver (receiver.go) assembles the whole chain with bankHub's
// defaults: the address allowlist, a rate limit, POST with a JSON body of
// bounded size, the URL token, Decode, and dedupe keyed by
// IdempotencyKey, ahead of the application's typed handler.
package bankhub
