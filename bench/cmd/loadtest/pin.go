package main

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
const envPinned = "BANKHOOK_LOADTEST_PINNED"

// pinning says where the server and the load run.
type pinning struct {
	taskset   string // path of taskset; "" when not pinning
	serverCPU int
	loadCPU   int
	reason    string // why there is no pinning
}

func (p pinning) String() string {
	if p.taskset == "" {
		return "none (" + p.reason + "); server GOMAXPROCS=1"
	}
	return fmt.Sprintf("server on CPU %d with GOMAXPROCS=1, load on CPU %d (taskset)", p.serverCPU, p.loadCPU)
}

// choosePinning pins when asked, on Linux with taskset and two CPUs.
func choosePinning(want bool, serverCPU, loadCPU int) pinning {
	p := pinning{serverCPU: serverCPU, loadCPU: loadCPU}
	switch {
	case !want:
		p.reason = "-pin=false"
	case runtime.GOOS != "linux":
		p.reason = "not Linux"
	case serverCPU == loadCPU:
		p.reason = "-server-cpu equals -load-cpu"
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

// pinSelf re-executes this process under taskset on the load CPU, unless
// it already runs there. It returns only when it did not re-execute.
func (p pinning) pinSelf() error {
	if p.taskset == "" || os.Getenv(envPinned) != "" {
		return nil
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("loadtest: %w", err)
	}
	args := append([]string{p.taskset, "-c", strconv.Itoa(p.loadCPU), self}, os.Args[1:]...)
	env := append(os.Environ(), envPinned+"=1")
	return fmt.Errorf("loadtest: re-executing under taskset: %w", syscall.Exec(p.taskset, args, env))
}

// serverCommand returns the command that starts a server process of the
// given kind: under taskset on the server CPU when pinning, always with
// GOMAXPROCS=1, writing a CPU profile to profile when it is not empty.
func (p pinning) serverCommand(kind string, maxLife time.Duration, profile string) (*exec.Cmd, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("loadtest: %w", err)
	}
	args := []string{"-serve", kind, "-max-life", maxLife.String()}
	if profile != "" {
		args = append(args, "-cpuprofile", profile)
	}
	var cmd *exec.Cmd
	if p.taskset != "" {
		cmd = exec.Command(p.taskset, append([]string{"-c", strconv.Itoa(p.serverCPU), self}, args...)...)
	} else {
		cmd = exec.Command(self, args...)
	}
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	cmd.Stderr = os.Stderr
	return cmd, nil
}

// clockTicks is USER_HZ, the unit of the CPU times in /proc: 100 on every
// Linux architecture Go supports.
const clockTicks = 100

// cpuTime returns the user plus system CPU time process pid has used, from
// /proc/<pid>/stat; false where that is not available.
func cpuTime(pid int) (time.Duration, bool) {
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
