package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

// readSecrets fills in the URL token and the Redis address from where
// they may safely come from (a file, the environment) and notes a warning
// for each that came from the command line instead, where ps, /proc and
// shell history show it. getenv is os.Getenv.
func (c *serveConfig) readSecrets(set map[string]bool, getenv func(string) string) error {
	switch {
	case set["token"] && set["token-file"]:
		return errors.New("--token and --token-file both give the token: give one")
	case set["token"]:
		if c.Token == "" {
			return errors.New("--token: empty secret")
		}
		c.warnings = append(c.warnings, "--token: the secret shows in ps, /proc/PID/cmdline and shell history; use --token-file FILE or "+envToken)
	case set["token-file"]:
		token, warning, err := readTokenFile(c.tokenFile)
		if err != nil {
			return err
		}
		c.Token = token
		if warning != "" {
			c.warnings = append(c.warnings, warning)
		}
	default:
		c.Token = getenv(envToken)
	}
	switch {
	case set["redis"]:
		if c.Redis == "" {
			return errors.New("--redis: empty address")
		}
		if hasPassword(c.Redis) {
			c.warnings = append(c.warnings, "--redis: the URL's password shows in ps, /proc/PID/cmdline and shell history; give the URL in "+envRedisURL)
		}
	default:
		c.Redis = getenv(envRedisURL)
	}
	switch {
	case set["postgres"]:
		if c.Postgres == "" {
			return errors.New("--postgres: empty URL")
		}
		if cfg, err := pgx.ParseConfig(c.Postgres); err == nil && cfg.Password != "" {
			c.warnings = append(c.warnings, "--postgres: the URL's password shows in ps, /proc/PID/cmdline and shell history; give the URL in "+envPostgres+" (or the password in ~/.pgpass or PGPASSWORD)")
		}
	default:
		c.Postgres = getenv(envPostgres)
	}
	return nil
}

// readTokenFile reads a token from path: its content, without the
// surrounding white space an editor leaves. warning is set when the file
// can be read by others than its owner.
func readTokenFile(path string) (token, warning string, err error) {
	if path == "" {
		return "", "", errors.New("--token-file: empty file name")
	}
	f, err := os.Open(path)
	if err != nil {
		return "", "", fmt.Errorf("--token-file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", "", fmt.Errorf("--token-file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return "", "", fmt.Errorf("--token-file %s: not a regular file", path)
	}
	const maxToken = 4 << 10
	b, err := io.ReadAll(io.LimitReader(f, maxToken+1))
	if err != nil {
		return "", "", fmt.Errorf("--token-file: %w", err)
	}
	if len(b) > maxToken {
		return "", "", fmt.Errorf("--token-file %s: longer than %d bytes: not a token", path, maxToken)
	}
	token = strings.TrimSpace(string(b))
	if token == "" {
		return "", "", fmt.Errorf("--token-file %s: empty", path)
	}
	if strings.ContainsAny(token, "\r\n") {
		return "", "", fmt.Errorf("--token-file %s: holds more than one line", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		warning = fmt.Sprintf("--token-file %s can be read by group or others (mode %04o): chmod 600 it", path, perm)
	}
	return token, warning, nil
}

// hasPassword reports whether a --redis value holds a password.
func hasPassword(addr string) bool {
	if !strings.Contains(addr, "://") {
		return false
	}
	o, err := redis.ParseURL(addr)
	return err == nil && o.Password != ""
}

// checkDurable refuses to start without somewhere durable to put events:
// an --out file, standard output when it is redirected to a file, or
// --forward; standard output of another kind only with --dev.
func (c *serveConfig) checkDurable(stdout io.Writer) error {
	switch {
	case c.Out == "" && c.Forward == "" && c.Postgres == "":
		return errors.New("--out: no durable output for events: give --out FILE (each event is appended and synced before the bank is answered), --postgres URL or --forward URL")
	case c.Out == "-" && !c.Dev && !isRegularFile(stdout):
		return errors.New("--out -: standard output is not a file (a pipe, a terminal, journald or a log driver may drop lines after the bank got its 2xx): give --out FILE, or redirect standard output to a file")
	}
	return nil
}

// isRegularFile reports whether w is an open regular file.
func isRegularFile(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode().IsRegular()
}

// isLoopbackAddr reports whether the host of a host:port listens on
// loopback only. An empty host (every interface) is not loopback.
func isLoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}
