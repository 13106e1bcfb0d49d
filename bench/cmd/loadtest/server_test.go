package main

import (
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/bankhook/bankhook/bench/httpload"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHandlerFor(t *testing.T) {
	for _, kind := range []string{"bare", "guards", "full", "replay"} {
		t.Run(kind, func(t *testing.T) {
			h, err := handlerFor(kind)
			require.NoError(t, err)
			assert.NotNil(t, h)
		})
	}
	_, err := handlerFor("nope")
	assert.Error(t, err)
}

func TestServerCommand(t *testing.T) {
	self, err := os.Executable()
	require.NoError(t, err)
	tests := []struct {
		name    string
		profile string
		args    []string
	}{
		{"without profile", "", []string{self, "-serve", "full", "-max-life", "1m7s"}},
		{"with profile", "/tmp/full.cpu.pprof", []string{self, "-serve", "full", "-max-life", "1m7s", "-cpuprofile", "/tmp/full.cpu.pprof"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd, err := serverCommand(httpload.Unpinned("test"), "full", 67*time.Second, tc.profile)
			require.NoError(t, err)
			assert.Equal(t, tc.args, cmd.Args)
			assert.Contains(t, cmd.Env, "GOMAXPROCS=1")
			assert.Equal(t, os.Stderr, cmd.Stderr)
		})
	}
}

func TestChoosePinning(t *testing.T) {
	assert.Equal(t, "none (-pin=false); server GOMAXPROCS=1", choosePinning(false, 0, 1).String())
	if runtime.GOOS == "linux" {
		assert.Equal(t, "none (-server-cpu equals -load-cpu); server GOMAXPROCS=1", choosePinning(true, 2, 2).String())
	} else {
		assert.Equal(t, "none (not Linux); server GOMAXPROCS=1", choosePinning(true, 2, 2).String())
	}
}
