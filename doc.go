// Package bankhook receives bank webhooks safely: bunq callbacks, bankHub
// webhooks, or any JSON webhook.
//
// A bank POSTs an event to a URL you own and retries every delivery it
// does not see acknowledged: bunq five more times a minute apart, bankHub
// seventeen times over 24 hours, counting an answer slower than 30 s as a
// failure. bankhook is built around one rule:
//
//	Answer 2xx only for an event that has been handled, or that is a
//	confirmed duplicate of one that was.
//
// Everything else gets a non-2xx answer, so the bank delivers it again. A
// receiver built this way loses no event and handles none twice, for as
// long as its dedupe store remembers the event.
//
// # The pipeline
//
// Each stage is an ordinary [Middleware], func(http.Handler) http.Handler,
// so it wraps an existing handler in any router. A request meets the
// cheapest and most hostile checks first:
//
//  1. [Observe] attaches an [Observer] and starts the request's clock.
//  2. [ClientIP] resolves the sender: RemoteAddr, or the right-most
//     untrusted X-Forwarded-For hop when the peer is a trusted proxy.
//  3. [AllowIPs] answers 403 to senders outside the bank's published
//     addresses ([IPAllowlist], swappable at run time).
//  4. [RateLimit] answers 429 with Retry-After to a sender over its rate.
//  5. [ReadBody] checks method (405), content type (415) and size (413),
//     and reads the body once.
//  6. [RequireToken] checks a secret token in the callback URL (401);
//     [Verify] plugs in a bank's signature scheme.
//  7. [Decode] decodes the body into the provider's typed event (400,
//     naming the offending field).
//  8. [Dedupe] reserves the event's idempotency key in a [Store]: a
//     duplicate of a handled event is answered from the store, one being
//     handled elsewhere gets 409. A receiver that can read the key from
//     the body (the bunq and bankhub receivers, and
//     [NewKeyedReceiver]) runs this stage before 7, so a
//     delivery in flight is not decoded (nor, in the bank presets, a
//     duplicate).
//  9. [Handle] runs your typed function: nil acknowledges the event, an
//     error or a panic makes the bank retry.
//
// Rejections are written by [Reject] as RFC 9457 application/problem+json
// with a stable [Reason], and reported to the Observer; no internal error
// text reaches the sender. The default Observer, [NewSlogObserver]'s, logs every
// acknowledged event and every 5xx, and samples rejections
// per reason and sender network, so that a flood cannot fill a disk. The adapters in the
// modules extra/bankhookprom and extra/bankhookotel turn the same reports
// into Prometheus metrics and OpenTelemetry spans, wired in through
// [ReceiverOptions].Observer and [ReceiverOptions].Middleware.
// [WatchAllowlistFile] keeps an allowlist equal to a file while the
// process runs.
//
// The packages bunq and bankhub assemble this chain with each bank's
// defaults (bunq.NewReceiver, bankhub.NewReceiver) and decode its events
// into typed values; redisstore shares the dedupe store between replicas;
// hooktest replays a bank's retry policy against a receiver on a fake
// clock.
//
// Money is never a float: amounts decode into [Decimal], which keeps every
// digit.
package bankhook
