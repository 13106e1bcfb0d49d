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
	DefaultSyncs         = 2
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
	// Syncs is how many batches of a file may be syncing at once, each
	// through a file descriptor of its own: while one batch is being
	// synced, the next is written and its sync started, which a disk that
	// takes several commands at once finishes sooner than one after the
	// other. Default 2. Standard output is synced one batch at a time.
	Syncs int
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
	if o.Syncs <= 0 {
		o.Syncs = DefaultSyncs
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
// returns only once the batch holding its line is synced. While batches
// are being synced (up to Options.Syncs at once) the next one gathers, so
// the disk's latency is paid once per batch, not once per line.
//
// A failed write or sync fails every line of its batch; a line whose
// write failed half-way is ended by the next batch, so that a partial
// line never swallows a complete one.
//
// A Writer is safe for concurrent use; lines never interleave. It runs
// goroutines, which Close stops. The zero value is not usable; use
// [Open].
type Writer struct {
	w        io.Writer
	files    []syncFile  // what makes a batch durable, one per syncer; none for a pipe or a device
	closers  []io.Closer // the file descriptors Open opened, closed by Close
	maxBatch int

	// mu guards closed. WriteLine holds it for reading while it queues a
	// line, so that Close never closes queue under a sender.
	mu     sync.RWMutex
	closed bool
	queue  chan *pending

	// idle holds the syncers no batch is using; a batch waits for one.
	idle    chan *syncer
	syncing sync.WaitGroup // the syncs under way

	// Owned by the committing goroutine.
	buf    []byte
	broken bool // the last write stopped inside a line

	stateMu sync.Mutex // guards failed
	failed  error      // the error of the last batch answered; nil once one succeeds

	stopped  chan struct{} // closed once everything queued is written and the files closed
	closeErr error         // set before stopped is closed
}

// syncFile is a file that can be made durable: an *os.File.
type syncFile interface{ Sync() error }

// syncer makes one batch at a time durable. It belongs to the committing
// goroutine while idle, and to its batch's sync while that runs.
type syncer struct {
	file  syncFile   // nil: nothing to sync (standard output, a device)
	batch []*pending // the lines being synced; their callers wait
}

// States of a pending line.
const (
	queued    int32 = iota // in the queue; its caller may still give up
	taken                  // in a batch: it is being written
	abandoned              // its caller gave up before it was taken: never written
)

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
				return newWriter(stdout, []syncFile{f}, nil, o), nil // redirected to a file: sync it
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
		return newWriter(f, nil, []io.Closer{f}, o), nil
	}
	r, err := Repair(f, path, o.MaxLineBytes)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	if r.Action != RepairNone {
		o.Logger.Warn("bankhook: output repaired: "+r.Action.String(), "file", path, "offset", r.Offset, "bytes", r.Bytes)
	}
	files, closers := []syncFile{f}, []io.Closer{f}
	for len(files) < o.Syncs {
		// Each sync gets a descriptor of its own, so that a failed
		// writeback is reported to every sync under way, not to the first
		// one that asks.
		g, err := openSame(path, fi)
		if err != nil {
			for _, c := range closers {
				_ = c.Close()
			}
			return nil, err
		}
		files, closers = append(files, g), append(closers, g)
	}
	return newWriter(f, files, closers, o), nil
}

// openSame opens path again, for syncing, and checks that it is still the
// file fi describes.
func openSame(path string, fi os.FileInfo) (*os.File, error) {
	g, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("bankhook: output: %w", err)
	}
	gi, err := g.Stat()
	if err == nil && !os.SameFile(fi, gi) {
		err = errors.New("replaced while it was being opened")
	}
	if err != nil {
		_ = g.Close()
		return nil, fmt.Errorf("bankhook: output %s: %w", path, err)
	}
	return g, nil
}

// newWriter starts a Writer appending to w and syncing each batch through
// one of files (none: nothing to sync), which closes closers on Close.
func newWriter(w io.Writer, files []syncFile, closers []io.Closer, o Options) *Writer {
	o.setDefaults()
	l := &Writer{
		w:        w,
		files:    files,
		closers:  closers,
		maxBatch: o.MaxBatchBytes,
		queue:    make(chan *pending, o.QueueLen),
		idle:     make(chan *syncer, max(len(files), 1)),
		stopped:  make(chan struct{}),
	}
	if len(files) == 0 {
		l.idle <- &syncer{}
	}
	for _, f := range files {
		l.idle <- &syncer{file: f}
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
// closed and drained, waits for their syncs, then closes the files.
func (l *Writer) run() {
	defer close(l.stopped)
	for p := range l.queue {
		l.commit(p)
	}
	l.syncing.Wait()
	if len(l.closers) == 0 {
		return
	}
	var errs []error
	if len(l.files) > 0 {
		errs = append(errs, l.files[0].Sync())
	}
	for _, c := range l.closers {
		errs = append(errs, c.Close())
	}
	l.closeErr = errors.Join(errs...)
}

// commit waits for an idle syncer, gathers first and whatever else is
// queued by then, up to the batch limit, writes them in one write and
// starts their sync. The callers are answered when the sync ends.
func (l *Writer) commit(first *pending) {
	s := <-l.idle // lines queue up meanwhile: the batch grows
	batch, size := s.batch[:0], 0
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
	s.batch = batch
	if len(batch) == 0 { // every caller gave up
		l.idle <- s
		return
	}
	buf := l.buf[:0]
	if l.broken {
		buf = append(buf, '\n')
	}
	for _, p := range batch {
		if p.line != nil {
			buf = append(append(buf, p.line...), '\n')
		}
	}
	err := l.write(buf)
	if cap(buf) <= 2*l.maxBatch { // a batch of huge lines does not stay
		l.buf = buf[:0]
	}
	if err != nil || s.file == nil {
		l.answer(s, err)
		return
	}
	l.syncing.Add(1)
	go l.sync(s)
}

// write writes buf in one write, unless it is empty (a batch of probes).
func (l *Writer) write(buf []byte) error {
	if len(buf) == 0 {
		return nil
	}
	n, err := l.w.Write(buf)
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
	return nil
}

// sync makes s's batch durable and answers its callers. Whatever was
// written before the sync started is durable when it succeeds, the
// batches before this one included.
func (l *Writer) sync(s *syncer) {
	defer l.syncing.Done()
	err := s.file.Sync()
	if err != nil { // the lines are whole, maybe not durable
		err = fmt.Errorf("bankhook: sync output: %w", err)
	}
	l.answer(s, err)
}

// answer gives err to every caller of s's batch, records it for Check and
// makes s idle again.
func (l *Writer) answer(s *syncer, err error) {
	l.stateMu.Lock()
	l.failed = err
	l.stateMu.Unlock()
	for i, p := range s.batch {
		p.done <- err
		s.batch[i] = nil
	}
	s.batch = s.batch[:0]
	l.idle <- s
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
