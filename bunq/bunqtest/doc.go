// Package bunqtest is a stand-in for bunq's API, for tests: what
// net/http/httptest is to an HTTP server, bunqtest is to bunq. It starts
// on a loopback port, follows bunq's documented protocol and behaviour,
// and delivers callbacks on a clock the test controls.
//
// A test creates a [Server] with [NewServer], a user with [Server.AddUser]
// (which returns its API key), and points its client at [Server.URL]:
//
//	srv := bunqtest.NewServer(bunqtest.Options{})
//	defer srv.Close()
//	u, _ := srv.AddUser(bunqtest.UserOptions{})
//	client, err := bunqapi.Setup(ctx, u.APIKey, bunqapi.Options{BaseURL: srv.URL()})
//
// # What it checks and answers, as bunq does
//
//   - The handshake: POST /v1/installation takes an RSA public key of at
//     least 2048 bits and answers an installation token and the server's
//     public key; POST /v1/device-server binds the API key to the
//     installation and to the caller's address (or to permitted_ips, "*"
//     for any); POST /v1/session-server opens a session and answers its
//     token and the user (UserPerson, UserCompany, UserApiKey or
//     UserPaymentServiceProvider).
//   - Every request carries bunq's mandatory headers (Cache-Control,
//     User-Agent, X-Bunq-Client-Request-Id, X-Bunq-Geolocation,
//     X-Bunq-Language, X-Bunq-Region), else 400; a request id is used once
//     per installation.
//   - X-Bunq-Client-Authentication holds the installation token for
//     device-server and session-server, the session token for everything
//     else: a missing token or an unknown installation token is answered
//     401, a session call whose token is no open session as an ended
//     session (below). device-server and session-server must carry
//     X-Bunq-Client-Signature (466 without), the base64 RSA PKCS #1 v1.5
//     SHA-256 signature of the body with the installation's key; a
//     signature on any other request is checked too (401 when wrong).
//   - Every response, errors included, carries X-Bunq-Server-Signature
//     over its body ([Server.SetSignatureMode] switches to the pre-2020
//     scheme, or to the faults a client must refuse: none, or a tampered
//     body), X-Bunq-Client-Response-Id, and the request's
//     X-Bunq-Client-Request-Id.
//   - Errors use bunq's envelope,
//     {"Error":[{"error_description":…,"error_description_translated":…}]}.
//   - Rate limits per client address and endpoint: 3 GET, 5 POST, 2 PUT,
//     3 DELETE within 3 s, 1 session-server call within 30 s; past them,
//     429 ([Options.RateWindow] scales the windows).
//   - POST /v1/session-server answers the user's session_timeout
//     ([Options.SessionTimeout], one week by default, as bunq's
//     auto-logout), and sessions expire after it without use on the
//     stand-in's clock, or at once with [Server.ExpireSessions]; then the
//     ended session's token is answered 403 "Insufficient
//     authentication.", as bunq does (401 with
//     [Server.SetEndedSessionStatus]).
//
// # The resources
//
// POST /v1/sandbox-user-person, as bunq's sandbox has it, without
// authentication: a new natural person with a monetary account, whose
// API key ("sandbox_…") it answers as {"Response":[{"ApiKey":{"api_key":…}}]}.
// GET /v1/user and GET /v1/user/{userID}: the session's user, keyed by its
// kind (UserPerson, UserCompany, UserApiKey or
// UserPaymentServiceProvider), as session-server gave it, which bunq's
// SDKs read when they refresh their context.
//
// GET and POST /v1/user/{userID}/notification-filter-url and
// /v1/user/{userID}/monetary-account/{monetary-accountID}/notification-filter-url
// (listed newest first, count 10 by default and at most 200, with
// Pagination; each entry carries its filter both as its own category and
// notification_target and in notification_filters; a POST replaces the
// whole list; bunq's categories, [Options.ExtraCategories] and https URLs
// only; at most 2 URLs per category); GET, POST, and GET and DELETE of an item
// of /v1/user/{userID}/certificate-pinned (the chain is posted as a list
// of {"certificate": PEM} and listed as one string glued with newlines);
// GET /v1/user/{userID}/notification-filter-failure (newest first, count
// 10 by default and at most 200, Pagination with older_url, newer_url and
// future_url; [Options.PageLimit] makes pages smaller) and POST of it
// with notification_filter_failed_ids, at most 100 comma-separated ids,
// refused whole with 404 "NotificationFilterFailure not found." when one
// of them is no longer listed (re-sent meanwhile), as bunq does.
//
// # Callbacks
//
// [Server.Pay] and [Server.Notify] create events. Each is POSTed to every
// https URL filter of the user (and of the monetary account) subscribed to
// its category, with bunq's envelope as the body, on bunq's schedule
// ([bunq.RetrySchedule]): the first attempt when the event happens, then
// up to 5 retries one minute apart until one is answered 2xx. The clock
// stands still until [Server.Advance] moves it; Advance makes the attempts
// that fall due, in order, and returns when they are answered. After the
// sixth failed attempt the callback is listed under
// notification-filter-failure; a re-send through the API delivers it
// again on the same schedule (bunq does not document whether a re-sent
// callback is retried; the stand-in assumes it is), and if that fails too
// it is listed again under a new id. When the user has pinned certificate
// chains, a callback whose server does not present a pinned leaf
// certificate fails, as at bunq.
//
// # What it leaves out
//
// Everything else of bunq's API (payments through the API, monetary
// account resources, OAuth, PSD2 credentials) answers 404 "Route not
// found.". Time-based
// limits run on the wall clock, everything else on the stand-in's clock.
package bunqtest
