//go:build !linux

package main

import (
	"os/exec"
	"time"
)

// setParentDeathSignal does nothing here: a server stopped by nobody
// exits on its own only on Linux.
func setParentDeathSignal(*exec.Cmd) {}

// fsType cannot tell a tmpfs from a disk here.
func fsType(string) string { return "unknown" }

// ioStalled is not known here.
func ioStalled() (time.Duration, bool) { return 0, false }
