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
	"time"
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
// Failures, by output:
//
//   - A failed write to a file Open opened (a full disk, a short write)
//     leaves the file as it was: the Writer notes the file's size before
//     each batch, and on a write error truncates the file back to it and
//     syncs, then fails every line of the batch with the write error. The
//     next batch is written as if the failed one had never been.
//   - Standard output, a pipe or a device cannot be cut back (other
//     processes may write to standard output too, 2>&1), so there a line
//     whose write failed half-way is ended by the next batch instead,
//     which starts with a newline: a partial line never swallows a
//     complete one.
//   - A failed sync, or a failed truncation (or its sync) after a failed
//     write, means that whether the batch's lines are stored is unknown.
//     The Writer then takes no more lines: its callers get an error
//     wrapping [ErrOutcomeUnknown], and so does every later WriteLine and
//     Check, at once. [Writer.Fatal] is closed then: serve exits, and its
//     next start repairs the file and reads its lines back, which settles
//     what the file holds.
//
// A Writer is safe for concurrent use; lines never interleave. It runs
// goroutines, which Close stops. The zero value is not usable; use
// [Open].
type Writer struct {
	name     string       // the output, for errors: the file's path, or "standard output"
	w        io.Writer    // where batches are written
	cut      cutFile      // w when a failed write can be cut off again (a file Open opened); nil otherwise
	files    []syncFile   // what makes a batch durable, one per syncer; none for a pipe or a device
	closers  []io.Closer  // the file descriptors Open opened, closed by Close
	unlock   func() error // releases the lock on standard output; nil where closing releases it, or there is none
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
	broken bool // the last write stopped inside a line (an output that is not cut back)
	probe  int  // bytes of the last batch whose write failed and was cut off; 0 once a write succeeds

	stateMu  sync.Mutex    // guards failed and fatalErr
	failed   error         // the error of the last batch answered; nil once one succeeds
	fatalErr error         // why no line is taken any more: set once, just before fatal is closed
	fatal    chan struct{} // closed when a batch's outcome became unknown

	stopped  chan struct{} // closed once everything queued is written and the files closed
	closeErr error         // set before stopped is closed

	// pendings holds pendings whose callers got their answers, for the
	// next lines: neither the committer nor a caller holds them any more.
	// Each Writer has its own, so that a pending's channel never outlives
	// the Writer (nor leaves a testing/synctest bubble).
	pendings sync.Pool

	tickMu sync.Mutex    // guards tick
	tick   chan struct{} // closed at the next tick; nil while no tick is due

	logger  *slog.Logger  // told the Stats when the Writer closes
	lines   atomic.Uint64 // see Stats
	batches atomic.Uint64 // see Stats
}

// Stats count what a Writer wrote: how far group commit shares its
// writes and syncs.
type Stats struct {
	// Lines is the lines written, in the batches counted by Batches.
	Lines uint64
	// Batches is the writes that carried lines and succeeded; each is
	// synced once (to an output that can be synced).
	Batches uint64
}

// Stats returns the counts of what l wrote so far. It is safe to call at
// any time; Close logs them too.
func (l *Writer) Stats() Stats {
	return Stats{Lines: l.lines.Load(), Batches: l.batches.Load()}
}

// syncFile is a file that can be made durable: an *os.File.
type syncFile interface{ Sync() error }

// cutFile is an output whose failed writes can be cut off again: a
// regular file Open opened for appending, locked, so that no one else
// writes to it. An *os.File.
type cutFile interface {
	Stat() (os.FileInfo, error)
	Truncate(size int64) error
	Sync() error
}

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
	done  chan error // buffered, gets the batch's result once: the committer never waits for the caller
}

// newPending returns a queued pending for line, its done channel empty:
// one that an earlier caller released, or a new one.
func (l *Writer) newPending(line []byte) *pending {
	p, _ := l.pendings.Get().(*pending)
	if p == nil {
		p = &pending{done: make(chan error, 1)}
	}
	p.line = line
	p.state.Store(queued)
	return p
}

// release gives p back once its caller received its answer from done.
// A pending whose caller gave up is never released: the committer or the
// caller may still hold it.
func (l *Writer) release(p *pending) {
	p.line = nil
	l.pendings.Put(p)
}

// Errors of the Writer.
var (
	// ErrClosed is returned by WriteLine and Check after Close.
	ErrClosed = errors.New("bankhook: output closed")
	// ErrInUse is wrapped by the error of an Open that found the output
	// locked by another Writer, in this process or another: another
	// bankhook serve writes to the same file. The error names the file.
	ErrInUse = errors.New("bankhook: output in use by another writer (is another bankhook serve writing to it?)")
	// ErrOutcomeUnknown is wrapped by the errors of a Writer that stopped
	// taking lines because a sync failed, or cutting off a failed write
	// did: whether the lines of that batch are stored is unknown. See
	// [Writer.Fatal].
	ErrOutcomeUnknown = errors.New("bankhook: output: a batch's outcome is unknown; no more lines are taken until serve restarts and reads the file back")
)

// errLocked is what lockFile returns when another descriptor holds the
// lock.
var errLocked = errors.New("locked")

// PendingError is what WriteLine returns when its context ends while its
// line is being written or synced: the line may yet be stored. The
// caller must neither acknowledge the event nor let it be handled again
// (serve keeps its dedupe key reserved) until Outcome says how the batch
// ended. WriteLine returns a new one to one caller, which reads Outcome
// from one goroutine.
type PendingError struct {
	// Err is the cause of the context's end (context.Cause).
	Err error
	// Outcome yields the result of the line's batch exactly once, when it
	// is known: nil when the line is written and synced, so durable; the
	// error WriteLine would have returned otherwise. It is never closed.
	Outcome <-chan error
}

// Error says that the line's outcome is pending, and why WriteLine
// returned.
func (e *PendingError) Error() string {
	return "bankhook: output: gave up waiting for a line being written, whose outcome is pending: " + e.Err.Error()
}

// Unwrap returns Err.
func (e *PendingError) Unwrap() error { return e.Err }

// stdoutName is how errors name standard output.
const stdoutName = "standard output"

// Open opens the output named by path: "-" is stdout, anything else a
// file opened for appending (created with mode 0600: events carry account
// data). An existing regular file is checked and repaired first (see
// [Repair]): Open refuses a file that is not serve's output.
//
// A regular file, and standard output when it is one, is locked (flock,
// exclusive) for the Writer's life, so that two Writers never append to
// one file: Open fails with an error wrapping [ErrInUse], naming the
// file, when another Writer, in this process or another, holds it. Close
// releases it. Where flock does not exist (Windows) nothing is locked.
func Open(path string, stdout io.Writer, o Options) (*Writer, error) {
	o.setDefaults()
	if path == "-" {
		if f, ok := stdout.(*os.File); ok {
			if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
				// Redirected to a file: lock it and sync it.
				if err := lockFile(f); err != nil {
					return nil, lockError(stdoutName, err)
				}
				return newWriter(target{
					name: stdoutName, w: stdout, files: []syncFile{f},
					unlock: func() error { return unlockFile(f) },
				}, o), nil
			}
		}
		return newWriter(target{name: stdoutName, w: stdout}, o), nil
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
	if !fi.Mode().IsRegular() { // a device or a pipe: nothing to lock, check, repair, sync or cut back
		return newWriter(target{name: path, w: f, closers: []io.Closer{f}}, o), nil
	}
	if err := lockFile(f); err != nil { // before Repair: only the lock's holder changes the file
		_ = f.Close()
		return nil, lockError(path, err)
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
	return newWriter(target{name: path, w: f, cut: f, files: files, closers: closers}, o), nil
}

// lockError is Open's error for a lock it could not take on the output
// called name.
func lockError(name string, err error) error {
	if errors.Is(err, errLocked) {
		return fmt.Errorf("bankhook: output %s: %w", name, ErrInUse)
	}
	return fmt.Errorf("bankhook: output %s: locking it: %w", name, err)
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

// target is what a Writer writes to; see the Writer's fields of the same
// names.
type target struct {
	name    string
	w       io.Writer
	cut     cutFile
	files   []syncFile
	closers []io.Closer
	unlock  func() error
}

// newWriter starts a Writer writing to t.
func newWriter(t target, o Options) *Writer {
	o.setDefaults()
	l := &Writer{
		name:     t.name,
		w:        t.w,
		cut:      t.cut,
		files:    t.files,
		closers:  t.closers,
		unlock:   t.unlock,
		maxBatch: o.MaxBatchBytes,
		queue:    make(chan *pending, o.QueueLen),
		idle:     make(chan *syncer, max(len(t.files), 1)),
		fatal:    make(chan struct{}),
		stopped:  make(chan struct{}),
		logger:   o.Logger,
	}
	if len(t.files) == 0 {
		l.idle <- &syncer{}
	}
	for _, f := range t.files {
		l.idle <- &syncer{file: f}
	}
	go l.run()
	return l
}

// WriteLine appends line and a newline, and returns once they are written
// and synced.
//
// An error means the line may not be stored: the caller must not
// acknowledge the event. When ctx ends before the line joined a batch,
// WriteLine returns within a few milliseconds (a tick of the Writer, see
// submit) and the line is never written. When ctx ends while the line's
// batch is being written or synced, WriteLine returns as soon too, with a
// [*PendingError] whose Outcome later says whether the line was stored.
//
// A line is never held back waiting for others: when no batch is being
// written, it is written at once, alone if need be. Lines that arrive
// while batches are being synced gather into the next batch, so that the
// busier the Writer, the more lines each write and sync carries. Once the Writer stopped taking lines (see
// [Writer.Fatal]) WriteLine fails at once with an error wrapping
// [ErrOutcomeUnknown].
//
// Line must not change until WriteLine returns, or, after a
// *PendingError, until its Outcome yields.
func (l *Writer) WriteLine(ctx context.Context, line []byte) error {
	return l.submit(ctx, l.newPending(line))
}

// Check reports whether the output can take a line now: nil, ErrClosed,
// the error wrapping [ErrOutcomeUnknown] once the Writer stopped taking
// lines, or the error of the last write or sync while none has succeeded
// since. After a failure it has the committer try what failed again
// without an event: to a file, it writes as many bytes (newlines) as the
// failed batch held, then cuts them off again and syncs; to another
// output it ends a partial line, then syncs. So an output that recovered,
// a disk with room again, is usable again before the next event arrives:
// a readiness check that waited for an event would wait forever once the
// load balancer sent none. Check returns when ctx ends, like WriteLine.
func (l *Writer) Check(ctx context.Context) error {
	l.mu.RLock()
	closed := l.closed
	l.mu.RUnlock()
	l.stateMu.Lock()
	failed, fatal := l.failed, l.fatalErr
	l.stateMu.Unlock()
	switch {
	case closed:
		return ErrClosed
	case fatal != nil:
		return fatal
	case failed == nil:
		return nil
	}
	return l.submit(ctx, l.newPending(nil))
}

// Fatal returns a channel that is closed when the Writer stops taking
// lines because the outcome of a batch is unknown: a sync failed, or
// cutting off a failed write did (see [Writer]). From then on WriteLine
// and Check fail at once with [Writer.FatalErr], which wraps
// [ErrOutcomeUnknown]. The owner should stop (serve exits with an error),
// so that the next start repairs the file and reads its lines back.
func (l *Writer) Fatal() <-chan struct{} { return l.fatal }

// FatalErr returns why the Writer stopped taking lines, an error wrapping
// [ErrOutcomeUnknown] and the failure; nil while [Writer.Fatal] is open.
func (l *Writer) FatalErr() error {
	l.stateMu.Lock()
	defer l.stateMu.Unlock()
	return l.fatalErr
}

// fail makes the Writer stop taking lines because of cause, unless it
// already has, and returns the error it answers from then on.
func (l *Writer) fail(cause error) error {
	l.stateMu.Lock()
	defer l.stateMu.Unlock()
	if l.fatalErr == nil {
		l.fatalErr = fmt.Errorf("bankhook: output %s: %w: %w", l.name, ErrOutcomeUnknown, cause)
		close(l.fatal)
	}
	return l.fatalErr
}

// waitTick is how often a caller waiting for its batch looks whether its
// context ended: WriteLine and Check return at most about this long after
// it did.
const waitTick = 2 * time.Millisecond

// submit queues p and waits for its batch's answer, or for ctx's end.
//
// It waits without ctx.Done, looking at ctx.Err at every tick of the
// Writer instead: making Done's channel is what costs for the contexts
// serve passes (the Deadline stage's makes a timer and registers with the
// request's context), and a line is mostly answered well before the next
// tick.
func (l *Writer) submit(ctx context.Context, p *pending) error {
	if err := l.FatalErr(); err != nil {
		return err
	}
	if err := l.enqueue(ctx, p); err != nil {
		return err
	}
	for ctx.Err() == nil {
		select {
		case err := <-p.done:
			l.release(p)
			return err
		case <-l.nextTick():
		}
	}
	if p.state.CompareAndSwap(queued, abandoned) {
		return fmt.Errorf("bankhook: output: line not written: %w", context.Cause(ctx))
	}
	select {
	case err := <-p.done: // answered meanwhile
		return err
	default: // taken: being written or synced now
		return &PendingError{Err: context.Cause(ctx), Outcome: p.done}
	}
}

// nextTick returns a channel that is closed at the Writer's next tick,
// waitTick from the first caller that asked for it: the Writer ticks only
// while someone waits.
func (l *Writer) nextTick() <-chan struct{} {
	l.tickMu.Lock()
	defer l.tickMu.Unlock()
	if l.tick == nil {
		c := make(chan struct{})
		l.tick = c
		time.AfterFunc(waitTick, func() {
			l.tickMu.Lock()
			l.tick = nil
			l.tickMu.Unlock()
			close(c)
		})
	}
	return l.tick
}

// enqueue puts p in the queue, waiting for room until ctx ends.
func (l *Writer) enqueue(ctx context.Context, p *pending) error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return ErrClosed
	}
	if ctx.Err() == nil {
		select {
		case l.queue <- p: // room: ctx.Done is not needed
			return nil
		default:
		}
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
	var errs []error
	if len(l.closers) > 0 && len(l.files) > 0 {
		errs = append(errs, l.files[0].Sync())
	}
	if l.unlock != nil {
		errs = append(errs, l.unlock())
	}
	for _, c := range l.closers {
		errs = append(errs, c.Close())
	}
	l.closeErr = errors.Join(errs...)
	st := l.Stats()
	l.logger.Info("output closed", "out", l.name, "lines", st.Lines, "batches", st.Batches)
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
	if err := l.FatalErr(); err != nil { // nothing is written any more
		l.answer(s, err)
		return
	}
	buf := l.buf[:0]
	if l.broken {
		buf = append(buf, '\n')
	}
	lines := 0
	for _, p := range batch {
		if p.line != nil {
			buf = append(append(buf, p.line...), '\n')
			lines++
		}
	}
	probe := len(buf) == 0 && l.cut != nil && l.probe > 0
	if probe { // a batch of Check's probes after a failed write: try as many bytes again
		for range l.probe {
			buf = append(buf, '\n')
		}
	}
	var err error
	if l.cut != nil {
		err = l.writeCut(buf, probe)
	} else {
		err = l.write(buf)
	}
	if err == nil && lines > 0 {
		l.lines.Add(uint64(lines))
		l.batches.Add(1)
	}
	if cap(buf) <= 2*l.maxBatch { // a batch of huge lines does not stay
		l.buf = buf[:0]
	}
	if err != nil || s.file == nil || probe { // a probe that was cut off again is synced already
		l.answer(s, err)
		return
	}
	l.syncing.Add(1)
	go l.sync(s)
}

// write writes buf in one write to an output that cannot be cut back,
// unless buf is empty (a batch of probes).
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

// writeCut writes buf in one write to a file that can be cut back, unless
// buf is empty. When the write fails, or buf is a probe, it cuts the file
// back to its size before the write and syncs it; when that fails too,
// the Writer stops taking lines.
func (l *Writer) writeCut(buf []byte, probe bool) error {
	if len(buf) == 0 {
		return nil
	}
	fi, err := l.cut.Stat()
	if err != nil { // nothing written
		return fmt.Errorf("bankhook: output %s: %w", l.name, err)
	}
	before := fi.Size()
	n, err := l.w.Write(buf)
	if err == nil && n < len(buf) {
		err = io.ErrShortWrite
	}
	if err == nil && !probe {
		l.probe = 0
		return nil
	}
	if err != nil {
		err = fmt.Errorf("bankhook: write output %s: %w", l.name, err)
	}
	if cerr := l.cutBack(before); cerr != nil {
		if err == nil {
			return l.fail(cerr)
		}
		return l.fail(fmt.Errorf("%w; then %w", err, cerr))
	}
	if err != nil {
		l.probe = min(len(buf), l.maxBatch)
		return err
	}
	l.probe = 0 // the probe was written whole: there is room again
	return nil
}

// cutBack truncates the output to size and syncs it: what a failed write
// added is gone.
func (l *Writer) cutBack(size int64) error {
	if err := l.cut.Truncate(size); err != nil {
		return fmt.Errorf("cutting the output back to %d bytes: %w", size, err)
	}
	if err := l.cut.Sync(); err != nil {
		return fmt.Errorf("syncing the output cut back to %d bytes: %w", size, err)
	}
	return nil
}

// sync makes s's batch durable and answers its callers. Whatever was
// written before the sync started is durable when it succeeds, the
// batches before this one included. When it fails, whether the batch is
// stored is unknown: the Writer stops taking lines.
func (l *Writer) sync(s *syncer) {
	defer l.syncing.Done()
	err := s.file.Sync()
	if err != nil {
		err = l.fail(fmt.Errorf("bankhook: sync output: %w", err))
	}
	l.answer(s, err)
}

// answer gives err to every caller of s's batch, records it for Check and
// makes s idle again. Once the Writer stopped taking lines every batch
// answered fails with that error, whatever its own write and sync did.
func (l *Writer) answer(s *syncer, err error) {
	l.stateMu.Lock()
	if l.fatalErr != nil {
		err = l.fatalErr
	}
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
// (their callers get their answers), then releases the output's lock and
// closes the file Open opened; standard output is left open. Later writes
// fail with ErrClosed. Close is idempotent and returns the same error
// each time.
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
