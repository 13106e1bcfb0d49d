// Package pgtest starts private PostgreSQL clusters for tests, as
// net/http/httptest starts servers: pgstore's, bankhook serve's, and your
// own tests of handlers that book through pgstore.Handle. It runs initdb
// and pg_ctl from Debian's postgresql package (or PATH),
// run as the postgres user when the tests run as root, with the data in a
// temporary folder and the server listening on a free loopback port, with
// fsync and synchronous_commit on. A cluster is stopped and removed at the
// end.
//
// One cluster is shared by a test binary ([Main] in TestMain), and each
// test gets a database of its own on it ([Pool]); a test that stops and
// starts PostgreSQL starts a cluster of its own ([NewCluster]).
//
// Where PostgreSQL is not installed, the tests that need it skip with a
// message saying how to install it; with BANKHOOK_REQUIRE_POSTGRES=1 they
// fail instead.
package pgtest

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// EnvRequire=1 turns a missing PostgreSQL into a failure instead of a skip.
const EnvRequire = "BANKHOOK_REQUIRE_POSTGRES"

const howToInstall = "these tests need PostgreSQL: apt-get install postgresql (initdb and pg_ctl in /usr/lib/postgresql/*/bin or on PATH); set " +
	EnvRequire + "=1 to fail instead of skipping"

// errNotInstalled: no initdb and pg_ctl were found.
var errNotInstalled = errors.New("pgtest: PostgreSQL is not installed")

// shared is the cluster Main started, or why there is none. Main sets
// both before any test runs and clears them after the last; tests only
// read them.
var (
	shared    *Cluster
	sharedErr error
)

// EnvExampleURL is the variable the package examples read their
// database's URL from, as a program reads its configuration: Main sets it
// to a database of the shared cluster.
const EnvExampleURL = "DATABASE_URL"

// Main starts the shared cluster, runs the tests and removes the cluster.
// Use it in TestMain: os.Exit(pgtest.Main(m)).
//
// It points EnvExampleURL at a database of its own on the cluster for the
// examples. Where there is no PostgreSQL (and BANKHOOK_REQUIRE_POSTGRES is
// not 1), it says so and runs only the tests, benchmarks and fuzz targets,
// which skip one by one, unless -run was given: examples cannot skip.
func Main(m *testing.M) int {
	shared, sharedErr = start()
	if sharedErr == nil {
		sharedErr = shared.exampleDatabase()
	}
	if sharedErr != nil && errors.Is(sharedErr, errNotInstalled) && os.Getenv(EnvRequire) != "1" {
		flag.Parse()
		if f := flag.Lookup("test.run"); f != nil && f.Value.String() == "" {
			fmt.Fprintln(os.Stderr, "pgtest: not running the examples: "+howToInstall)
			_ = f.Value.Set("^(Test|Benchmark|Fuzz)")
		}
	}
	code := m.Run()
	if shared != nil {
		if err := shared.remove(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			if code == 0 {
				code = 1
			}
		}
	}
	return code
}

// exampleDatabase creates the examples' database and sets EnvExampleURL.
func (c *Cluster) exampleDatabase() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return fmt.Errorf("pgtest: connect: %w", err)
	}
	defer func() { _ = admin.Close(context.Background()) }()
	if _, err := admin.Exec(ctx, "CREATE DATABASE examples"); err != nil {
		return fmt.Errorf("pgtest: create database: %w", err)
	}
	return os.Setenv(EnvExampleURL, c.URL("examples"))
}

// Pool returns a pool on a new database of the shared cluster, dropped at
// the end of the test, or skips tb (fails it with BANKHOOK_REQUIRE_POSTGRES=1)
// when there is no PostgreSQL.
func Pool(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	if sharedErr != nil {
		unavailable(tb, sharedErr)
	}
	if shared == nil {
		tb.Fatal("pgtest: Pool without pgtest.Main in TestMain")
	}
	return shared.Pool(tb)
}

// PoolConfig is Pool, with configure (when not nil) changing the pool's
// configuration first.
func PoolConfig(tb testing.TB, configure func(*pgxpool.Config)) *pgxpool.Pool {
	tb.Helper()
	if sharedErr != nil {
		unavailable(tb, sharedErr)
	}
	if shared == nil {
		tb.Fatal("pgtest: PoolConfig without pgtest.Main in TestMain")
	}
	return shared.PoolConfig(tb, configure)
}

// unavailable skips or fails tb for err.
func unavailable(tb testing.TB, err error) {
	tb.Helper()
	if !errors.Is(err, errNotInstalled) || os.Getenv(EnvRequire) == "1" {
		tb.Fatalf("%v (%s)", err, howToInstall)
	}
	tb.Skip(howToInstall)
}

// Cluster is a private PostgreSQL cluster. Its methods are safe for
// concurrent use, but Stop and Start must not race each other.
type Cluster struct {
	bin  string // the directory of initdb, pg_ctl, postgres
	dir  string // the temporary folder: data/, the log
	port int
	cred *syscall.Credential // the postgres user's, when running as root
	dbs  atomic.Int64        // databases created, for their names
}

// NewCluster starts a cluster of tb's own, removed at the end of the test,
// or skips tb (fails it with BANKHOOK_REQUIRE_POSTGRES=1) when there is no
// PostgreSQL.
func NewCluster(tb testing.TB) *Cluster {
	tb.Helper()
	c, err := start()
	if err != nil {
		unavailable(tb, err)
	}
	tb.Cleanup(func() {
		if err := c.remove(); err != nil {
			tb.Error(err)
		}
	})
	return c
}

// URL is the connection string of database db on the cluster.
func (c *Cluster) URL(db string) string {
	return "postgres://postgres@" + net.JoinHostPort("127.0.0.1", strconv.Itoa(c.port)) + "/" + db + "?sslmode=disable"
}

// Pool returns a pool on a new database of c, closed and dropped at the
// end of the test.
func (c *Cluster) Pool(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	return c.PoolConfig(tb, nil)
}

// PoolConfig is Pool, with configure (when not nil) changing the pool's
// configuration first.
func (c *Cluster) PoolConfig(tb testing.TB, configure func(*pgxpool.Config)) *pgxpool.Pool {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	name := "test_" + strconv.FormatInt(c.dbs.Add(1), 10)
	admin, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		tb.Fatalf("pgtest: connect: %v", err)
	}
	defer func() { _ = admin.Close(context.Background()) }()
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("pgtest: create database: %v", err)
	}
	cfg, err := pgxpool.ParseConfig(c.URL(name))
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	if configure != nil {
		configure(cfg)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		tb.Fatalf("pgtest: pool: %v", err)
	}
	tb.Cleanup(func() {
		pool.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if admin, err := pgx.Connect(ctx, c.URL("postgres")); err == nil {
			_, _ = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			_ = admin.Close(ctx)
		}
	})
	return pool
}

// Stop stops the server with pg_ctl's mode: "immediate" is a crash (no
// checkpoint, every connection cut), "fast" a clean shutdown.
func (c *Cluster) Stop(mode string) error {
	return c.pgctl("stop", "-m", mode, "-w", "-t", "60")
}

// Start starts the server again after Stop, on the same port.
func (c *Cluster) Start() error {
	return c.pgctl("start", "-w", "-t", "60", "-l", filepath.Join(c.dir, "postgres.log"))
}

// start makes and starts a new cluster.
func start() (*Cluster, error) {
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	c := &Cluster{bin: bin}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("pgtest: running as root, and no postgres user to run PostgreSQL as: %w", err)
		}
		uid, _ := strconv.ParseUint(u.Uid, 10, 32)
		gid, _ := strconv.ParseUint(u.Gid, 10, 32)
		c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	if c.dir, err = os.MkdirTemp("", "bankhook-pgtest-"); err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	if c.cred != nil {
		if err := os.Chown(c.dir, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			_ = os.RemoveAll(c.dir)
			return nil, fmt.Errorf("pgtest: %w", err)
		}
	}
	if c.port, err = freePort(); err != nil {
		_ = os.RemoveAll(c.dir)
		return nil, err
	}
	if err := c.initdb(); err != nil {
		_ = os.RemoveAll(c.dir)
		return nil, err
	}
	if err := c.Start(); err != nil {
		_ = os.RemoveAll(c.dir)
		return nil, err
	}
	return c, nil
}

// initdb creates the data directory and configures the server.
func (c *Cluster) initdb() error {
	data := filepath.Join(c.dir, "data")
	if err := c.run(filepath.Join(c.bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"); err != nil {
		return err
	}
	conf := fmt.Sprintf(`
listen_addresses = '127.0.0.1'
port = %d
unix_socket_directories = ''
fsync = on
synchronous_commit = on
max_connections = 300
`, c.port)
	f, err := os.OpenFile(filepath.Join(data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	_, err = f.WriteString(conf)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	return nil
}

// remove stops the server and removes its folder.
func (c *Cluster) remove() error {
	err := c.Stop("immediate")
	if rerr := os.RemoveAll(c.dir); err == nil && rerr != nil {
		err = fmt.Errorf("pgtest: %w", rerr)
	}
	return err
}

func (c *Cluster) pgctl(args ...string) error {
	return c.run(filepath.Join(c.bin, "pg_ctl"), append([]string{"-D", filepath.Join(c.dir, "data")}, args...)...)
}

// run runs a PostgreSQL program as the cluster's user, bounded in time,
// and returns its output in the error when it fails.
func (c *Cluster) run(name string, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "postgres.log"))
		return fmt.Errorf("pgtest: %s %v: %w\n%s\nserver log:\n%s", filepath.Base(name), args, err, out.Bytes(), log)
	}
	return nil
}

// findBin returns the directory of initdb and pg_ctl: the newest of
// /usr/lib/postgresql/*/bin, else the one of initdb on PATH.
func findBin() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if isFile(filepath.Join(d, "initdb")) && isFile(filepath.Join(d, "pg_ctl")) {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil && isFile(filepath.Join(filepath.Dir(p), "pg_ctl")) {
		return filepath.Dir(p), nil
	}
	return "", errNotInstalled
}

// version is the major version in /usr/lib/postgresql/<version>/bin.
func version(bin string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(bin)))
	return v
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// freePort returns a loopback port nothing listens on right now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: free port: %w", err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Start starts a new cluster outside a test, for a benchmark program or
// a shell session; Remove stops it and deletes its folder. Tests use
// NewCluster or Pool.
func Start() (*Cluster, error) { return start() }

// Remove stops c (immediately) and deletes its folder.
func (c *Cluster) Remove() error { return c.remove() }

// Bin is the folder of PostgreSQL's programs the cluster runs (pgbench
// among them).
func (c *Cluster) Bin() string { return c.bin }

// Port is the loopback port the server listens on.
func (c *Cluster) Port() int { return c.port }

// PID returns the process id of the server (the postmaster): its
// backends are its children.
func (c *Cluster) PID() (int, error) {
	b, err := os.ReadFile(filepath.Join(c.dir, "data", "postmaster.pid"))
	if err != nil {
		return 0, fmt.Errorf("pgtest: %w", err)
	}
	first, _, _ := bytes.Cut(b, []byte("\n"))
	pid, err := strconv.Atoi(string(bytes.TrimSpace(first)))
	if err != nil {
		return 0, fmt.Errorf("pgtest: postmaster.pid: %w", err)
	}
	return pid, nil
}

// CreateDatabase creates the database name and returns its URL.
func (c *Cluster) CreateDatabase(ctx context.Context, name string) (string, error) {
	admin, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return "", fmt.Errorf("pgtest: connect: %w", err)
	}
	defer func() { _ = admin.Close(context.Background()) }()
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("pgtest: create database %s: %w", name, err)
	}
	return c.URL(name), nil
}
