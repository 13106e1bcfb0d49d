// Package faulttest injects faults for real in serve's tests: a small
// filesystem of the test's own that it fills up. A test that cannot
// inject its fault on this machine skips and says why, unless
// BANKHOOK_REQUIRE_FAULTS=1 (as in CI), where it fails instead.
package faulttest

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"syscall"
	"testing"
)

// RequireEnv names the variable that turns a skip into a failure.
const RequireEnv = "BANKHOOK_REQUIRE_FAULTS"

// Skip skips t, which cannot inject its fault here, or fails it when
// BANKHOOK_REQUIRE_FAULTS=1.
func Skip(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf(format+" ("+RequireEnv+"=1)", args...)
	}
	t.Skipf(format, args...)
}

// MountTmpfs mounts a tmpfs of size (mount's size=, for example "64k" or
// "32m") on a temporary directory, unmounted at the end of the test
// (after the processes the test starts later are gone), and returns the
// directory. It needs root.
func MountTmpfs(t testing.TB, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		Skip(t, "a full disk needs a tmpfs of its own, which only root can mount")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		Skip(t, "mount -t tmpfs on %s: %v: %s", dir, err, bytes.TrimSpace(out))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// FillDisk writes a file at path, chunk bytes at a time, until its
// filesystem is full (ENOSPC), and returns its size. Any other error is
// returned; it writes 4 GiB at the most.
func FillDisk(path string, chunk int) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	buf := bytes.Repeat([]byte{'x'}, chunk)
	var n int64
	for n < 4<<30 {
		m, err := f.Write(buf)
		n += int64(m)
		if errors.Is(err, syscall.ENOSPC) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
	return n, errors.New("faulttest: the filesystem never filled up")
}
