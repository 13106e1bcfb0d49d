package output

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
)

// Defaults of [Options].
const (
	DefaultQueueLen      = 1024
	DefaultMaxBatchBytes = 1 << 20
	DefaultMaxLineBytes  = 64 << 20
)

// Options configures [Open]. The zero value is ready to use.
type Options struct {
	// QueueLen is how many lines may wait for the next write. Beyond it,
	// WriteLine waits for room (or for its context to end), so that a slow
	// disk slows the senders down instead of growing a backlog. The queue
	// holds the callers' lines, not copies. Default 1024.
	QueueLen int
	// MaxBatchBytes bounds the bytes one write and sync carry; a longer
	// line is written alone. Default 1 MiB.
	MaxBatchBytes int
	// MaxLineBytes is the longest line Open reads back when it checks the
	// end of an existing file: a longer one is refused as not serve's
	// output. Default 64 MiB.
	MaxLineBytes int
	// Logger is told what Open repaired. Default: nothing is logged.
	Logger *slog.Logger
}

func (o *Options) setDefaults() {
	if o.QueueLen <= 0 {
		o.QueueLen = DefaultQueueLen
	}
	if o.MaxBatchBytes <= 0 {
		o.MaxBatchBytes = DefaultMaxBatchBytes
	}
	if o.MaxLineBytes <= 0 {
		o.MaxLineBytes = DefaultMaxLineBytes
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Writer appends lines to serve's output with group commit: the lines of
// concurrent callers are written together, in one write, and made durable
// by one sync (fsync, for a regular file), and each caller's WriteLine
// returns only once the batch holding its line is synced. While one batch
// is being synced the next one gathers, so the disk's latency is paid once
// per batch, not once per line.
//
// A failed write or sync fails every line of its batch; a line whose
// write failed half-way is ended by the next batch, so that a partial
// line never swallows a complete one.
//
// A Writer is safe for concurrent use; lines never interleave. It runs
// one goroutine, which Close stops. The zero value is not usable; use
// [Open].
type Writer struct {
	w        io.Writer
	file     syncer    // w when it is a regular file, to sync; nil otherwise
	closer   io.Closer // the file Open opened, closed by Close; nil for standard output
	maxBatch int

	// mu guards closed. WriteLine holds it for reading while it queues a
	// line, so that Close never closes queue under a sender.
	mu     sync.RWMutex
	closed bool
	queue  chan *pending

	// Owned by the committing goroutine.
	buf    []byte
	batch  []*pending
	broken bool // the last write stopped inside a line

	stateMu sync.Mutex // guards failed
	failed  error      // the last batch's error; nil once one succeeds

	stopped  chan struct{} // closed once everything queued is written and the file closed
	closeErr error         // set before stopped is closed
}

// States of a pending line.
const (
	queued    int32 = iota // in the queue; its caller may still give up
	taken                  // in a batch: it is being written
	abandoned              // its caller gave up before it was taken: never written
)

// syncer is a file that can be made durable: an *os.File.
type syncer interface{ Sync() error }

// pending is one caller's line on its way to the output.
type pending struct {
	line  []byte // nil for a probe of Check: it writes no line
	state atomic.Int32
	done  chan error // buffered: the committer never waits for the caller
}

// ErrClosed is returned by WriteLine after Close.
var ErrClosed = errors.New("bankhook: output closed")

// Open opens the output named by path: "-" is stdout, anything else a
// file opened for appending (created with mode 0600: events carry account
// data). An existing regular file is checked and repaired first (see
// [Repair]): Open refuses a file that is not serve's output.
func Open(path string, stdout io.Writer, o Options) (*Writer, error) {
	o.setDefaults()
	if path == "-" {
		if f, ok := stdout.(*os.File); ok {
			if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
				return newWriter(stdout, f, nil, o), nil // redirected to a file: sync it
			}
		}
		return newWriter(stdout, nil, nil, o), nil
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("bankhook: output: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("bankhook: output: %w", err)
	}
	if !fi.Mode().IsRegular() { // a device or a pipe: nothing to check, repair or sync
		return newWriter(f, nil, f, o), nil
	}
	r, err := Repair(f, path, o.MaxLineBytes)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	if r.Action != RepairNone {
		o.Logger.Warn("bankhook: output repaired: "+r.Action.String(), "file", path, "offset", r.Offset, "bytes", r.Bytes)
	}
	return newWriter(f, f, f, o), nil
}

// newWriter starts a Writer appending to w, syncing file when it is not
// nil and closing closer, when not nil, on Close.
func newWriter(w io.Writer, file syncer, closer io.Closer, o Options) *Writer {
	o.setDefaults()
	l := &Writer{
		w:        w,
		file:     file,
		closer:   closer,
		maxBatch: o.MaxBatchBytes,
		queue:    make(chan *pending, o.QueueLen),
		stopped:  make(chan struct{}),
	}
	go l.run()
	return l
}

// WriteLine appends line and a newline, and returns once they are written
// and synced. Line must not change until WriteLine returns.
//
// An error means the line may not be stored: the caller must not
// acknowledge the event. When ctx ends before the line joined a batch,
// WriteLine returns at once and the line is never written; once it is in
// a batch, WriteLine waits for that batch's write and sync.
func (l *Writer) WriteLine(ctx context.Context, line []byte) error {
	return l.submit(ctx, &pending{line: line, done: make(chan error, 1)})
}

// Check reports whether the output can take a line now: nil, ErrClosed,
// or the error of the last write or sync while none has succeeded since.
// After a failure it has the committer do what the next batch would do
// first (end a partial line, then sync), so that an output that
// recovered, a disk with room again, is usable again before the next
// event arrives: a readiness check that waited for an event would wait
// forever once the load balancer sent none.
func (l *Writer) Check(ctx context.Context) error {
	l.mu.RLock()
	closed := l.closed
	l.mu.RUnlock()
	l.stateMu.Lock()
	failed := l.failed
	l.stateMu.Unlock()
	switch {
	case closed:
		return ErrClosed
	case failed == nil:
		return nil
	}
	return l.submit(ctx, &pending{done: make(chan error, 1)})
}

// submit queues p and waits for its batch's answer.
func (l *Writer) submit(ctx context.Context, p *pending) error {
	if err := l.enqueue(ctx, p); err != nil {
		return err
	}
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
		if p.state.CompareAndSwap(queued, abandoned) {
			return fmt.Errorf("bankhook: output: line not written: %w", context.Cause(ctx))
		}
		return <-p.done // taken: being written now
	}
}

// enqueue puts p in the queue, waiting for room until ctx ends.
func (l *Writer) enqueue(ctx context.Context, p *pending) error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return ErrClosed
	}
	select {
	case l.queue <- p:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("bankhook: output: line not written: %w", context.Cause(ctx))
	}
}

// run is the committing goroutine: it writes batches until the queue is
// closed and drained, then closes the file.
func (l *Writer) run() {
	defer close(l.stopped)
	for p := range l.queue {
		l.commit(p)
	}
	if l.closer != nil {
		var syncErr error
		if l.file != nil {
			syncErr = l.file.Sync()
		}
		l.closeErr = errors.Join(syncErr, l.closer.Close())
	}
}

// commit gathers first and whatever else is queued, up to the batch
// limit, writes and syncs them, and answers each caller.
func (l *Writer) commit(first *pending) {
	batch, size := l.batch[:0], 0
	take := func(p *pending) {
		if p.state.CompareAndSwap(queued, taken) {
			batch = append(batch, p)
			size += len(p.line) + 1
		}
	}
	take(first)
	// Let the goroutines that are running, or ready to, reach the queue
	// first. On one CPU (GOMAXPROCS=1) the committer would otherwise run as
	// soon as the first line is queued, and every request would get a write
	// and a sync of its own. Measured on one CPU with 16 connections: ten
	// lines a batch instead of one on a tmpfs (25% more requests a
	// second), and half as many fsyncs on a disk. With several CPUs it
	// costs next to nothing.
	runtime.Gosched()
gather:
	for size < l.maxBatch {
		select {
		case p, ok := <-l.queue:
			if !ok {
				break gather
			}
			take(p)
		default:
			break gather
		}
	}
	if len(batch) > 0 {
		buf := l.buf[:0]
		if l.broken {
			buf = append(buf, '\n')
		}
		for _, p := range batch {
			if p.line != nil {
				buf = append(append(buf, p.line...), '\n')
			}
		}
		err := l.writeSync(buf)
		l.stateMu.Lock()
		l.failed = err
		l.stateMu.Unlock()
		for i, p := range batch {
			p.done <- err
			batch[i] = nil
		}
		if cap(buf) <= 2*l.maxBatch { // a batch of huge lines does not stay
			l.buf = buf[:0]
		}
	}
	l.batch = batch[:0]
}

// writeSync writes buf in one write, when it is not empty, and syncs it.
func (l *Writer) writeSync(buf []byte) error {
	var n int
	var err error
	if len(buf) > 0 {
		n, err = l.w.Write(buf)
	}
	if err == nil && n < len(buf) {
		err = io.ErrShortWrite
	}
	if err != nil {
		// Unless the write is known to have stopped between lines, the next
		// one starts with a newline: that also tries the output again, for
		// Check, when nothing was written (a full disk).
		l.broken = n == 0 || buf[n-1] != '\n'
		return fmt.Errorf("bankhook: write output: %w", err)
	}
	l.broken = false
	if l.file != nil {
		if err := l.file.Sync(); err != nil { // the lines are whole, maybe not durable
			return fmt.Errorf("bankhook: sync output: %w", err)
		}
	}
	return nil
}

// Close stops taking lines, writes and syncs every line already queued
// (their callers get their answers), then closes the file Open opened;
// standard output is left open. Later writes fail with ErrClosed. Close
// is idempotent and returns the same error each time.
func (l *Writer) Close() error {
	l.mu.Lock()
	if !l.closed {
		l.closed = true
		close(l.queue)
	}
	l.mu.Unlock()
	<-l.stopped
	return l.closeErr
}
