//go:build unix

package bankhook_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
)

func TestWatchAllowlistFileSignal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "allow.txt")
	writeAllowFile(t, path, "203.0.113.0/24\n")
	list := bankhook.MustIPAllowlist()
	f, err := bankhook.WatchAllowlistFile(t.Context(), list, path, bankhook.AllowlistFileOptions{
		Interval: -1, // only the signal reloads
		Signals:  []os.Signal{syscall.SIGHUP},
		Logger:   slog.New(slog.DiscardHandler),
	})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, f.Close()) })

	require.NoError(t, os.WriteFile(path, []byte("198.51.100.0/24\n"), 0o600))
	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGHUP))
	eventually(t, "the file read on SIGHUP", func() bool {
		ps := prefixStrings(list)
		return len(ps) == 1 && ps[0] == "198.51.100.0/24"
	})
}
