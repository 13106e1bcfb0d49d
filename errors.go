package bankhook

import "errors"

// The sentinel errors of the package, each wrapped with details where it
// is returned: test for them with [errors.Is]. A rejection answered to a
// sender never carries their text (see [Reject]).
var (
	// ErrBadToken: the URL token is missing or matches none of the
	// configured tokens (401 bad_token).
	ErrBadToken = errors.New("bankhook: missing or wrong URL token")
	// ErrNoTokens: RequireToken was given no non-empty token; it refuses
	// every request.
	ErrNoTokens = errors.New("bankhook: RequireToken has no tokens configured")
	// ErrNoVerifier: Verify was given a nil Verifier; it refuses every
	// request.
	ErrNoVerifier = errors.New("bankhook: Verify has no Verifier")
	// ErrNoSenderCheck: NewReceiver was given neither an allowlist, a token
	// nor a verifier.
	ErrNoSenderCheck = errors.New("bankhook: receiver would accept events from anyone: set Allow, Tokens or Verifier")
	// ErrNoClientIP: the sender's address cannot be determined: a
	// RemoteAddr that is not an IP, or a malformed X-Forwarded-For from a
	// trusted proxy.
	ErrNoClientIP = errors.New("bankhook: cannot determine the client address")
	// ErrNoBody: a stage that needs the body ran without [ReadBody] before
	// it in the chain (answered 500).
	ErrNoBody = errors.New("bankhook: no body kept for this request: put ReadBody before this stage")
	// ErrNoEvent: [Handle] ran without a decoded event of its type: [Decode]
	// is missing from the chain, or decodes another type (answered 500).
	ErrNoEvent = errors.New("bankhook: no decoded event of the handler's type: put Decode before Handle")
	// ErrNoKey: no idempotency key could be derived for the request.
	ErrNoKey = errors.New("bankhook: no idempotency key for the request")
	// ErrLeaseLost: the reservation's lease ended or was taken over before
	// Complete or Release; the holder's result is not recorded.
	ErrLeaseLost = errors.New("bankhook: reservation lease lost")
	// ErrInexact: [Decimal.MinorUnits] was asked for a value with more
	// fractional digits than the currency's minor unit, or one that does
	// not fit an int64.
	ErrInexact = errors.New("bankhook: decimal not representable exactly")
	// ErrKeyMismatch: a receiver's key reader ([NewKeyedReceiver])
	// read another key from a body than the IdempotencyKey of the event
	// decoded from it. The delivery is answered 500 handler_failed.
	ErrKeyMismatch = errors.New("bankhook: key reader disagrees with decode")
	// ErrNoCertificate: PEM input holds no certificate, or a server
	// presented none.
	ErrNoCertificate = errors.New("bankhook: no certificate")
	// ErrPinMismatch: the server does not present the pinned chain (see
	// [PinReport.Match]); the bank cancels callbacks to it.
	ErrPinMismatch = errors.New("bankhook: pin mismatch")
	// ErrPinExpired: a pinned certificate is past its NotAfter; the bank
	// cancels callbacks to the server.
	ErrPinExpired = errors.New("bankhook: pinned certificate expired")
	// ErrPinExpiring: a pinned certificate expires within the window given
	// to [PinReport.Problem]; pin its successor before then.
	ErrPinExpiring = errors.New("bankhook: pinned certificate expiring")
)
