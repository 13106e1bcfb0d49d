// Package redisstore is a [bankhook.Store] on Redis, for receivers that run
// as several replicas behind one load balancer: a bank's retry may reach
// any replica, and all of them must agree that an event was already
// handled, or is being handled right now.
//
// Use it as the Store of [bankhook.Dedupe]:
//
//	client := redis.NewClient(&redis.Options{Addr: "redis:6379", ContextTimeoutEnabled: true})
//	dedupe := bankhook.Dedupe(bankhook.DedupeOptions{Store: redisstore.New(client, redisstore.Options{})})
//
// Standalone, Sentinel (failover) and Cluster clients work alike: every
// operation touches exactly one key. The package's tests run the same
// checks through all three (see "Failover" below). A first delivery costs two round
// trips (reserve, then complete or release); a duplicate costs one. The
// three operations are Lua scripts run by EVALSHA; the first call of each
// on a server that does not know it yet (after a restart or SCRIPT FLUSH)
// costs one more round trip, to send it.
//
// # Keys and values
//
// The key of an event is Prefix + "{" + idempotency key + "}". The braces
// are a Redis Cluster hash tag: the store itself never touches two keys in
// one command, so it does not need them today, but they keep every key
// derived from one event on one slot if that ever changes, while distinct
// events still spread over all slots. A Prefix with a "{…}" of its own
// would take precedence and put every key on one slot: harmless on one
// server, a hot spot on a cluster.
//
// A reserved key holds "r:" and a random 128-bit token, and expires with
// its lease; a done key holds "d:" and the answered status (for example
// "d:200"), and expires with the TTL. Both are set with a millisecond
// expiry (PX), so Redis forgets them by itself; nothing sweeps.
//
// # Guarantees
//
// Reserve is one atomic script: an absent key is reserved, a present one
// reports InFlight or Done. Complete and Release are scripts that act only
// while the caller's token still holds the key, so a holder whose lease
// ended (and whose key another replica may have taken over) can never
// overwrite or delete someone else's state: it gets an error wrapping
// [bankhook.ErrLeaseLost] instead.
//
// A call that fails may still have taken effect: a reservation whose
// answer was lost blocks its event until the lease ends (Dedupe's Lease,
// 60 s by default), after which the bank's next retry is handled, and a
// release that failed does the same. (A script the client retried after
// a lost answer is recognised by its token, so it does not block.)
//
// These guarantees hold as long as Redis keeps what it acknowledged. Run
// it with maxmemory-policy noeviction (or enough memory): an evicted done
// key means a retry is handled again. An asynchronous replica promoted
// after a failover may lack the latest writes, with the same effect for
// those keys. While Redis cannot be reached, [bankhook.Dedupe] fails open
// (the handler runs; at-least-once) or, with FailClosed, answers 503 so the
// bank retries later.
//
// # Failover
//
// With a replica (Sentinel or Cluster), what a master acknowledged and its
// replica received survives the master: after the replica takes over,
// events handled before are still answered from the store. Between the
// master's end and the takeover, the calls for the keys it held fail and
// Dedupe applies its policy as above; a planned failover (CLUSTER
// FAILOVER, which waits for the replica to catch up) fails no call.
//
// A cluster client sends each key to the master its map of slots names.
// go-redis refreshes that map when a node answers MOVED, or every minute;
// a master that died answers nothing, so its slots would keep failing for
// up to a minute after its replica took over. After a failed call the
// store therefore has a [*redis.ClusterClient] reload the map in the
// background (go-redis runs one reload at a time, at most one every
// 200 ms), and the new master is used once it serves.
package redisstore
