//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package output

import "os"

// locking reports whether lockFile locks anything here: there is no
// flock on this system, so nothing is locked.
const locking = false

// lockFile does nothing here: see locking.
func lockFile(*os.File) error { return nil }

// unlockFile does nothing here: see locking.
func unlockFile(*os.File) error { return nil }
