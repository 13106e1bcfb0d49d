package httpload

import (
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPinning(t *testing.T) {
	tests := []struct {
		name string
		p    Pinning
		want string
	}{
		{"not asked", ChoosePinning(false, 0, 1), "none (not asked); server GOMAXPROCS=1"},
		{"unpinned", Unpinned("-pin=false"), "none (-pin=false); server GOMAXPROCS=1"},
		{"pinned", Pinning{taskset: "/usr/bin/taskset", serverCPU: 0, loadCPU: 1},
			"server on CPU 0 with GOMAXPROCS=1, load on CPU 1 (taskset)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.p.String())
		})
	}
}

func TestServerCommand(t *testing.T) {
	cmd := Unpinned("test").ServerCommand("/bin/server", "-a", "b")
	assert.Equal(t, []string{"/bin/server", "-a", "b"}, cmd.Args)
	assert.Contains(t, cmd.Env, "GOMAXPROCS=1")

	pinned := Pinning{taskset: "/usr/bin/taskset", serverCPU: 3, loadCPU: 1}
	cmd = pinned.ServerCommand("/bin/server", "-a", "b")
	assert.Equal(t, []string{"/usr/bin/taskset", "-c", "3", "/bin/server", "-a", "b"}, cmd.Args)
	assert.Contains(t, cmd.Env, "GOMAXPROCS=1")
}

func TestCPUTime(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("CPU times come from /proc")
	}
	before, ok := CPUTime(os.Getpid())
	require.True(t, ok)
	deadline := time.Now().Add(5 * time.Second)
	for { // reading it again and again spends CPU time
		after, ok := CPUTime(os.Getpid())
		require.True(t, ok)
		if after > before {
			break
		}
		require.True(t, time.Now().Before(deadline), "no CPU time counted in 5 s of spinning")
	}
	_, ok = CPUTime(-1)
	assert.False(t, ok, "no such process")
}
