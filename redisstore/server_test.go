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

// redisServer is the Redis a test runs against: a redis-server process of
// its own, or the one named by BANKHOOK_REDIS_ADDR.
type redisServer struct {
	Addr string

	bin    string // redis-server; "" for an external server
	dir    string
	port   int
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has exited
}

// startRedis returns a running Redis for tb, stopped at the end of the
// test, or skips tb (fails it when BANKHOOK_REQUIRE_REDIS=1) when there is
// none.
func startRedis(tb testing.TB) *redisServer {
	tb.Helper()
	if addr := os.Getenv(envAddr); addr != "" {
		return &redisServer{Addr: addr}
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv(envRequire) == "1" {
			tb.Fatalf("redis-server not found and %s not set; %s", envAddr, howToRun)
		}
		tb.Skip(howToRun)
	}
	s := &redisServer{bin: bin, dir: tb.TempDir(), port: freePort(tb)}
	s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
	s.Start(tb)
	tb.Cleanup(func() {
		if s.cmd != nil {
			s.Stop(tb)
		}
	})
	return s
}

// Own reports whether the test started this server, so it may stop and
// restart it.
func (s *redisServer) Own() bool { return s.bin != "" }

// Start starts redis-server on the server's port and waits until it
// answers PING.
func (s *redisServer) Start(tb testing.TB) {
	tb.Helper()
	require.True(tb, s.Own(), "cannot start an external Redis")
	require.Nil(tb, s.cmd, "redis-server is already running")
	logPath := filepath.Join(s.dir, "redis.log")
	cmd := exec.Command(s.bin,
		"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no",
		"--dir", s.dir, "--logfile", logPath)
	require.NoError(tb, cmd.Start(), "starting redis-server")
	s.cmd, s.exited = cmd, make(chan struct{})
	exited := s.exited
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()

	c := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		select {
		case <-exited:
			log, _ := os.ReadFile(logPath)
			tb.Fatalf("redis-server exited on start: %s", log)
		default:
		}
		if time.Now().After(deadline) {
			tb.Fatalf("redis-server on %s did not answer: %v", s.Addr, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Stop kills redis-server, as a crash would, and waits until it is gone.
// Every key is lost: the server keeps nothing on disk.
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
