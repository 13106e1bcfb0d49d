package bankhook_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
)

// lockedBuffer is a bytes.Buffer safe for concurrent use, for logs written
// by a goroutine.
type lockedBuffer struct {
	mu  sync.Mutex // guards buf
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// writeAllowFile replaces path atomically (write beside it, rename), as
// the docs advise.
func writeAllowFile(t *testing.T, path, contents string) {
	t.Helper()
	tmp := path + ".tmp"
	require.NoError(t, os.WriteFile(tmp, []byte(contents), 0o600))
	require.NoError(t, os.Rename(tmp, path))
}

func prefixStrings(a *bankhook.IPAllowlist) []string {
	var s []string
	for _, p := range a.Prefixes() {
		s = append(s, p.String())
	}
	return s
}

// eventually waits up to ten seconds for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, 10*time.Second, 2*time.Millisecond, what)
}

func TestWatchAllowlistFileFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "allow.txt")
	writeAllowFile(t, path, `# bunq production
185.40.108.0/22   # the documented range

  34.87.150.47
::ffff:34.124.145.244
2001:db8::/32#no space before the comment
`)
	list := bankhook.MustIPAllowlist()
	f, err := bankhook.WatchAllowlistFile(t.Context(), list, path, bankhook.AllowlistFileOptions{Interval: -1, Extra: []string{"127.0.0.1"}})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, f.Close()) })
	assert.Equal(t, []string{"185.40.108.0/22", "34.87.150.47/32", "34.124.145.244/32", "2001:db8::/32", "127.0.0.1/32"}, prefixStrings(list))
}

func TestWatchAllowlistFileRefusedAtStart(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ name, contents, want string }{
		{"malformed entry", "185.40.108.0/22\n# fine so far\n10.0.0.300\n", `allow.txt line 3: entry "10.0.0.300": ParseAddr("10.0.0.300"): IPv4 field has value >255`},
		{"zone", "fe80::1%eth0\n", `line 1: entry "fe80::1%eth0": zones are not allowed`},
		{"empty", "# nothing yet\n\n", "allow.txt holds no entries"},
		{"missing", "", "no such file or directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name, "allow.txt")
			if tc.name != "missing" {
				require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o700))
				writeAllowFile(t, path, tc.contents)
			}
			list := bankhook.MustIPAllowlist("192.0.2.1")
			_, err := bankhook.WatchAllowlistFile(t.Context(), list, path, bankhook.AllowlistFileOptions{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.True(t, strings.HasPrefix(err.Error(), "bankhook: allowlist file"), err.Error())
			assert.Equal(t, []string{"192.0.2.1/32"}, prefixStrings(list), "left unchanged")
		})
	}
	_, err := bankhook.WatchAllowlistFile(t.Context(), nil, filepath.Join(dir, "x"), bankhook.AllowlistFileOptions{})
	assert.Error(t, err, "no list")
	_, err = bankhook.WatchAllowlistFile(t.Context(), bankhook.MustIPAllowlist(), filepath.Join(dir, "x"), bankhook.AllowlistFileOptions{Extra: []string{"nope"}})
	assert.ErrorContains(t, err, `Extra: bankhook: allowlist entry "nope"`)
}

// TestWatchAllowlistFilePolls runs in a synctest bubble: the poll
// interval is on the bubble's clock, so sleeping n intervals and then
// synctest.Wait makes exactly n checks of the file run to their end
// before the test looks at the list and the logs.
func TestWatchAllowlistFilePolls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const interval = 5 * time.Millisecond
		// polls lets n more checks of the file run and end.
		polls := func(n int) {
			time.Sleep(time.Duration(n) * interval)
			synctest.Wait()
		}
		path := filepath.Join(t.TempDir(), "allow.txt")
		writeAllowFile(t, path, "203.0.113.0/24\n")
		var logs lockedBuffer
		list := bankhook.MustIPAllowlist()
		f, err := bankhook.WatchAllowlistFile(t.Context(), list, path, bankhook.AllowlistFileOptions{
			Interval: interval,
			Logger:   slog.New(slog.NewTextHandler(&logs, nil)),
		})
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, f.Close()) })
		newSender := netip.MustParseAddr("198.51.100.7")
		require.False(t, list.Contains(newSender))

		writeAllowFile(t, path, "203.0.113.0/24\n198.51.100.0/24\n")
		polls(1)
		require.True(t, list.Contains(newSender), "the new file in use after one check")
		assert.Contains(t, logs.String(), "bankhook: allowlist reloaded")
		assert.Contains(t, logs.String(), "entries=2")

		// A bad version is refused once, logged with its line, and the list
		// stays as it was.
		writeAllowFile(t, path, "203.0.113.0/24\n198.51.100.0/24\nnot-an-address\n")
		polls(1)
		require.Contains(t, logs.String(), "refused", "the bad version is checked")
		assert.Contains(t, logs.String(), `line 3: entry \"not-an-address\"`)
		polls(10) // ten more checks of the same version
		assert.Equal(t, 1, strings.Count(logs.String(), "refused"), "a bad version is reported once:\n%s", logs.String())
		assert.True(t, list.Contains(newSender), "the previous list is kept")

		// Removed: logged once, the list kept; back: read again.
		require.NoError(t, os.Remove(path))
		polls(1)
		require.Contains(t, logs.String(), "unreadable", "the missing file is checked")
		polls(10)
		assert.Equal(t, 1, strings.Count(logs.String(), "unreadable"), "a missing file is reported once:\n%s", logs.String())
		assert.True(t, list.Contains(newSender))
		writeAllowFile(t, path, "192.0.2.0/24\n")
		polls(1)
		assert.False(t, list.Contains(newSender), "the file back in use")
		assert.True(t, list.Contains(netip.MustParseAddr("192.0.2.55")))
	})
}

// TestWatchAllowlistFileReload runs in a synctest bubble, so that an hour
// on its clock — many times the default interval — provably passes with
// the file changed and not read.
func TestWatchAllowlistFileReload(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "allow.txt")
		writeAllowFile(t, path, "203.0.113.0/24\n")
		list := bankhook.MustIPAllowlist()
		f, err := bankhook.WatchAllowlistFile(t.Context(), list, path, bankhook.AllowlistFileOptions{Interval: -1, Logger: slog.New(slog.DiscardHandler)})
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, f.Close()) })

		// Never polled: only Reload reads the file again.
		require.NoError(t, os.WriteFile(path, []byte("198.51.100.0/24\n"), 0o600))
		time.Sleep(time.Hour)
		synctest.Wait()
		assert.Equal(t, []string{"203.0.113.0/24"}, prefixStrings(list))
		require.NoError(t, f.Reload())
		assert.Equal(t, []string{"198.51.100.0/24"}, prefixStrings(list))

		require.NoError(t, os.WriteFile(path, []byte("198.51.100.0/24\n10.0.0.0/33\n"), 0o600))
		err = f.Reload()
		require.ErrorContains(t, err, "line 2")
		assert.Equal(t, []string{"198.51.100.0/24"}, prefixStrings(list))
	})
}

// TestWatchAllowlistFileStops runs in a synctest bubble: after Close, or
// the context's end, a hundred intervals pass on its clock with the file
// changed, and nothing reads it.
func TestWatchAllowlistFileStops(t *testing.T) {
	for _, how := range []string{"Close", "context"} {
		t.Run(how, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const interval = time.Millisecond
				path := filepath.Join(t.TempDir(), "allow.txt")
				writeAllowFile(t, path, "203.0.113.0/24\n")
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				list := bankhook.MustIPAllowlist()
				f, err := bankhook.WatchAllowlistFile(ctx, list, path, bankhook.AllowlistFileOptions{Interval: interval, Logger: slog.New(slog.DiscardHandler)})
				require.NoError(t, err)
				if how == "Close" {
					require.NoError(t, f.Close())
					require.NoError(t, f.Close(), "idempotent")
				} else {
					cancel()
					require.NoError(t, f.Close(), "waits for the goroutine")
				}
				writeAllowFile(t, path, "198.51.100.0/24\n")
				time.Sleep(100 * interval)
				synctest.Wait()
				assert.Equal(t, []string{"203.0.113.0/24"}, prefixStrings(list), "no longer watched")
			})
		})
	}
}

// TestWatchAllowlistFileUnderTraffic swaps the list back and forth while
// requests are judged; run it with -race. Every lookup sees one whole
// version: the sender of version A and that of version B are never both
// allowed, nor both denied.
func TestWatchAllowlistFileUnderTraffic(t *testing.T) {
	path := filepath.Join(t.TempDir(), "allow.txt")
	const a, b = "203.0.113.0/24\n", "198.51.100.0/24\n"
	writeAllowFile(t, path, a)
	list := bankhook.MustIPAllowlist()
	f, err := bankhook.WatchAllowlistFile(t.Context(), list, path, bankhook.AllowlistFileOptions{Interval: -1, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, f.Close()) })

	inA, inB := netip.MustParseAddr("203.0.113.1"), netip.MustParseAddr("198.51.100.1")
	var stop atomic.Bool
	var lookups, torn atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for !stop.Load() {
				// One version per snapshot: read the prefixes once.
				ps := list.Prefixes()
				hasA := len(ps) == 1 && ps[0].Contains(inA)
				hasB := len(ps) == 1 && ps[0].Contains(inB)
				if hasA == hasB {
					torn.Add(1)
				}
				list.Contains(inA)
				lookups.Add(1)
			}
		})
	}
	for i := range 200 {
		contents := a
		if i%2 == 0 {
			contents = b
		}
		require.NoError(t, os.WriteFile(path, []byte(contents), 0o600))
		require.NoError(t, f.Reload())
	}
	stop.Store(true)
	wg.Wait()
	assert.Zero(t, torn.Load())
	assert.Positive(t, lookups.Load())
}
