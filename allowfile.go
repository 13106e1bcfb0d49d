package bankhook

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"os/signal"
	"sync"
	"time"
)

// AllowlistFileOptions configures [WatchAllowlistFile]. The zero value
// checks the file for a change every 2 s and logs through slog.Default().
type AllowlistFileOptions struct {
	// Interval is how often the file is checked for a change: a new
	// modification time, size or file (inode), as an editor's save, a
	// rename over it or a Kubernetes ConfigMap update make. Default 2 s;
	// negative: never checked, reloaded only by Reload or Signals.
	Interval time.Duration
	// Signals reload the file whenever the process receives one of them,
	// for example syscall.SIGHUP. Default none.
	Signals []os.Signal
	// Extra are entries kept in the list besides the file's, for example
	// loopback addresses for trials. Default none.
	Extra []string
	// Logger receives a line for each reload and for each version of the
	// file that is refused. Default slog.Default().
	Logger *slog.Logger
}

// AllowlistFile keeps an [IPAllowlist] equal to the entries of a file
// while the process runs, so that a bank's new sender addresses take
// effect without a restart.
//
// The file holds one CIDR prefix or address per line (see [NewIPAllowlist]);
// blank lines are skipped and "#" starts a comment that runs to the end
// of the line. A file that cannot be read, holds a malformed entry or no
// entry at all is refused: the list keeps its previous contents, and the
// error names the file and the line. An empty file is refused because it
// would deny every sender and is more often a file caught half-written
// than a wish; to swap the file atomically, write a new one beside it and
// rename it over the old.
//
// An AllowlistFile is safe for concurrent use. The zero value is not
// usable; use [WatchAllowlistFile]. It runs a goroutine until Close is
// called or its context ends.
type AllowlistFile struct {
	list   *IPAllowlist
	path   string
	extra  []netip.Prefix
	logger *slog.Logger

	mu      sync.Mutex  // guards loaded and lastErr; held for a whole reload
	loaded  os.FileInfo // the file as last read (refused or not); nil before
	lastErr string      // the last polling error logged, so it is logged once

	cancel context.CancelFunc
	done   chan struct{} // closed when the goroutine has returned
}

// errFileChanging is a reload's error for a file that changed while it
// was read: it may have been caught half-written.
var errFileChanging = errors.New("changed while being read")

// WatchAllowlistFile reads the file at path into list (with o.Extra) and
// keeps it in step with the file: it is read again when it changes (see
// AllowlistFileOptions.Interval), when the process receives one of
// o.Signals, and on Reload, until ctx ends or Close is called. A file
// that is refused at start is an error, and list is left unchanged.
func WatchAllowlistFile(ctx context.Context, list *IPAllowlist, path string, o AllowlistFileOptions) (*AllowlistFile, error) {
	if list == nil {
		return nil, errors.New("bankhook: WatchAllowlistFile needs a list")
	}
	if o.Interval == 0 {
		o.Interval = DefaultAllowlistPoll
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	f := &AllowlistFile{list: list, path: path, logger: o.Logger, done: make(chan struct{})}
	for _, e := range o.Extra {
		p, err := parseAllowEntry(e)
		if err != nil {
			return nil, fmt.Errorf("bankhook: AllowlistFileOptions.Extra: %w", err)
		}
		f.extra = append(f.extra, p)
	}
	if _, err := f.reload(); err != nil {
		return nil, err
	}

	ctx, f.cancel = context.WithCancel(ctx)
	var signals chan os.Signal
	if len(o.Signals) > 0 {
		signals = make(chan os.Signal, 1)
		signal.Notify(signals, o.Signals...)
	}
	var ticker *time.Ticker
	if o.Interval > 0 {
		ticker = time.NewTicker(o.Interval)
	}
	go f.run(ctx, signals, ticker)
	return f, nil
}

func (f *AllowlistFile) run(ctx context.Context, signals chan os.Signal, ticker *time.Ticker) {
	defer close(f.done)
	var tick <-chan time.Time
	if ticker != nil {
		defer ticker.Stop()
		tick = ticker.C
	}
	if signals != nil {
		defer signal.Stop(signals)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-signals:
			_ = f.Reload()
		case <-tick:
			f.poll(ctx)
		}
	}
}

// poll reloads the file if it changed since it was last read.
func (f *AllowlistFile) poll(ctx context.Context) {
	fi, err := os.Stat(f.path)
	f.mu.Lock()
	if err != nil {
		msg := err.Error()
		repeat := msg == f.lastErr
		f.lastErr = msg
		f.mu.Unlock()
		if !repeat {
			f.logger.LogAttrs(ctx, slog.LevelError, "bankhook: allowlist file unreadable; keeping the current list",
				slog.String("path", f.path), slog.String("error", msg))
		}
		return
	}
	f.lastErr = ""
	changed := f.loaded == nil || !sameVersion(f.loaded, fi)
	f.mu.Unlock()
	if changed {
		_ = f.Reload()
	}
}

// Reload reads the file now and replaces the list's contents with its
// entries (and the Extra ones). On error the list is left unchanged; the
// outcome is logged either way.
func (f *AllowlistFile) Reload() error {
	n, err := f.reload()
	if err != nil {
		f.logger.LogAttrs(context.Background(), slog.LevelError, "bankhook: allowlist file refused; keeping the current list",
			slog.String("path", f.path), slog.String("error", err.Error()))
		return err
	}
	f.logger.LogAttrs(context.Background(), slog.LevelInfo, "bankhook: allowlist reloaded",
		slog.String("path", f.path), slog.Int("entries", n))
	return nil
}

// reload reads the file and replaces the list, returning the number of
// the file's entries.
func (f *AllowlistFile) reload() (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	before, err := os.Stat(f.path)
	if err != nil {
		return 0, fmt.Errorf("bankhook: allowlist file: %w", err)
	}
	b, err := os.ReadFile(f.path)
	if err != nil {
		return 0, fmt.Errorf("bankhook: allowlist file: %w", err)
	}
	after, err := os.Stat(f.path)
	if err != nil {
		return 0, fmt.Errorf("bankhook: allowlist file: %w", err)
	}
	if !sameVersion(before, after) {
		// Not recorded as loaded: the next check reads it again.
		return 0, fmt.Errorf("bankhook: allowlist file %s: %w", f.path, errFileChanging)
	}
	f.loaded = after // refused or not: a bad version is reported once
	prefixes, err := parseAllowlist(b)
	if err != nil {
		return 0, fmt.Errorf("bankhook: allowlist file %s %w", f.path, err)
	}
	n := len(prefixes)
	f.list.set.Store(newAllowSet(append(prefixes, f.extra...)))
	return n, nil
}

// sameVersion reports whether a and b describe the same version of a
// file: same file (device and inode), size and modification time.
func sameVersion(a, b os.FileInfo) bool {
	return os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}

// parseAllowlist parses an allowlist file's contents. Errors start with
// "line N: " (or "holds no entries").
func parseAllowlist(b []byte) ([]netip.Prefix, error) {
	var prefixes []netip.Prefix
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 64<<10)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Bytes()
		if i := bytes.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		p, err := parsePrefix(string(line))
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		prefixes = append(prefixes, p)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", n+1, err)
	}
	if len(prefixes) == 0 {
		return nil, errors.New("holds no entries")
	}
	return prefixes, nil
}

// Close stops watching the file and waits for the goroutine to return.
// The list keeps its last contents. Close is idempotent and returns nil.
func (f *AllowlistFile) Close() error {
	f.cancel()
	<-f.done
	return nil
}
