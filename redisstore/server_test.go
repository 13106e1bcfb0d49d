package redisstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// Environment variables of the tests.
const (
	// envAddr names a running Redis to test against instead of starting
	// redis-server; its keys are prefixed per test and left to expire.
	envAddr = "BANKHOOK_REDIS_ADDR"
	// envRequire=1 turns a missing Redis into a failure instead of a skip.
	envRequire = "BANKHOOK_REQUIRE_REDIS"
)

func TestMain(m *testing.M) {
	// The restart tests make go-redis log every failed dial.
	redis.SetLogger(quietLogger{})
	os.Exit(m.Run())
}

type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

const howToRun = "these tests need Redis: apt-get install redis-server (put redis-server on PATH), or set " +
	envAddr + "=host:port; set " + envRequire + "=1 to fail instead of skipping"

// redisServer is one Redis a test runs against: a redis-server process of
// its own (a standalone server, a cluster node or a sentinel), or the one
// named by BANKHOOK_REDIS_ADDR.
type redisServer struct {
	Addr string

	bin    string   // redis-server; "" for an external server
	dir    string   // the process's own directory: log, cluster or sentinel configuration
	port   int      // its port on 127.0.0.1
	argv   []string // the arguments of redis-server
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has exited

	adminClient *redis.Client // see admin; created on first use
}

// startRedis returns a running Redis for tb, stopped at the end of the
// test, or skips tb (fails it when BANKHOOK_REQUIRE_REDIS=1) when there is
// none.
func startRedis(tb testing.TB) *redisServer {
	tb.Helper()
	if addr := os.Getenv(envAddr); addr != "" {
		return &redisServer{Addr: addr}
	}
	s := newRedisProcess(tb, redisServerBin(tb, ""), freePort(tb), func(s *redisServer) []string { return s.serverArgs() })
	s.Start(tb)
	return s
}

// redisServerBin returns the path of redis-server, or skips tb (fails it
// when BANKHOOK_REQUIRE_REDIS=1) when it is not on PATH. need, when not
// empty, says why the test cannot use BANKHOOK_REDIS_ADDR instead.
func redisServerBin(tb testing.TB, need string) string {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err == nil {
		return bin
	}
	msg := howToRun
	if need != "" {
		msg = need + "; " + msg
	}
	if os.Getenv(envRequire) == "1" {
		tb.Fatalf("redis-server not found and %s=1: %s", envRequire, msg)
	}
	tb.Skip(msg)
	return ""
}

// newRedisProcess returns a redis-server process of tb's own on port, in a
// new directory, not started yet; argv gives its arguments. It is stopped
// at the end of the test.
func newRedisProcess(tb testing.TB, bin string, port int, argv func(*redisServer) []string) *redisServer {
	tb.Helper()
	s := &redisServer{bin: bin, dir: tb.TempDir(), port: port}
	s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	s.argv = argv(s)
	tb.Cleanup(func() {
		if s.cmd != nil {
			s.Stop(tb)
		}
	})
	return s
}

// serverArgs are the arguments of a data server: loopback only, nothing on
// disk, the log in its directory; extra ones follow.
func (s *redisServer) serverArgs(extra ...string) []string {
	return append([]string{
		"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no",
		"--dir", s.dir, "--logfile", s.logPath(),
	}, extra...)
}

func (s *redisServer) logPath() string { return filepath.Join(s.dir, "redis.log") }

// Own reports whether the test started this server, so it may stop and
// restart it.
func (s *redisServer) Own() bool { return s.bin != "" }

// Start starts redis-server on the server's port and waits until it
// answers PING.
func (s *redisServer) Start(tb testing.TB) {
	tb.Helper()
	require.True(tb, s.Own(), "cannot start an external Redis")
	require.Nil(tb, s.cmd, "redis-server is already running")
	cmd := exec.Command(s.bin, s.argv...)
	require.NoError(tb, cmd.Start(), "starting redis-server")
	s.cmd, s.exited = cmd, make(chan struct{})
	exited := s.exited
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()

	c := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1})
	defer c.Close()
	err := waitFor(10*time.Second, func() error {
		select {
		case <-exited:
			log, _ := os.ReadFile(s.logPath())
			tb.Fatalf("redis-server %s exited on start: %s", s.Addr, log)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		return c.Ping(ctx).Err()
	})
	if err != nil {
		tb.Fatalf("redis-server on %s did not answer: %v", s.Addr, err)
	}
}

// Stop kills redis-server, as a crash would, and waits until it is gone.
// Every key is lost: the server keeps nothing on disk (a cluster node
// keeps its cluster configuration, a sentinel its own).
func (s *redisServer) Stop(tb testing.TB) {
	tb.Helper()
	require.NotNil(tb, s.cmd, "redis-server is not running")
	if err := s.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		tb.Errorf("killing redis-server: %v", err)
	}
	<-s.exited
	s.cmd = nil
}

// Client returns a client of the server, closed at the end of the test, and
// configured as the package documentation recommends.
func (s *redisServer) Client(tb testing.TB) *redis.Client {
	tb.Helper()
	c := redis.NewClient(&redis.Options{Addr: s.Addr, ContextTimeoutEnabled: true})
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// admin returns the client for setting the server up and inspecting it:
// one connection, no retries, short timeouts. It is closed at the end of
// the test that first asked for it, and reconnects after a restart.
func (s *redisServer) admin(tb testing.TB) *redis.Client {
	tb.Helper()
	if s.adminClient == nil {
		s.adminClient = redis.NewClient(&redis.Options{
			Addr: s.Addr, MaxRetries: -1, PoolSize: 1,
			DialTimeout: time.Second, ReadTimeout: time.Second, WriteTimeout: time.Second,
		})
		c := s.adminClient
		tb.Cleanup(func() { _ = c.Close() })
	}
	return s.adminClient
}

// waitFor calls check every 10 ms until it returns nil, and returns its
// last error after timeout.
func waitFor(timeout time.Duration, check func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// info returns the field name of INFO section on c ("" when absent).
func info(ctx context.Context, c *redis.Client, section, name string) (string, error) {
	text, err := c.Info(ctx, section).Result()
	if err != nil {
		return "", err
	}
	for line := range strings.Lines(text) {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			return strings.TrimSpace(v), nil
		}
	}
	return "", nil
}

// uniquePrefix returns a key prefix no other test, run or process uses, so
// tests can share a server and leave their keys to expire.
func uniquePrefix() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "bankhook-test:" + hex.EncodeToString(b[:]) + ":"
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(tb, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
