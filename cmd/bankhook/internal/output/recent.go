package output

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// Entry is an event line's identity.
type Entry struct {
	Key        string
	ReceivedAt time.Time
}

// RecentOptions configures [ReadRecent].
type RecentOptions struct {
	// Since: keys of lines received before it are not returned. Lines are
	// in the order they were written, and a line is written within the
	// handler's deadline (25 s) of its received_at, so the scan stops at
	// the first line received more than [Straggle] before Since. Zero:
	// every line is wanted.
	Since time.Time
	// Limit is the most keys returned for each provider; a provider that
	// is not in it gets none. The scan stops once every provider has its
	// keys, after reading at least the last line. Nil: no keys.
	Limit map[string]int
	// MaxLineBytes is the longest line read; a longer one is refused as
	// not serve's output. Default 64 MiB.
	MaxLineBytes int
}

// Straggle is how far before [RecentOptions.Since] a line may be
// received and still be followed by lines received after Since: more
// than the handler's deadline (25 s), which bounds the time from an
// event's received_at to its line's write.
const Straggle = time.Minute

// Recent is what [ReadRecent] found.
type Recent struct {
	// Keys holds each provider's keys, newest first, each once.
	Keys map[string][]Entry
	// Lines is the number of lines read, from the end of the file back.
	Lines int
	// Torn is the number of lines skipped as cut short or damaged: the
	// end of the file after a crash, a line whose write failed, a line with
	// NUL bytes, or a line whose key was wanted but which is not whole.
	Torn int
	// Whole reports that the scan read back to the first line.
	Whole bool
}

// ReadRecent reads the keys of the newest event lines of the file at
// path, from its end backwards, without changing it: for each provider in
// o.Limit, up to its limit of distinct keys received since o.Since,
// newest first. A file that does not exist, or is not a regular file, has
// no lines.
//
// Every line read is checked: one that is neither an event line nor part
// of one is refused with a [*NotOutputError] naming the file and the line.
// A line whose key is returned is checked to be whole, so that the key of
// a line cut short is never returned: it belongs to an event that was not
// acknowledged. Only the first fields of the other lines are read, which
// keeps a scan of a large file fast.
func ReadRecent(path string, o RecentOptions) (Recent, error) {
	if o.MaxLineBytes <= 0 {
		o.MaxLineBytes = DefaultMaxLineBytes
	}
	rec := Recent{Keys: map[string][]Entry{}}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		rec.Whole = true
		return rec, nil
	}
	if err != nil {
		return rec, fmt.Errorf("bankhook: output: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return rec, fmt.Errorf("bankhook: output: %w", err)
	}
	if !fi.Mode().IsRegular() {
		rec.Whole = true
		return rec, nil
	}

	s := newScanner(path, f, fi.Size(), o.MaxLineBytes)
	c := newCollector(o)
	t, err := s.readTail()
	if err != nil {
		return rec, err
	}
	stop := false
	if t.kind == eventLine {
		stop = c.add(t.head, nil, s)
	}
	for !stop {
		h, line, ok, err := s.next()
		if err != nil {
			return rec, err
		}
		if !ok {
			rec.Whole = true
			break
		}
		stop = c.add(h, line, s)
	}
	if err := s.finish(); err != nil {
		return rec, err
	}
	rec.Keys, rec.Lines, rec.Torn = c.keys, s.lines, s.torn
	return rec, nil
}

// collector gathers the wanted keys of a backward scan.
type collector struct {
	since, stopBefore time.Time
	limit             map[string]int
	keys              map[string][]Entry
	seen              map[string]map[string]struct{}
	wanted, full      int // providers with a limit, and those that reached it
}

func newCollector(o RecentOptions) *collector {
	c := &collector{since: o.Since, limit: o.Limit, keys: map[string][]Entry{}, seen: map[string]map[string]struct{}{}}
	if !o.Since.IsZero() {
		c.stopBefore = o.Since.Add(-Straggle)
	}
	for p, n := range o.Limit {
		if n > 0 {
			c.wanted++
			c.seen[p] = map[string]struct{}{}
		}
	}
	return c
}

// add takes the event line with head h (line is nil when h is known to be
// whole) and reports whether the scan can stop.
func (c *collector) add(h head, line []byte, s *scanner) (stop bool) {
	if c.wanted == 0 || h.receivedAt.Before(c.stopBefore) {
		return true
	}
	if h.receivedAt.Before(c.since) {
		return false
	}
	seen, ok := c.seen[string(h.provider)]
	if !ok || len(seen) >= c.limit[string(h.provider)] {
		return false
	}
	if _, dup := seen[string(h.key)]; dup {
		return false
	}
	if !h.checked && line != nil && !intact(line) {
		s.torn++ // cut short or damaged: its event was not acknowledged
		return false
	}
	provider, key := string(h.provider), string(h.key)
	seen[key] = struct{}{}
	c.keys[provider] = append(c.keys[provider], Entry{Key: key, ReceivedAt: h.receivedAt})
	if len(seen) == c.limit[provider] {
		c.full++
	}
	return c.full == c.wanted
}
