// Package bunqapi is a client for the part of bunq's API that a callback
// receiver needs: subscribing callback URLs, pinning certificate chains,
// and listing and re-sending the callbacks bunq gave up on, so that a
// receiver that was down for longer than bunq's five minutes of retries
// still loses no event ([Recoverer]).
//
// # Setting up
//
// On bunq's sandbox, [CreateSandboxUser] makes a test user and returns its
// API key (POST /v1/sandbox-user-person, which needs no context); it
// refuses bunq's production API.
//
// bunq's API needs an "API context" before any call: [Setup] makes a fresh
// RSA 2048 key pair and runs bunq's handshake with an API key,
//
//	POST /v1/installation   the client's public key → installation token, bunq's server key
//	POST /v1/device-server  the API key, a description, permitted IPs (installation token, signed)
//	POST /v1/session-server the API key → session token and the user (installation token, signed)
//
// and [Client.Save] writes the context to a JSON file with mode 0600;
// [Load] reads it back. The file holds the API key, the private key and
// the tokens: it is a secret, like the API key itself. Load refuses a file
// other users may read. Take the API key from the environment or a
// secret store, never from a command line.
//
// # The protocol
//
// Every request carries bunq's headers (Cache-Control, User-Agent, a fresh
// X-Bunq-Client-Request-Id, X-Bunq-Language, X-Bunq-Region,
// X-Bunq-Geolocation) and, after the installation, the token in
// X-Bunq-Client-Authentication and X-Bunq-Client-Signature: the base64
// RSA PKCS #1 v1.5 SHA-256 signature of the body (bunq requires it on
// device-server and session-server; the client signs every request, as
// bunq's SDKs do).
//
// Every 2xx response must carry X-Bunq-Server-Signature, verified with the
// server key from the installation over the body (bunq's scheme since
// April 2020) or over the status, the sorted X-Bunq- headers and the body
// (the scheme before); a response that does not verify is an error
// wrapping [ErrSignature] and nothing in it is used, so a man in the
// middle cannot fake an empty failure list. An answer that is not 2xx is
// an [*Error] with the status and bunq's error descriptions.
//
// # Sessions
//
// POST /v1/session-server answers the session token with the user, whose
// session_timeout (seconds; one week unless the user set a shorter
// auto-logout in bunq's app) says how long the session lives. The client
// keeps the session's expiry (opened + session_timeout) in the context
// file and, like bunq's SDKs, opens a new session with the installation
// token 30 s before it, on the clock of Options.Now: no call goes out
// with a token that has timed out. A context file written before the
// expiry was kept still loads; its session is renewed the first time
// bunq says it ended.
//
// bunq also ends sessions on its own (a new login elsewhere, the user's
// auto-logout): it then answers 403 with "Insufficient authentication."
// (401 in its older documents). On either, the client opens one new
// session, retries the call once and saves the new session to the
// context file; concurrent calls share one renewal. A second refusal is
// returned, never a loop. A 403 for anything else (a permission) is an
// [*Error] with bunq's description, without a renewal.
//
// A 429 (bunq allows a few calls per
// endpoint per 3 seconds, one session-server call per 30) is waited out
// and retried within the call's context.
//
// # Calls
//
//	ListFilters, SetFilters, UpdateFilters   GET, POST /v1/user/{userID}/notification-filter-url
//	ListAccountFilters, SetAccountFilters,   … /monetary-account/{monetary-accountID}/notification-filter-url
//	  UpdateAccountFilters
//	ListPins, CreatePin, DeletePin           GET, POST, DELETE /v1/user/{userID}/certificate-pinned
//	ListFailures, RetryFailures              GET, POST /v1/user/{userID}/notification-filter-failure
//
// # Pagination
//
// bunq answers a listing in pages, newest first: 10 entries unless the
// request asks for a count (at most 200), with a Pagination object whose
// older_url leads to the next older page (newer_url and future_url go the
// other way). Every listing of the client (ListFilters, ListFailures)
// asks for count=200 and follows older_url until a page has none; a link
// that leaves the listing (another host, path or parameter) or leads back
// to a page already read is refused, and so is the whole listing, after
// at most 10,000 pages. A listing that fails part way returns an error
// and nothing of what it read.
//
// A POST of notification filters replaces the whole list, so a filter
// missing from what was read would be deleted. [Client.UpdateFilters]
// therefore posts only after the whole list was read: it hands the list
// to a function of yours and posts what it returns. Filters bunq listed
// go back unchanged, categories this package does not know (see
// Options.Filter) included; new ones are checked. A listing entry is read
// in one shape, its own category and notification_target when it has
// them, else its notification_filters, and identical filters are kept
// once, so that a list read and posted back is the list bunq holds.
//
// # Re-sending failed callbacks
//
// RetryFailures posts at most 100 ids a request. bunq refuses a whole
// request with 404 when one of its ids is no longer listed (re-sent by
// another pass or by hand, or re-delivered, since it was listed): the
// client then halves the request until the stale id is alone, re-sends
// every other id in the same call and returns the stale ones
// (RetryResult.Stale, Recovery.Stale), which a Recoverer logs and counts.
//
// The package bunq/bunqtest is a stand-in of bunq's API for tests; the
// examples run against it.
package bunqapi
