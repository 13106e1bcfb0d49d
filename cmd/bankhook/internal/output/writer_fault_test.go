package output

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bankhook/bankhook/cmd/bankhook/internal/faulttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// faultyFile is a real file whose writes, truncations and syncs a test
// can make fail: a failing write writes the first half of its bytes to
// the file first, as a write that ran out of room does.
type faultyFile struct {
	*os.File

	mu       sync.Mutex // guards the errors
	writeErr error
	truncErr error
	syncErr  error
}

func (f *faultyFile) set(write, trunc, sync error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writeErr, f.truncErr, f.syncErr = write, trunc, sync
}

func (f *faultyFile) Write(p []byte) (int, error) {
	f.mu.Lock()
	err := f.writeErr
	f.mu.Unlock()
	if err != nil {
		n, _ := f.File.Write(p[:len(p)/2])
		return n, err
	}
	return f.File.Write(p)
}

func (f *faultyFile) Truncate(size int64) error {
	f.mu.Lock()
	err := f.truncErr
	f.mu.Unlock()
	if err != nil {
		return err
	}
	return f.File.Truncate(size)
}

func (f *faultyFile) Sync() error {
	f.mu.Lock()
	err := f.syncErr
	f.mu.Unlock()
	if err != nil {
		return err
	}
	return f.File.Sync()
}

// openFaulty opens a Writer on a faultyFile in a temporary directory
// holding one line, as Open would for a regular file.
func openFaulty(t *testing.T) (*Writer, *faultyFile, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "events.jsonl")
	require.NoError(t, os.WriteFile(path, []byte(testLine(t, "bunq", "earlier", time.Now())+"\n"), 0o600))
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND, 0)
	require.NoError(t, err)
	ff := &faultyFile{File: f}
	w := newWriter(target{name: path, w: ff, cut: ff, files: []syncFile{ff}, closers: []io.Closer{f}}, Options{})
	return w, ff, path
}

// TestWriterCutsFailedWrite checks that a failed write to a file leaves
// the file as it was: what the write added is cut off again, every line
// of the batch fails with the write's error, and the next batch is
// written as if the failed one had never been. Check tries as many bytes
// again and cuts them off too.
func TestWriterCutsFailedWrite(t *testing.T) {
	w, ff, path := openFaulty(t)
	before, err := os.ReadFile(path)
	require.NoError(t, err)

	ff.set(errDiskFull, nil, nil)
	err = w.WriteLine(t.Context(), []byte(testLine(t, "bunq", "failed", time.Now())))
	require.ErrorIs(t, err, errDiskFull)
	assert.NotErrorIs(t, err, ErrOutcomeUnknown, "cut back: the line is known not to be stored")
	assert.Contains(t, err.Error(), path, "the error names the file")
	assertFile(t, path, before, "half a line was written, then cut off")

	require.ErrorIs(t, w.Check(t.Context()), errDiskFull, "the probe fails as the batch did")
	assertFile(t, path, before, "and is cut off too")
	ff.set(nil, nil, nil)
	require.NoError(t, w.Check(t.Context()), "room again")
	assertFile(t, path, before, "the probe is cut off once it succeeded")
	require.NoError(t, w.Check(t.Context()))

	next := testLine(t, "bunq", "next", time.Now())
	require.NoError(t, w.WriteLine(t.Context(), []byte(next)))
	assertFile(t, path, append(before, next+"\n"...), "the next line follows the last whole one")
	assertNotFatal(t, w)
	require.NoError(t, w.Close())
}

// assertFile checks that the file at path holds want.
func assertFile(t *testing.T, path string, want []byte, msg string) {
	t.Helper()
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got), msg)
}

// TestWriterOutcomeUnknown checks the state a Writer enters when a
// batch's outcome is unknown: its callers, the lines queued behind it and
// every later WriteLine and Check fail with ErrOutcomeUnknown, at once,
// nothing more is written, and Fatal is closed.
func TestWriterOutcomeUnknown(t *testing.T) {
	errIO := errors.New("input/output error")
	tests := []struct {
		name                    string
		write, truncate, syncer error
		cause                   error // wrapped by the error too
	}{
		{"sync fails", nil, nil, errIO, errIO},
		{"cutting off a failed write fails", errDiskFull, errIO, nil, errIO},
		{"syncing the cut fails", errDiskFull, nil, errIO, errIO},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, ff, path := openFaulty(t)
			require.NoError(t, w.WriteLine(t.Context(), []byte(testLine(t, "bunq", "ok", time.Now()))))
			select {
			case <-w.Fatal():
				t.Fatal("Fatal closed while every batch succeeded")
			default:
			}

			ff.set(tt.write, tt.truncate, tt.syncer)
			err := w.WriteLine(t.Context(), []byte(testLine(t, "bunq", "unknown", time.Now())))
			require.ErrorIs(t, err, ErrOutcomeUnknown)
			require.ErrorIs(t, err, tt.cause)
			assert.Contains(t, err.Error(), path)
			select {
			case <-w.Fatal():
			case <-time.After(10 * time.Second):
				t.Fatal("Fatal not closed")
			}
			require.ErrorIs(t, w.FatalErr(), ErrOutcomeUnknown)

			ff.set(nil, nil, nil) // the disk is well again: the writer still takes nothing
			size := fileSize(t, path)
			for i := range 3 {
				err := w.WriteLine(t.Context(), []byte(testLine(t, "bunq", fmt.Sprint("later", i), time.Now())))
				require.ErrorIs(t, err, ErrOutcomeUnknown)
				assert.Equal(t, w.FatalErr(), err, "the same error every time")
			}
			require.ErrorIs(t, w.Check(t.Context()), ErrOutcomeUnknown)
			assert.Equal(t, size, fileSize(t, path), "nothing more is written")
			require.NoError(t, w.Close())
			require.ErrorIs(t, w.WriteLine(t.Context(), []byte(`{}`)), ErrOutcomeUnknown)
		})
	}
}

// TestWriterOutcomeUnknownQueued checks that the lines queued behind a
// batch whose sync fails are failed without being written.
func TestWriterOutcomeUnknownQueued(t *testing.T) {
	errIO := errors.New("input/output error")
	g := newGatedFile()
	w := newWriter(target{name: "gated", w: g, files: []syncFile{g}}, Options{})
	first := writeAsync(t.Context(), w, "a")
	require.Equal(t, "write:a\n", g.hold(t)) // held: the next lines queue
	var queued []<-chan error
	for i := range 3 {
		queued = append(queued, writeAsync(t.Context(), w, fmt.Sprint("q", i)))
		waitQueued(t, w, i+1)
	}
	g.proceed <- nil
	g.expect(t, "sync", errIO)
	require.ErrorIs(t, <-first, ErrOutcomeUnknown)
	for _, c := range queued {
		require.ErrorIs(t, <-c, ErrOutcomeUnknown)
	}
	assert.Equal(t, "a\n", g.String(), "the queued lines are not written")
	g.close(t, w)
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	require.NoError(t, err)
	return fi.Size()
}

// TestWriterFaultDiskFull fills a real filesystem (a small tmpfs) while a
// file is being written: every batch fails with ENOSPC and leaves the
// file as it was, byte for byte, Check reports the full disk and then
// the room made, and the lines written after that follow the last whole
// line.
func TestWriterFaultDiskFull(t *testing.T) {
	dir := faulttest.MountTmpfs(t, "256k")
	path := filepath.Join(dir, "events.jsonl")
	w, err := Open(path, nil, Options{})
	require.NoError(t, err)
	defer w.Close()
	pad := strings.Repeat("p", 5000) // longer than a page: no line fits in what the last page of the file has left
	line := func(key string) []byte { return []byte(testLine(t, "bunq", key+pad, time.Now())) }
	for i := range 10 {
		require.NoError(t, w.WriteLine(t.Context(), line(fmt.Sprint("before", i))))
	}
	before, err := os.ReadFile(path)
	require.NoError(t, err)

	filler := filepath.Join(dir, "filler")
	fillDisk(t, filler)
	const callers = 8
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() { errs[i] = w.WriteLine(t.Context(), line(fmt.Sprint("full", i))) })
	}
	wg.Wait()
	for i, err := range errs {
		require.ErrorIs(t, err, syscall.ENOSPC, "caller %d", i)
		assert.NotErrorIs(t, err, ErrOutcomeUnknown, "caller %d", i)
	}
	assertFile(t, path, before, "the failed batches were cut off")
	require.ErrorIs(t, w.Check(t.Context()), syscall.ENOSPC, "not ready while the disk is full")
	assertFile(t, path, before, "the probe was cut off")

	require.NoError(t, os.Remove(filler))
	require.NoError(t, w.Check(t.Context()), "ready once there is room")
	assertFile(t, path, before, "the probe was cut off")
	after := line("after")
	require.NoError(t, w.WriteLine(t.Context(), after))
	require.NoError(t, w.Close())
	assertFile(t, path, append(before, append(after, '\n')...), "the next line follows the last whole one")
	assertNotFatal(t, w)
}

// TestWriterLock checks that one file has one Writer: a second Open of a
// file, or of standard output redirected to it, fails with ErrInUse and
// names the file, until the first Writer is closed.
func TestWriterLock(t *testing.T) {
	if !locking {
		t.Skip("no flock on this system: nothing is locked")
	}
	path := filepath.Join(t.TempDir(), "events.jsonl")
	stdout := func() *os.File {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		require.NoError(t, err)
		t.Cleanup(func() { _ = f.Close() })
		return f
	}
	tests := []struct {
		name          string
		first, second func() (*Writer, error)
		named         string // what the second Open's error names
	}{
		{"file, then file",
			func() (*Writer, error) { return Open(path, nil, Options{}) },
			func() (*Writer, error) { return Open(path, nil, Options{}) }, path},
		{"standard output, then file",
			func() (*Writer, error) { return Open("-", stdout(), Options{}) },
			func() (*Writer, error) { return Open(path, nil, Options{}) }, path},
		{"file, then standard output",
			func() (*Writer, error) { return Open(path, nil, Options{}) },
			func() (*Writer, error) { return Open("-", stdout(), Options{}) }, "standard output"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := tt.first()
			require.NoError(t, err)
			_, err = tt.second()
			require.ErrorIs(t, err, ErrInUse)
			assert.Contains(t, err.Error(), tt.named, "the error names the file")
			assert.True(t, strings.HasPrefix(err.Error(), "bankhook: output "), err.Error())
			require.NoError(t, w.WriteLine(t.Context(), []byte(testLine(t, "bunq", tt.name, time.Now()))),
				"the first writer keeps working")

			require.NoError(t, w.Close())
			again, err := tt.second()
			require.NoError(t, err, "Close released the lock")
			require.NoError(t, again.Close())
		})
	}
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, len(tests), bytes.Count(b, []byte("\n")))
}

// TestWriterDeviceNotLocked checks that a device is not locked: two
// Writers may write to /dev/null.
func TestWriterDeviceNotLocked(t *testing.T) {
	a, err := Open(os.DevNull, nil, Options{})
	require.NoError(t, err)
	b, err := Open(os.DevNull, nil, Options{})
	require.NoError(t, err)
	require.NoError(t, a.Close())
	require.NoError(t, b.Close())
}

// TestWriterPendingDeadline checks that no wait outlasts the caller's
// deadline: a line whose sync outlasts it is answered with a
// *PendingError wrapping context.DeadlineExceeded.
func TestWriterPendingDeadline(t *testing.T) {
	g := newGatedFile()
	w := newWriter(target{w: g, files: []syncFile{g}}, Options{})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	c := writeAsync(ctx, w, "slow")
	g.expect(t, "write:slow\n", nil)
	require.Equal(t, "sync", g.hold(t)) // held past the deadline
	err := <-c
	var pe *PendingError
	require.ErrorAs(t, err, &pe)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	g.proceed <- nil
	require.NoError(t, <-pe.Outcome)
	g.close(t, w)
}

// fillDisk fills the filesystem of path with a file there, 4 KiB at a
// time, and returns the file's size.
func fillDisk(t *testing.T, path string) int64 {
	t.Helper()
	n, err := faulttest.FillDisk(path, 4096)
	require.NoError(t, err)
	return n
}
