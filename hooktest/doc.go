// Package hooktest is a test kit for webhook receivers built with
// bankhook: it builds deliveries as a bank sends them and replays a bank's
// retry policy against a handler on a fake clock.
//
// A [Delivery] is one event as the bank would POST it: body, headers,
// sender address, URL token. [Replay] sends a set of deliveries to an
// http.Handler in-process ([ReplayURL]: to a server over the network)
// under a [bankhook.RetryPolicy]: every answer that is not 2xx, or that
// comes later than the policy's timeout, is retried after the policy's
// next delay, until the event is acknowledged or the policy gives up.
// Delays pass on a [Clock] that Replay advances itself, so bankHub's 24 h
// schedule runs in milliseconds; give the same Clock to the receiver's
// dedupe store and rate limiter so that leases and TTLs expire on it too.
//
// The [Report] tells, per event, every attempt (when, which sender, what
// was answered) and whether the event was acknowledged or given up, with
// totals to assert on.
//
// Fake time stands still while handlers run: a handler that hangs until
// its deadline (the policy's Timeout, or the receiver's Deadline stage)
// takes that long in real time. Run such a replay inside
// testing/synctest.Test and those deadlines pass at once as well.
//
// [TestStore] is the conformance suite of the dedupe [bankhook.Store]
// contract: bankhook's own stores run it, and so can a store of yours
// (SQL, DynamoDB, …) from a test of its package.
//
// Package [github.com/bankhook/bankhook/hooktest/samples] holds example
// bodies of each bank's webhooks, to build deliveries from.
//
// The kit takes no shortcut through the receiver: requests go through the
// whole chain as the bank's would, so a test built on it checks the
// receiver's one rule — 2xx only for an event that has been handled, or a
// confirmed duplicate of one that was.
package hooktest
