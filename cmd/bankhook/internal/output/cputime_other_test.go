//go:build !unix

package output

import (
	"testing"
	"time"
)

// cpuTime is not measured here: the cpu-s/op metric reads 0.
func cpuTime(*testing.B) time.Duration { return 0 }
