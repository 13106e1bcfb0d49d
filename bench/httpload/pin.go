package httpload

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"syscall"
	"time"
)

// envPinned marks a load process that has already been moved to its CPU,
// so that it does not re-execute itself again.
const envPinned = "BANKHOOK_HTTPLOAD_PINNED"

// Pinning says where the server and the load run. The zero value does
// not pin.
type Pinning struct {
	taskset   string // path of taskset; "" when not pinning
	serverCPU int
	loadCPU   int
	reason    string // why there is no pinning
}

// String says where the server and the load run, or why they are not
// pinned.
func (p Pinning) String() string {
	if p.taskset == "" {
		return "none (" + p.reason + "); server GOMAXPROCS=1"
	}
	return fmt.Sprintf("server on CPU %d with GOMAXPROCS=1, load on CPU %d (taskset)", p.serverCPU, p.loadCPU)
}

// ChoosePinning pins when asked, on Linux with taskset and two CPUs.
func ChoosePinning(want bool, serverCPU, loadCPU int) Pinning {
	p := Pinning{serverCPU: serverCPU, loadCPU: loadCPU}
	switch {
	case !want:
		p.reason = "not asked"
	case runtime.GOOS != "linux":
		p.reason = "not Linux"
	case serverCPU == loadCPU:
		p.reason = "the server's CPU is the load's"
	default:
		path, err := exec.LookPath("taskset")
		if err != nil {
			p.reason = "taskset not found"
			return p
		}
		if os.Getenv(envPinned) == "" && runtime.NumCPU() < 2 {
			p.reason = "fewer than 2 CPUs"
			return p
		}
		p.taskset = path
	}
	return p
}

// Unpinned returns a Pinning that does not pin, for the given reason,
// which String reports: for a caller that decides that itself and names
// its own flag.
func Unpinned(reason string) Pinning {
	return Pinning{reason: reason}
}

// PinSelf re-executes this process under taskset on the load's CPU,
// unless it already runs there. It returns only when it did not
// re-execute, or could not.
func (p Pinning) PinSelf() error {
	if p.taskset == "" || os.Getenv(envPinned) != "" {
		return nil
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("httpload: %w", err)
	}
	args := append([]string{p.taskset, "-c", strconv.Itoa(p.loadCPU), self}, os.Args[1:]...)
	env := append(os.Environ(), envPinned+"=1")
	return fmt.Errorf("httpload: re-executing under taskset: %w", syscall.Exec(p.taskset, args, env))
}

// ServerCommand returns the command that runs a server: under taskset on
// the server's CPU when pinning, always with GOMAXPROCS=1.
func (p Pinning) ServerCommand(path string, args ...string) *exec.Cmd {
	var cmd *exec.Cmd
	if p.taskset != "" {
		cmd = exec.Command(p.taskset, append([]string{"-c", strconv.Itoa(p.serverCPU), path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	return cmd
}

// clockTicks is USER_HZ, the unit of the CPU times in /proc: 100 on every
// Linux architecture Go supports.
const clockTicks = 100

// CPUTime returns the user plus system CPU time process pid has used, from
// /proc/<pid>/stat; false where that is not available.
func CPUTime(pid int) (time.Duration, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// The command name, in parentheses, may hold spaces: fields are
	// counted from after its closing parenthesis (state is field 3).
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := bytes.Fields(b[i+1:])
	const utime, stime = 14 - 3, 15 - 3
	if len(f) <= stime {
		return 0, false
	}
	u, err1 := strconv.ParseInt(string(f[utime]), 10, 64)
	s, err2 := strconv.ParseInt(string(f[stime]), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(u+s) * time.Second / clockTicks, true
}
