package output

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook/hooktest/samples"
)

func TestWriterFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	require.NoError(t, os.WriteFile(path, []byte(testLine(t, "bunq", "earlier", time.Now())+"\n"), 0o600))
	w, err := Open(path, nil, Options{})
	require.NoError(t, err)

	const writers, each = 8, 50
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			for j := range each {
				line := fmt.Sprintf(`{"writer":%d,"n":%d,"pad":%q}`, i, j, strings.Repeat("x", 4096))
				assert.NoError(t, w.WriteLine(t.Context(), []byte(line)))
			}
		})
	}
	wg.Wait()
	require.NoError(t, w.Close())
	require.NoError(t, w.Close(), "Close is idempotent")
	assert.ErrorIs(t, w.WriteLine(t.Context(), []byte(`{}`)), ErrClosed)

	b, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	require.Len(t, lines, 1+writers*each, "appended, one line per write")
	seen := map[[2]int]bool{}
	for _, l := range lines[1:] {
		var v struct {
			Writer int `json:"writer"`
			N      int `json:"n"`
		}
		require.NoError(t, json.Unmarshal([]byte(l), &v), "lines never interleave")
		seen[[2]int{v.Writer, v.N}] = true
	}
	assert.Len(t, seen, writers*each)

	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
}

func TestWriterStdout(t *testing.T) {
	var buf bytes.Buffer
	w, err := Open("-", &buf, Options{})
	require.NoError(t, err)
	require.NoError(t, w.WriteLine(t.Context(), []byte(`{"a":1}`)))
	assert.Equal(t, "{\"a\":1}\n", buf.String(), "written before WriteLine returns")
	require.NoError(t, w.Close())
}

func TestWriterStdoutRedirectedToFile(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "stdout"))
	require.NoError(t, err)
	defer f.Close()
	w, err := Open("-", f, Options{})
	require.NoError(t, err)
	assert.Equal(t, []syncFile{f}, w.files, "a redirected standard output is synced, one batch at a time")
	require.NoError(t, w.WriteLine(t.Context(), []byte(`{"a":1}`)))
	require.NoError(t, w.Close())
	_, err = f.WriteString("still open\n")
	assert.NoError(t, err, "standard output is not closed")
}

func TestWriterDevice(t *testing.T) {
	w, err := Open(os.DevNull, nil, Options{})
	require.NoError(t, err)
	assert.Empty(t, w.files, "a device is not synced: fsync fails on most")
	require.NoError(t, w.WriteLine(t.Context(), []byte(`{"a":1}`)))
	require.NoError(t, w.Close())
}

func TestOpenSyncs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	for _, n := range []int{0, 1, 3} {
		w, err := Open(path, nil, Options{Syncs: n})
		require.NoError(t, err)
		want := n
		if n == 0 {
			want = DefaultSyncs
		}
		assert.Len(t, w.files, want, "a descriptor for each sync under way")
		assert.Len(t, w.closers, want)
		require.NoError(t, w.WriteLine(t.Context(), []byte(testLine(t, "bunq", "k", time.Now()))))
		require.NoError(t, w.Close())
	}
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, 3, bytes.Count(b, []byte("\n")))
}

func TestOpenError(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "missing", "events.jsonl"), nil, Options{})
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "bankhook: output: "), err.Error())
}

// gatedFile is an output whose writes and syncs a test holds and fails.
// Every Write and Sync announces itself on arrived, then waits for a
// value on proceed: nil to go ahead, an error to fail (a Write then
// writes half of its bytes first).
type gatedFile struct {
	arrived chan string // "write:<bytes>" or "sync"
	proceed chan error

	mu  sync.Mutex // guards buf
	buf bytes.Buffer
}

func newGatedFile() *gatedFile {
	return &gatedFile{arrived: make(chan string), proceed: make(chan error)}
}

func (g *gatedFile) Write(p []byte) (int, error) {
	g.arrived <- "write:" + string(p)
	err := <-g.proceed
	g.mu.Lock()
	defer g.mu.Unlock()
	if err != nil {
		n, _ := g.buf.Write(p[:len(p)/2])
		return n, err
	}
	return g.buf.Write(p)
}

func (g *gatedFile) Sync() error {
	g.arrived <- "sync"
	return <-g.proceed
}

func (g *gatedFile) String() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.buf.String()
}

// hold waits for the next write or sync and returns it; it waits for
// g.proceed.
func (g *gatedFile) hold(t *testing.T) string {
	t.Helper()
	select {
	case got := <-g.arrived:
		return got
	case <-time.After(10 * time.Second):
		t.Fatal("no write or sync arrived")
		return ""
	}
}

// expect waits for the next write or sync, checks it and lets it go on
// with err.
func (g *gatedFile) expect(t *testing.T, want string, err error) {
	t.Helper()
	require.Equal(t, want, g.hold(t))
	g.proceed <- err
}

// close lets every later write and sync go ahead and closes w; then,
// with w closed, nothing writes or syncs any more and g's goroutine ends.
func (g *gatedFile) close(t *testing.T, w *Writer) {
	t.Helper()
	go func() {
		for range g.arrived {
			g.proceed <- nil
		}
	}()
	require.NoError(t, w.Close())
	close(g.arrived)
}

// writeAsync calls WriteLine in a goroutine; the channel gets its result.
func writeAsync(ctx context.Context, w *Writer, line string) <-chan error {
	c := make(chan error, 1)
	go func() { c <- w.WriteLine(ctx, []byte(line)) }()
	return c
}

// waitQueued waits until n lines wait in w's queue.
func waitQueued(t *testing.T, w *Writer, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(w.queue) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d lines queued, want %d", len(w.queue), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// pendingResult reports whether the WriteLine behind c has not returned
// yet; c is left as it is.
func pendingResult(c <-chan error) bool { return len(c) == 0 }

func TestWriterGroupCommit(t *testing.T) {
	g := newGatedFile()
	w := newWriter(target{w: g, files: []syncFile{g}}, Options{})
	first := writeAsync(t.Context(), w, "a")
	require.Equal(t, "write:a\n", g.hold(t)) // the first batch is being written: hold it
	var rest []<-chan error
	for i := range 5 {
		rest = append(rest, writeAsync(t.Context(), w, fmt.Sprint("b", i)))
		waitQueued(t, w, i+1) // in this order
	}
	g.proceed <- nil
	g.expect(t, "sync", nil)
	require.NoError(t, <-first)

	// The five lines that queued meanwhile share one write and one sync,
	// and none is answered before that sync.
	g.expect(t, "write:b0\nb1\nb2\nb3\nb4\n", nil)
	for _, c := range rest {
		require.True(t, pendingResult(c), "answered before its batch was synced")
	}
	g.expect(t, "sync", nil)
	for _, c := range rest {
		require.NoError(t, <-c)
	}
	assert.Equal(t, "a\nb0\nb1\nb2\nb3\nb4\n", g.String())
	g.close(t, w)
}

// TestWriterFailedBatchStream checks a failed write to an output that
// cannot be cut back (standard output, a pipe): every line of the batch
// fails, and a line the write stopped inside is ended by the next batch.
func TestWriterFailedBatchStream(t *testing.T) {
	errDisk := errors.New("disk on fire")
	tests := []struct {
		name      string
		second    string // the second line of the failing batch
		ended     bool   // the next batch starts with a newline
		wantAfter string // the output once the next line is written
	}{
		{"write fails inside a line", `{"y":2222}`, true, "b\n{\"x\":1}\n{\n{\"c\":1}\n"},
		{"write fails between lines", `{"y":2}`, false, "b\n{\"x\":1}\n{\"c\":1}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGatedFile()
			w := newWriter(target{w: g, files: []syncFile{g}}, Options{})
			first := writeAsync(t.Context(), w, "b")
			require.Equal(t, "write:b\n", g.hold(t))
			a := writeAsync(t.Context(), w, `{"x":1}`)
			waitQueued(t, w, 1)
			b := writeAsync(t.Context(), w, tt.second)
			waitQueued(t, w, 2)
			g.proceed <- nil
			g.expect(t, "sync", nil)
			require.NoError(t, <-first)

			g.expect(t, "write:{\"x\":1}\n"+tt.second+"\n", errDisk) // a failed write writes half
			// Every line of the failed batch fails: the bank delivers again.
			for _, c := range []<-chan error{a, b} {
				err := <-c
				require.ErrorIs(t, err, errDisk)
				assert.NotErrorIs(t, err, ErrOutcomeUnknown, "the lines are known not to be whole")
				assert.True(t, strings.HasPrefix(err.Error(), "bankhook: "), err.Error())
			}

			c := writeAsync(t.Context(), w, `{"c":1}`)
			want := "write:{\"c\":1}\n"
			if tt.ended {
				want = "write:\n{\"c\":1}\n" // the partial line first gets its newline
			}
			g.expect(t, want, nil)
			g.expect(t, "sync", nil)
			require.NoError(t, <-c)
			assert.Equal(t, tt.wantAfter, g.String())
			assertNotFatal(t, w)

			g.close(t, w)
		})
	}
}

// assertNotFatal checks that w still takes lines.
func assertNotFatal(t *testing.T, w *Writer) {
	t.Helper()
	select {
	case <-w.Fatal():
		t.Errorf("the writer stopped taking lines: %v", w.FatalErr())
	default:
		assert.NoError(t, w.FatalErr())
	}
}

// TestWriterSyncsOverlap checks that with two syncers a batch is written
// and synced while the one before is still syncing, that each batch is
// answered when its own sync ends, whichever ends first, and that a third
// batch waits for a syncer. It runs in a synctest bubble, so that the
// test can wait until the third line has gone as far as it can go.
func TestWriterSyncsOverlap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		errDisk := errors.New("writeback failed")
		var out downWriter // never down: a buffer the test reads while lines are written
		a, b := newGatedFile(), newGatedFile()
		w := newWriter(target{w: &out, files: []syncFile{a, b}}, Options{})

		first := writeAsync(t.Context(), w, "1")
		require.Equal(t, "sync", a.hold(t)) // batch 1 is written and syncing through a
		second := writeAsync(t.Context(), w, "2")
		require.Equal(t, "sync", b.hold(t)) // batch 2 too, through b, meanwhile
		assert.Equal(t, "1\n2\n", out.String())

		third := writeAsync(t.Context(), w, "3")
		synctest.Wait() // batch 3 has gone as far as it can
		require.Zero(t, len(w.queue), "the committer took line 3")
		assert.Equal(t, "1\n2\n", out.String(), "no syncer is idle: batch 3 waits")
		assert.True(t, pendingResult(third))

		b.proceed <- nil
		require.NoError(t, <-second, "batch 2 is answered when its own sync ends")
		assert.True(t, pendingResult(first), "batch 1 is still syncing")
		require.Equal(t, "sync", b.hold(t)) // batch 3, through b
		assert.Equal(t, "1\n2\n3\n", out.String())

		a.proceed <- errDisk
		err := <-first
		require.ErrorIs(t, err, errDisk, "a failed sync fails its own batch")
		require.ErrorIs(t, err, ErrOutcomeUnknown)
		b.proceed <- nil
		require.ErrorIs(t, <-third, ErrOutcomeUnknown,
			"a batch answered once the writer stopped taking lines fails too, even though its own sync succeeded")

		go func() {
			for range a.arrived {
				a.proceed <- nil
			}
		}()
		b.close(t, w)
		close(a.arrived)
	})
}

// failingWriter writes half of its first write, then fails it.
type failingWriter struct {
	buf    bytes.Buffer
	failed bool
}

var errDiskFull = errors.New("disk full")

func (f *failingWriter) Write(p []byte) (int, error) {
	if !f.failed {
		f.failed = true
		n, _ := f.buf.Write(p[:len(p)/2])
		return n, errDiskFull
	}
	return f.buf.Write(p)
}

func TestWriterRecoversFromPartialWrite(t *testing.T) {
	fw := &failingWriter{}
	w := newWriter(target{w: fw}, Options{})
	err := w.WriteLine(t.Context(), []byte(`{"first":1}`))
	require.ErrorIs(t, err, errDiskFull)
	require.NoError(t, w.WriteLine(t.Context(), []byte(`{"second":2}`)))
	require.NoError(t, w.WriteLine(t.Context(), []byte(`{"third":3}`)))
	require.NoError(t, w.Close())
	assert.Equal(t, "{\"firs\n{\"second\":2}\n{\"third\":3}\n", fw.buf.String(),
		"the partial line stays on a line of its own")
}

func TestWriterBackpressure(t *testing.T) {
	g := newGatedFile()
	w := newWriter(target{w: g, files: []syncFile{g}}, Options{QueueLen: 2})
	held := writeAsync(t.Context(), w, "held")
	g.hold(t) // being written, held
	q1 := writeAsync(t.Context(), w, "q1")
	waitQueued(t, w, 1)
	q2 := writeAsync(t.Context(), w, "q2")
	waitQueued(t, w, 2)

	// The queue is full: the next line waits for room until its context
	// ends, and is then never written.
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	err := w.WriteLine(ctx, []byte("refused"))
	require.ErrorIs(t, err, context.DeadlineExceeded)

	// A queued line whose caller gives up is not written either.
	ctx2, cancel2 := context.WithCancel(t.Context())
	waitingCaller := writeAsync(ctx2, w, "abandoned")
	cancel2()
	require.ErrorIs(t, <-waitingCaller, context.Canceled)

	g.proceed <- nil
	g.expect(t, "sync", nil)
	require.NoError(t, <-held)
	g.expect(t, "write:q1\nq2\n", nil)
	g.expect(t, "sync", nil)
	require.NoError(t, <-q1)
	require.NoError(t, <-q2)

	g.close(t, w)
	assert.Equal(t, "held\nq1\nq2\n", g.String())
}

func TestWriterAbandonedWhileQueued(t *testing.T) {
	g := newGatedFile()
	w := newWriter(target{w: g, files: []syncFile{g}}, Options{})
	held := writeAsync(t.Context(), w, "held")
	g.hold(t)
	ctx, cancel := context.WithCancel(t.Context())
	gone := writeAsync(ctx, w, "gone")
	waitQueued(t, w, 1)
	kept := writeAsync(t.Context(), w, "kept")
	waitQueued(t, w, 2)
	cancel()
	err := <-gone
	require.ErrorIs(t, err, context.Canceled)
	assert.Contains(t, err.Error(), "line not written")

	g.proceed <- nil
	g.expect(t, "sync", nil)
	require.NoError(t, <-held)
	g.expect(t, "write:kept\n", nil) // without the abandoned line
	g.expect(t, "sync", nil)
	require.NoError(t, <-kept)
	g.close(t, w)
}

// TestWriterPendingLine checks that a caller whose context ends while its
// line is being written or synced gets a *PendingError at once, whose
// Outcome later says how the batch ended.
func TestWriterPendingLine(t *testing.T) {
	errDisk := errors.New("writeback failed")
	tests := []struct {
		name    string
		at      string // where the batch is held when the caller gives up
		syncErr error
		want    error // what Outcome yields; nil for a durable line
	}{
		{"gave up during the write; durable", "write", nil, nil},
		{"gave up during the sync; durable", "sync", nil, nil},
		{"gave up during the sync; the sync fails", "sync", errDisk, ErrOutcomeUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGatedFile()
			w := newWriter(target{w: g, files: []syncFile{g}}, Options{})
			ctx, cancel := context.WithCancelCause(t.Context())
			errGone := errors.New("the bank hung up")
			c := writeAsync(ctx, w, "taken")
			require.Equal(t, "write:taken\n", g.hold(t)) // in a batch, being written
			if tt.at == "sync" {
				g.proceed <- nil
				require.Equal(t, "sync", g.hold(t))
			}
			cancel(errGone)
			err := <-c // returns while the write or sync is still held
			var pe *PendingError
			require.ErrorAs(t, err, &pe)
			assert.ErrorIs(t, err, errGone, "it wraps the context's cause")
			assert.Contains(t, err.Error(), "pending")
			assert.Empty(t, pe.Outcome, "no outcome yet")

			if tt.at == "write" {
				g.proceed <- nil
				g.expect(t, "sync", tt.syncErr)
			} else {
				g.proceed <- tt.syncErr
			}
			select {
			case got := <-pe.Outcome:
				if tt.want == nil {
					require.NoError(t, got, "written and synced: durable")
				} else {
					require.ErrorIs(t, got, tt.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("no outcome")
			}
			assert.Empty(t, pe.Outcome, "exactly once")
			g.close(t, w)
		})
	}
}

func TestWriterCloseDrains(t *testing.T) {
	g := newGatedFile()
	w := newWriter(target{w: g, files: []syncFile{g}}, Options{})
	held := writeAsync(t.Context(), w, "held")
	g.hold(t)
	var queued []<-chan error
	for i := range 3 {
		queued = append(queued, writeAsync(t.Context(), w, fmt.Sprint("q", i)))
		waitQueued(t, w, i+1)
	}
	closed := make(chan error, 1)
	go func() { closed <- w.Close() }()
	waitFor(t, func() bool {
		w.mu.RLock()
		defer w.mu.RUnlock()
		return w.closed
	})
	require.ErrorIs(t, w.WriteLine(t.Context(), []byte("late")), ErrClosed)

	g.proceed <- nil
	g.expect(t, "sync", nil)
	g.expect(t, "write:q0\nq1\nq2\n", nil)
	g.expect(t, "sync", nil)
	require.NoError(t, <-closed)
	require.NoError(t, <-held)
	for _, c := range queued {
		require.NoError(t, <-c, "Close writes what was queued")
	}
	assert.Equal(t, "held\nq0\nq1\nq2\n", g.String())
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(time.Millisecond)
	}
}

// BenchmarkWriteLine measures the cost each handled event pays before it
// is acknowledged, from 1 and from 16 callers a CPU: to standard
// output (io.Discard here), and to a file on disk with its fsync, which
// concurrent callers share.
func BenchmarkWriteLine(b *testing.B) {
	body, _ := samples.Bunq("MUTATION")
	l, err := lineFor("bunq", body)
	require.NoError(b, err)
	line, err := Marshal(l)
	require.NoError(b, err)
	for _, out := range []string{"stdout", "file+fsync"} {
		for _, callers := range []int{1, 16} {
			b.Run(fmt.Sprintf("%s/goroutines=%d", out, callers*runtime.GOMAXPROCS(0)), func(b *testing.B) {
				var w *Writer
				if out == "stdout" {
					w, err = Open("-", io.Discard, Options{})
				} else {
					w, err = Open(filepath.Join(b.TempDir(), "events.jsonl"), nil, Options{})
				}
				require.NoError(b, err)
				defer w.Close()
				b.SetBytes(int64(len(line)))
				b.SetParallelism(callers) // × GOMAXPROCS goroutines
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := w.WriteLine(context.Background(), line); err != nil {
							b.Error(err)
						}
					}
				})
			})
		}
	}
}

// downWriter fails every write while down is set.
type downWriter struct {
	mu   sync.Mutex // guards buf and down
	buf  bytes.Buffer
	down bool
}

func (d *downWriter) Write(p []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.down {
		return 0, errDiskFull
	}
	return d.buf.Write(p)
}

func (d *downWriter) set(down bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.down = down
}

func (d *downWriter) String() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.buf.String()
}

func TestCheck(t *testing.T) {
	dw := &downWriter{}
	w := newWriter(target{w: dw}, Options{})
	require.NoError(t, w.Check(t.Context()), "a new output is usable")

	dw.set(true)
	require.ErrorIs(t, w.WriteLine(t.Context(), []byte(`{"a":1}`)), errDiskFull)
	assert.ErrorIs(t, w.Check(t.Context()), errDiskFull, "unusable after a failed write")
	assert.ErrorIs(t, w.Check(t.Context()), errDiskFull, "and while it still fails")

	// It recovers without an event being written: Check ends the partial
	// line itself, and the next line needs no separator.
	dw.set(false)
	require.NoError(t, w.Check(t.Context()))
	assert.Equal(t, "\n", dw.String())
	require.NoError(t, w.WriteLine(t.Context(), []byte(`{"b":2}`)))
	assert.Equal(t, "\n{\"b\":2}\n", dw.String())

	require.NoError(t, w.Close())
	assert.ErrorIs(t, w.Check(t.Context()), ErrClosed)
}

func TestCheckDevFull(t *testing.T) {
	f, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full on this system")
	}
	defer f.Close()
	w := newWriter(target{w: f}, Options{})
	defer w.Close()
	require.Error(t, w.WriteLine(t.Context(), []byte(`{"a":1}`)))
	assert.ErrorContains(t, w.Check(t.Context()), "no space left on device")
}
