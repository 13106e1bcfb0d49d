package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// bin is the command under test, built once by TestMain (with -race when
// the tests run with -race, so that the server's concurrency is checked
// too).
var bin string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	flag.Parse()
	if f := flag.Lookup("test.fuzzworker"); f != nil && f.Value.String() == "true" {
		// A fuzzing worker runs only the fuzz target, in process.
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "bankhook-cmd-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin = filepath.Join(dir, "bankhook")
	args := []string{"build", "-o", bin}
	if raceEnabled() {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, ".")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the command:", err)
		return 1
	}
	return m.Run()
}

// raceEnabled reports whether this test binary was built with -race.
func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// result is how a command run ended.
type result struct {
	code           int
	stdout, stderr string
}

// runBin runs the built command to completion with stdin as its input.
func runBin(t *testing.T, stdin []byte, args ...string) result {
	t.Helper()
	return runBinIn(t, "", stdin, args...)
}

// runBinIn is runBin in the working directory dir ("" for the test's).
func runBinIn(t *testing.T, dir string, stdin []byte, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(stdin), &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		require.NoError(t, err, "running %v", args)
	}
	return result{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
}

// runIn runs the command in this process.
func runIn(t *testing.T, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := runContext(t.Context(), args, strings.NewReader(""), &stdout, &stderr)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	r := runBin(t, nil, "version")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, regexp.MustCompile(`^bankhook (\(devel\)|v\S+)( \(\S+\))? go1\.\d+\S* \w+/\w+\n$`), r.stdout)
	assert.Empty(t, r.stderr)

	r = runBin(t, nil, "version", "extra")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, `unexpected argument "extra"`)
}

func TestUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string // a substring of stdout
		stderr string // a substring of stderr
	}{
		{"no command", nil, exitUsage, "", "Usage:"},
		{"unknown command", []string{"receive"}, exitUsage, "", `unknown command "receive"`},
		{"help", []string{"help"}, exitOK, "bankhook serve [flags]", ""},
		{"-h", []string{"-h"}, exitOK, "bankhook pin [flags] HOST[:PORT]", ""},
		{"--help", []string{"--help"}, exitOK, "bankhook version", ""},
		{"serve -h", []string{"serve", "-h"}, exitOK, "Usage: bankhook serve", ""},
		{"serve --help", []string{"serve", "--help"}, exitOK, "-trust-proxy", ""},
		{"pin -h", []string{"pin", "-h"}, exitOK, "Usage: bankhook pin", ""},
		{"send -h", []string{"send", "-h"}, exitOK, "Usage: bankhook send", ""},
		{"version -h", []string{"version", "-h"}, exitOK, "Usage: bankhook version", ""},
		{"serve unknown flag", []string{"serve", "--port", "80"}, exitUsage, "", "flag provided but not defined: -port"},
		{"pin unknown flag", []string{"pin", "-x", "example.com"}, exitUsage, "", "flag provided but not defined: -x"},
		{"send unknown flag", []string{"send", "bunq", "MUTATION", "--retries", "3"}, exitUsage, "", "flag provided but not defined: -retries"},
		{"version unknown flag", []string{"version", "--short"}, exitUsage, "", "flag provided but not defined: -short"},
		{"bad flag value", []string{"serve", "--rate", "fast"}, exitUsage, "", `invalid value "fast" for flag -rate`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check := func(t *testing.T, r result) {
				t.Helper()
				assert.Equal(t, tt.code, r.code, "stderr: %s", r.stderr)
				if tt.stdout != "" {
					assert.Contains(t, r.stdout, tt.stdout)
				}
				if tt.stderr != "" {
					assert.Contains(t, r.stderr, tt.stderr)
				}
				if tt.code == exitOK {
					assert.Empty(t, r.stderr)
				} else {
					assert.Empty(t, r.stdout, "a usage error writes to stderr only")
				}
			}
			t.Run("binary", func(t *testing.T) { check(t, runBin(t, nil, tt.args...)) })
			t.Run("in process", func(t *testing.T) { check(t, runIn(t, tt.args...)) })
		})
	}
}

func TestParseInterspersed(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		positional []string
		to         string
		verbose    bool
	}{
		{"flags first", []string{"--to", "u", "-v", "a", "b"}, []string{"a", "b"}, "u", true},
		{"flags last", []string{"a", "b", "--to", "u"}, []string{"a", "b"}, "u", false},
		{"flags between", []string{"a", "-to=u", "b", "-v"}, []string{"a", "b"}, "u", true},
		{"no flags", []string{"a"}, []string{"a"}, "", false},
		{"nothing", nil, nil, "", false},
		{"terminator", []string{"a", "--", "-v", "--to"}, []string{"a", "-v", "--to"}, "", false},
		{"dash is positional", []string{"bunq", "-", "-v"}, []string{"bunq", "-"}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			to := fs.String("to", "", "")
			verbose := fs.Bool("v", false, "")
			positional, err := parseInterspersed(fs, tt.args)
			require.NoError(t, err)
			assert.Equal(t, tt.positional, positional)
			assert.Equal(t, tt.to, *to)
			assert.Equal(t, tt.verbose, *verbose)
		})
	}
}

func TestSplitList(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", nil},
		{"one", "10.0.0.0/8", []string{"10.0.0.0/8"}},
		{"spaces and empty items", " 10.0.0.0/8, ,::1 ,", []string{"10.0.0.0/8", "::1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, splitList(tt.in))
		})
	}
}
