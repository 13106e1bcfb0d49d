package redisstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// Shape and timing of the Sentinel setup.
const (
	sentinelName   = "bankhook" // the master's name
	sentinelCount  = 3
	sentinelQuorum = 2
	// sentinelDownAfter is how long the master may be unreachable before a
	// sentinel considers it down (down-after-milliseconds): short, so a
	// failover takes a few seconds instead of the default 30 s.
	sentinelDownAfter = 500 * time.Millisecond
	// sentinelFailoverTimeout is failover-timeout: after a failed election
	// (two sentinels asking for votes at once) the sentinels try again
	// after twice this. Promoting the replica takes well under it.
	sentinelFailoverTimeout = 3 * time.Second
	// sentinelReady bounds the wait for the setup to form or heal.
	sentinelReady = 30 * time.Second
)

// redisSentinel is a master, its replica and three sentinels watching
// them, of the test's own, on loopback.
type redisSentinel struct {
	data      [2]*redisServer // at first data[0] is the master, data[1] its replica
	sentinels [sentinelCount]*redisServer
	watchers  [sentinelCount]*redis.SentinelClient
}

// startSentinel starts the master, the replica and the sentinels, and
// waits until every sentinel knows the master, the replica in sync and
// the other sentinels. Everything is stopped at the end of the test.
// Without redis-server the test is skipped (failed when
// BANKHOOK_REQUIRE_REDIS=1).
func startSentinel(tb testing.TB) *redisSentinel {
	tb.Helper()
	bin := redisServerBin(tb, "the Sentinel tests start five redis-server processes of their own ("+envAddr+" is not used)")
	s := &redisSentinel{}
	ports := distinctPorts(tb, len(s.data)+len(s.sentinels), false)
	master := newRedisProcess(tb, bin, ports[0], func(r *redisServer) []string { return r.serverArgs(dataArgs...) })
	master.Start(tb)
	s.data[0] = master
	s.data[1] = newRedisProcess(tb, bin, ports[1], func(r *redisServer) []string { return replicaArgs(r, master) })
	s.data[1].Start(tb)
	for i := range s.sentinels {
		sn := newRedisProcess(tb, bin, ports[2+i], func(r *redisServer) []string {
			return []string{filepath.Join(r.dir, "sentinel.conf"), "--sentinel"}
		})
		conf := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nlogfile %s\n"+
			"sentinel monitor %s 127.0.0.1 %d %d\n"+
			"sentinel down-after-milliseconds %[4]s %[7]d\n"+
			"sentinel failover-timeout %[4]s %[8]d\n"+
			"sentinel parallel-syncs %[4]s 1\n",
			sn.port, sn.dir, sn.logPath(), sentinelName, master.port, sentinelQuorum,
			sentinelDownAfter.Milliseconds(), sentinelFailoverTimeout.Milliseconds())
		require.NoError(tb, os.WriteFile(sn.argv[0], []byte(conf), 0o600))
		sn.Start(tb)
		s.sentinels[i] = sn
		w := redis.NewSentinelClient(&redis.Options{Addr: sn.Addr, MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: time.Second})
		tb.Cleanup(func() { _ = w.Close() })
		s.watchers[i] = w
	}
	s.waitReady(tb, s.data[0], s.data[1])
	return s
}

// dataArgs are the extra arguments of the master and the replica: a
// replica (re)syncs at once, not after the default 5 s.
var dataArgs = []string{"--repl-diskless-sync-delay", "0"}

// replicaArgs are the arguments of r as a replica of master.
func replicaArgs(r, master *redisServer) []string {
	return r.serverArgs(append(dataArgs, "--replicaof", "127.0.0.1", strconv.Itoa(master.port))...)
}

// Client returns a Sentinel (failover) client of the master, closed at the
// end of the test, configured as the package documentation recommends.
func (s *redisSentinel) Client(tb testing.TB) redis.UniversalClient {
	tb.Helper()
	addrs := make([]string, len(s.sentinels))
	for i, sn := range s.sentinels {
		addrs[i] = sn.Addr
	}
	c := redis.NewFailoverClient(&redis.FailoverOptions{
		MasterName: sentinelName, SentinelAddrs: addrs, ContextTimeoutEnabled: true,
	})
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// checkReady checks that master is a master, replica its replica in sync,
// and that every sentinel names master, sees replica healthy and knows the
// other sentinels.
func (s *redisSentinel) checkReady(tb testing.TB, master, replica *redisServer) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if role, err := info(ctx, master.admin(tb), "replication", "role"); err != nil || role != "master" {
		return fmt.Errorf("%s: role %q: %v", master.Addr, role, err)
	}
	if link, err := info(ctx, replica.admin(tb), "replication", "master_link_status"); err != nil || link != "up" {
		return fmt.Errorf("%s: master_link_status %q: %v", replica.Addr, link, err)
	}
	for i, w := range s.watchers {
		sn := s.sentinels[i].Addr
		addr, err := w.GetMasterAddrByName(ctx, sentinelName).Result()
		if err != nil {
			return fmt.Errorf("sentinel %s: %w", sn, err)
		}
		if got := addr[0] + ":" + addr[1]; got != master.Addr {
			return fmt.Errorf("sentinel %s names %s the master, not %s", sn, got, master.Addr)
		}
		replicas, err := w.Replicas(ctx, sentinelName).Result()
		if err != nil {
			return fmt.Errorf("sentinel %s: %w", sn, err)
		}
		healthy := false
		for _, r := range replicas {
			healthy = healthy || r["name"] == replica.Addr && r["flags"] == "slave" && r["master-link-status"] == "ok"
		}
		if !healthy {
			return fmt.Errorf("sentinel %s does not see %s as a healthy replica: %v", sn, replica.Addr, replicas)
		}
		others, err := w.Sentinels(ctx, sentinelName).Result()
		if err != nil {
			return fmt.Errorf("sentinel %s: %w", sn, err)
		}
		if len(others) != sentinelCount-1 {
			return fmt.Errorf("sentinel %s knows %d other sentinels", sn, len(others))
		}
	}
	return nil
}

// waitReady waits until checkReady holds.
func (s *redisSentinel) waitReady(tb testing.TB, master, replica *redisServer) {
	tb.Helper()
	err := waitFor(sentinelReady, func() error { return s.checkReady(tb, master, replica) })
	require.NoError(tb, err, "the sentinels did not settle")
}

// killMaster kills master, as a crash would, once replica has every write
// so far, and waits until the sentinels have promoted replica and a quorum
// of them names it the master.
func (s *redisSentinel) killMaster(t *testing.T, master, replica *redisServer) outageTimes {
	t.Helper()
	synced := syncReplica(t, master, replica)
	master.Stop(t)
	down := time.Now()
	ctx := context.Background()
	err := waitFor(sentinelReady, func() error {
		if role, err := info(ctx, replica.admin(t), "replication", "role"); err != nil || role != "master" {
			return fmt.Errorf("%s: role %q: %v", replica.Addr, role, err)
		}
		naming := 0
		for _, w := range s.watchers {
			addr, err := w.GetMasterAddrByName(ctx, sentinelName).Result()
			if err == nil && addr[0]+":"+addr[1] == replica.Addr {
				naming++
			}
		}
		if naming < sentinelQuorum {
			return fmt.Errorf("%d sentinels name %s the master", naming, replica.Addr)
		}
		return nil
	})
	require.NoError(t, err, "the sentinels did not fail over")
	return outageTimes{synced: synced, down: down, up: time.Now()}
}

// TestSentinel runs the Store conformance suite, the replica test and
// failovers under traffic against a master, its replica and three
// sentinels, through redis.NewFailoverClient.
func TestSentinel(t *testing.T) {
	setup := time.Now()
	s := startSentinel(t)
	t.Logf("started in %v", time.Since(setup).Round(time.Millisecond))
	t.Run("store_conformance", func(t *testing.T) { storeConformance(t, s.Client(t)) })
	t.Run("replicas", func(t *testing.T) { testReplicas(t, s.Client, replicaEventCount()/3) }) // TestReplicas covers the volume
	master, replica := s.data[0], s.data[1]
	for _, tc := range failModes {
		t.Run("master_killed_"+tc.name, func(t *testing.T) {
			runThroughOutage(t, s.Client, tc.failClosed, func(t *testing.T) outageTimes {
				return s.killMaster(t, master, replica)
			})
			// The old master comes back, empty, as a replica of the new
			// one, so the next test fails over the other way.
			start := time.Now()
			master.argv = replicaArgs(master, replica)
			master.Start(t)
			master, replica = replica, master
			s.waitReady(t, master, replica)
			t.Logf("the killed master rejoined as a replica in %v", time.Since(start).Round(time.Millisecond))
		})
	}
}
