package redisstore_test

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// Shape and timing of the test cluster.
const (
	clusterMasters = 3
	clusterSlots   = 16384
	// clusterNodeTimeout is how long a node may be unreachable before the
	// cluster fails it over (cluster-node-timeout): short, so a failover
	// takes about a second instead of the default 15 s.
	clusterNodeTimeout = 500 * time.Millisecond
	// clusterReady bounds the wait for the cluster to form or heal.
	clusterReady = 20 * time.Second
)

// redisCluster is a Redis Cluster of the test's own: three masters, each
// with one replica, on loopback.
type redisCluster struct {
	nodes [2 * clusterMasters]*redisServer // at first nodes[i] is a master, nodes[i+clusterMasters] its replica
}

// startCluster starts a cluster of six redis-server processes, built by
// hand as redis-cli --cluster create would, and waits until every slot is
// served by a master with a replica in sync. It is stopped at the end of
// the test. Without redis-server the test is skipped (failed when
// BANKHOOK_REQUIRE_REDIS=1).
func startCluster(tb testing.TB) *redisCluster {
	tb.Helper()
	bin := redisServerBin(tb, "the Redis Cluster tests start six redis-server processes of their own ("+envAddr+" is not used)")
	c := &redisCluster{}
	ports := distinctPorts(tb, len(c.nodes), true)
	for i := range c.nodes {
		c.nodes[i] = newRedisProcess(tb, bin, ports[i], func(s *redisServer) []string {
			return s.serverArgs(
				"--cluster-enabled", "yes",
				"--cluster-config-file", "nodes.conf",
				"--cluster-node-timeout", strconv.FormatInt(clusterNodeTimeout.Milliseconds(), 10),
				// A replica may take over however long it was cut off.
				"--cluster-replica-validity-factor", "0",
				// A replica (re)syncs at once, not after the default 5 s.
				"--repl-diskless-sync-delay", "0",
			)
		})
		c.nodes[i].Start(tb)
	}
	ctx := context.Background()
	ids := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		id, err := n.admin(tb).Do(ctx, "CLUSTER", "MYID").Text()
		require.NoError(tb, err)
		ids[i] = id
		// Distinct epochs, as redis-cli sets them, so that the nodes need
		// not resolve a collision first.
		require.NoError(tb, n.admin(tb).Do(ctx, "CLUSTER", "SET-CONFIG-EPOCH", i+1).Err())
	}
	for i := range clusterMasters {
		lo, hi := i*clusterSlots/clusterMasters, (i+1)*clusterSlots/clusterMasters-1
		slots := make([]int, 0, hi-lo+1)
		for s := lo; s <= hi; s++ {
			slots = append(slots, s)
		}
		require.NoError(tb, c.nodes[i].admin(tb).ClusterAddSlots(ctx, slots...).Err())
	}
	for _, n := range c.nodes[1:] {
		require.NoError(tb, c.nodes[0].admin(tb).ClusterMeet(ctx, "127.0.0.1", strconv.Itoa(n.port)).Err())
	}
	for i := range clusterMasters {
		replica := c.nodes[i+clusterMasters]
		// A node can replicate a master only once it has heard of it.
		err := waitFor(clusterReady, func() error { return replica.admin(tb).ClusterReplicate(ctx, ids[i]).Err() })
		require.NoError(tb, err, "CLUSTER REPLICATE on %s", replica.Addr)
	}
	c.waitHealthy(tb)
	return c
}

// distinctPorts returns n distinct loopback ports that were free a moment
// ago; with bus, their cluster bus ports (port+10000) too.
func distinctPorts(tb testing.TB, n int, bus bool) []int {
	tb.Helper()
	taken := map[int]bool{}
	var ports []int
	for len(ports) < n {
		p := freePort(tb)
		if taken[p] || bus && (p+10000 > 65535 || taken[p+10000] || !portFree(p+10000)) {
			continue
		}
		taken[p], taken[p+10000] = true, bus
		ports = append(ports, p)
	}
	return ports
}

// portFree reports whether a loopback TCP port can be listened on now.
func portFree(port int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return false
	}
	_ = l.Close()
	return true
}

// Client returns a cluster client of every node, closed at the end of the
// test, configured as the package documentation recommends.
func (c *redisCluster) Client(tb testing.TB) redis.UniversalClient {
	tb.Helper()
	addrs := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		addrs[i] = n.Addr
	}
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs, ContextTimeoutEnabled: true})
	tb.Cleanup(func() { _ = cc.Close() })
	return cc
}

// clusterNode is one line of CLUSTER NODES.
type clusterNode struct {
	id, addr, masterID string
	master, failed     bool     // failed: flagged fail or fail?, or not connected
	slots              [][2]int // the slot ranges it serves
}

// slotCount returns how many slots n serves.
func (n clusterNode) slotCount() int {
	total := 0
	for _, r := range n.slots {
		total += r[1] - r[0] + 1
	}
	return total
}

// serves reports whether n serves slot.
func (n clusterNode) serves(slot int) bool {
	for _, r := range n.slots {
		if r[0] <= slot && slot <= r[1] {
			return true
		}
	}
	return false
}

// view returns the cluster as node n sees it, and its cluster_state.
func (c *redisCluster) view(tb testing.TB, n *redisServer) ([]clusterNode, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	text, err := n.admin(tb).ClusterNodes(ctx).Result()
	if err != nil {
		return nil, "", err
	}
	var nodes []clusterNode
	for line := range strings.Lines(text) {
		f := strings.Fields(line)
		if len(f) < 8 {
			continue
		}
		flags := f[2]
		cn := clusterNode{
			id: f[0], addr: strings.SplitN(f[1], "@", 2)[0], masterID: f[3],
			master: strings.Contains(flags, "master"),
			failed: strings.Contains(flags, "fail") || strings.Contains(flags, "handshake") || f[7] != "connected",
		}
		for _, r := range f[8:] {
			if strings.HasPrefix(r, "[") { // a slot being migrated
				continue
			}
			lo, hi, isRange := strings.Cut(r, "-")
			a, _ := strconv.Atoi(lo)
			b := a
			if isRange {
				b, _ = strconv.Atoi(hi)
			}
			cn.slots = append(cn.slots, [2]int{a, b})
		}
		nodes = append(nodes, cn)
	}
	ci, err := n.admin(tb).ClusterInfo(ctx).Result()
	if err != nil {
		return nil, "", err
	}
	state := ""
	for line := range strings.Lines(ci) {
		if v, ok := strings.CutPrefix(line, "cluster_state:"); ok {
			state = strings.TrimSpace(v)
		}
	}
	return nodes, state, nil
}

// running returns the nodes whose process runs.
func (c *redisCluster) running() []*redisServer {
	var out []*redisServer
	for _, n := range c.nodes {
		if n.cmd != nil {
			out = append(out, n)
		}
	}
	return out
}

// checkServing checks that every running node says cluster_state:ok and
// sees all slots served by healthy masters; with replicas, also that each
// such master has a healthy replica, and that every running node is one of
// those healthy masters or replicas.
func (c *redisCluster) checkServing(tb testing.TB, replicas bool) error {
	running := c.running()
	for _, n := range running {
		nodes, state, err := c.view(tb, n)
		if err != nil {
			return fmt.Errorf("%s: %w", n.Addr, err)
		}
		if state != "ok" {
			return fmt.Errorf("%s: cluster_state:%s", n.Addr, state)
		}
		served, healthy := 0, map[string]bool{}
		for _, m := range nodes {
			if m.master && !m.failed && len(m.slots) > 0 {
				served += m.slotCount()
				healthy[m.addr] = true
				if !replicas {
					continue
				}
				ok := false
				for _, r := range nodes {
					if r.masterID == m.id && !r.failed {
						ok = true
						healthy[r.addr] = true
					}
				}
				if !ok {
					return fmt.Errorf("%s: master %s has no healthy replica", n.Addr, m.addr)
				}
			}
		}
		if served != clusterSlots {
			return fmt.Errorf("%s: %d of %d slots served", n.Addr, served, clusterSlots)
		}
		if replicas {
			for _, r := range running {
				if !healthy[r.Addr] {
					return fmt.Errorf("%s: %s is neither a serving master nor a healthy replica", n.Addr, r.Addr)
				}
			}
		}
	}
	if !replicas {
		return nil
	}
	for _, n := range running {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		role, err := info(ctx, n.admin(tb), "replication", "role")
		link := "up"
		if err == nil && role == "slave" {
			link, err = info(ctx, n.admin(tb), "replication", "master_link_status")
		}
		cancel()
		if err != nil {
			return fmt.Errorf("%s: %w", n.Addr, err)
		}
		if link != "up" {
			return fmt.Errorf("%s: replica not in sync (master_link_status:%s)", n.Addr, link)
		}
	}
	return nil
}

// waitHealthy waits until every slot is served by a master whose replica
// is in sync, as every running node sees it.
func (c *redisCluster) waitHealthy(tb testing.TB) {
	tb.Helper()
	require.NoError(tb, waitFor(clusterReady, func() error { return c.checkServing(tb, true) }), "the cluster did not become healthy")
}

// waitServing waits until every slot is served again, as every running
// node sees it.
func (c *redisCluster) waitServing(tb testing.TB) {
	tb.Helper()
	require.NoError(tb, waitFor(clusterReady, func() error { return c.checkServing(tb, false) }), "the cluster did not serve every slot again")
}

// masterOf returns the running master that serves key's slot, and its
// replica, as the first running node sees them.
func (c *redisCluster) masterOf(tb testing.TB, key string) (master, replica *redisServer) {
	tb.Helper()
	n := c.running()[0]
	slot, err := n.admin(tb).ClusterKeySlot(context.Background(), key).Result()
	require.NoError(tb, err)
	nodes, _, err := c.view(tb, n)
	require.NoError(tb, err)
	byAddr := map[string]*redisServer{}
	for _, s := range c.nodes {
		byAddr[s.Addr] = s
	}
	for _, m := range nodes {
		if !m.master || m.failed || !m.serves(int(slot)) {
			continue
		}
		master = byAddr[m.addr]
		for _, r := range nodes {
			if r.masterID == m.id && !r.failed {
				replica = byAddr[r.addr]
			}
		}
	}
	require.NotNil(tb, master, "no master serves slot %d", slot)
	require.NotNil(tb, replica, "the master of slot %d has no replica", slot)
	return master, replica
}

// failoverKey is a key whose shard the failover tests take away: a third
// of the events live there too.
const failoverKey = "test:evt-0"

// syncReplica waits until replica has every write master acknowledged so
// far, and returns the time before which that holds.
func syncReplica(t *testing.T, master, replica *redisServer) time.Time {
	t.Helper()
	ctx := context.Background()
	synced := time.Now()
	off, err := info(ctx, master.admin(t), "replication", "master_repl_offset")
	require.NoError(t, err)
	want, err := strconv.ParseInt(off, 10, 64)
	require.NoError(t, err)
	err = waitFor(clusterReady, func() error {
		v, err := info(ctx, replica.admin(t), "replication", "slave_repl_offset")
		if err != nil {
			return err
		}
		if got, _ := strconv.ParseInt(v, 10, 64); got < want {
			return fmt.Errorf("replica %s at offset %d of %d", replica.Addr, got, want)
		}
		return nil
	})
	require.NoError(t, err)
	return synced
}

// killMaster kills the master of failoverKey's shard, as a crash would, and
// waits until the cluster has promoted its replica and serves every slot
// again. It returns the killed node.
func (c *redisCluster) killMaster(t *testing.T) (outageTimes, *redisServer) {
	t.Helper()
	master, replica := c.masterOf(t, failoverKey)
	synced := syncReplica(t, master, replica)
	master.Stop(t)
	down := time.Now()
	c.waitServing(t)
	return outageTimes{synced: synced, down: down, up: time.Now()}, master
}

// manualFailover has the replica of failoverKey's shard take over from its
// master with CLUSTER FAILOVER, as an operator does before maintenance:
// the master stops taking writes until the replica has them all.
func (c *redisCluster) manualFailover(t *testing.T) outageTimes {
	t.Helper()
	_, replica := c.masterOf(t, failoverKey)
	ctx := context.Background()
	down := time.Now()
	require.NoError(t, replica.admin(t).ClusterFailover(ctx).Err())
	err := waitFor(clusterReady, func() error {
		role, err := info(ctx, replica.admin(t), "replication", "role")
		if err == nil && role != "master" {
			err = fmt.Errorf("%s is still a %s", replica.Addr, role)
		}
		if err != nil {
			return err
		}
		return c.checkServing(t, false)
	})
	require.NoError(t, err, "the manual failover did not complete")
	return outageTimes{synced: down, down: down, up: time.Now(), planned: true}
}

// TestCluster runs the Store conformance suite, the replica test and
// failovers under traffic against a Redis Cluster of three masters with a
// replica each, through redis.ClusterClient.
func TestCluster(t *testing.T) {
	setup := time.Now()
	c := startCluster(t)
	t.Logf("started in %v", time.Since(setup).Round(time.Millisecond))
	t.Run("store_conformance", func(t *testing.T) { storeConformance(t, c.Client(t)) })
	t.Run("replicas", func(t *testing.T) { testReplicas(t, c.Client, replicaEventCount()/3) }) // TestReplicas covers the volume
	t.Run("manual_failover", func(t *testing.T) {
		runThroughOutage(t, c.Client, true, c.manualFailover)
		c.waitHealthy(t)
	})
	for _, tc := range failModes {
		t.Run("master_killed_"+tc.name, func(t *testing.T) {
			var killed *redisServer
			runThroughOutage(t, c.Client, tc.failClosed, func(t *testing.T) outageTimes {
				ot, m := c.killMaster(t)
				killed = m
				return ot
			})
			// The killed node comes back, empty, and joins as a replica of
			// the node that took over, so the next test has a full cluster.
			start := time.Now()
			killed.Start(t)
			c.waitHealthy(t)
			t.Logf("the killed master rejoined as a replica in %v", time.Since(start).Round(time.Millisecond))
		})
	}
}
