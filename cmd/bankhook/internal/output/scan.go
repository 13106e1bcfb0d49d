package output

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/bankhook/bankhook/internal/jsonscan"
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// NotOutputError reports a file that is not serve's output: a line that
// is neither an event line nor part of one cut short. Serve refuses such
// a file rather than append to it.
type NotOutputError struct {
	Path   string
	Line   int64 // 1-based; 0 when it could not be counted
	Offset int64 // of the line's first byte
	Reason string
}

func (e *NotOutputError) Error() string {
	where := fmt.Sprintf("byte %d", e.Offset)
	if e.Line > 0 {
		where = fmt.Sprintf("line %d", e.Line)
	}
	return fmt.Sprintf("bankhook: output %s, %s: not a bankhook event line (%s); refusing to write to a file that is not serve's output",
		e.Path, where, e.Reason)
}

// backward reads a file's lines from its end to its start, in chunks: it
// finds the newlines of each chunk with bytes.IndexByte (vectorised)
// going forwards, then hands out the chunk's lines going backwards.
//
// The first line it returns is the part after the last newline (empty
// when the file ends with one, as it should). A line is only valid until
// the next call. A backward is not safe for concurrent use.
type backward struct {
	r       io.ReaderAt
	chunk   int
	maxLine int
	buf     []byte // the file from start on; buf[:end] is still to be handed out
	start   int64
	end     int
	nls     []int // offsets in buf of the newlines before end, ascending
	done    bool
}

func newBackward(r io.ReaderAt, size int64, maxLine int) *backward {
	return &backward{r: r, chunk: 1 << 20, maxLine: maxLine, start: size}
}

// errLineTooLong is the reason given for a line longer than maxLine.
var errLineTooLong = errors.New("output: line too long")

// prev returns the line before the last one returned, and the offset of
// its first byte; ok is false once the first line of the file has been
// returned.
func (b *backward) prev() (line []byte, off int64, ok bool, err error) {
	for !b.done {
		if n := len(b.nls); n > 0 {
			i := b.nls[n-1]
			b.nls = b.nls[:n-1]
			line, b.end = b.buf[i+1:b.end], i
			off = b.start + int64(i) + 1
			if len(line) > b.maxLine {
				return nil, off, false, errLineTooLong
			}
			return line, off, true, nil
		}
		if b.start == 0 {
			b.done = true
			if b.end > b.maxLine {
				return nil, 0, false, errLineTooLong
			}
			return b.buf[:b.end], 0, true, nil
		}
		if b.end > b.maxLine {
			return nil, b.start, false, errLineTooLong
		}
		if err := b.extend(); err != nil {
			return nil, 0, false, err
		}
	}
	return nil, 0, false, nil
}

// extend reads the chunk before start in front of what is left of buf.
func (b *backward) extend() error {
	r := int(min(int64(b.chunk), b.start))
	need := r + b.end
	if cap(b.buf) < need {
		nb := make([]byte, need, need+b.chunk)
		copy(nb[r:], b.buf[:b.end])
		b.buf = nb
	} else {
		b.buf = b.buf[:need]
		copy(b.buf[r:], b.buf[:b.end])
	}
	if _, err := b.r.ReadAt(b.buf[:r], b.start-int64(r)); err != nil {
		return fmt.Errorf("bankhook: output: %w", err)
	}
	b.start -= int64(r)
	b.end = need
	b.nls = b.nls[:0]
	for i := 0; i < r; {
		j := bytes.IndexByte(b.buf[i:r], '\n')
		if j < 0 {
			break
		}
		b.nls = append(b.nls, i+j)
		i += j + 1
	}
	return nil
}

// lineNumber returns the 1-based number of the line starting at off.
func lineNumber(r io.ReaderAt, off int64) (int64, error) {
	br := bufio.NewReaderSize(io.NewSectionReader(r, 0, off), 1<<20)
	n := int64(1)
	for {
		chunk, err := br.ReadSlice('\n')
		if len(chunk) > 0 && chunk[len(chunk)-1] == '\n' {
			n++
		}
		switch {
		case errors.Is(err, io.EOF):
			return n, nil
		case errors.Is(err, bufio.ErrBufferFull):
		case err != nil:
			return 0, err
		}
	}
}

// kind is what a line of the output is.
type kind uint8

const (
	eventLine kind = iota // an event line (its head, at least)
	tornLine              // part of an event line, cut short by a crash or a failed write, or damaged
	blankLine
	foreignLine // anything else: the file is not serve's output
)

// head is the identity of an event line: its first fields.
type head struct {
	provider   []byte
	key        []byte // in the line, or an unescaped copy
	receivedAt time.Time
	checked    bool // the whole line was parsed, so it is known to be complete
}

// classify says what line is. For an event line only the head is read
// unless full is set: then the whole line is checked to be valid JSON
// without NUL bytes, and an event line that is not is a torn line.
// (ReadRecent checks the lines whose keys it loads with the faster intact.)
func classify(line []byte, full bool) (h head, k kind, reason string) {
	if len(line) == 0 {
		return h, blankLine, ""
	}
	if h, ok := fastHead(line); ok { // no NUL byte in the head
		switch {
		case !full:
		case hasNUL(line):
			return h, tornLine, reasonNUL
		case !valid(line):
			return h, tornLine, "cut short"
		}
		h.checked = full
		return h, eventLine, ""
	}
	if hasNUL(line) {
		return h, tornLine, reasonNUL
	}
	h, err := slowHead(line)
	switch {
	case err == nil:
		return h, eventLine, ""
	case errors.Is(err, errNotJSON) &&
		(bytes.HasPrefix(line, []byte(linePrefix)) || bytes.HasPrefix([]byte(linePrefix), line)):
		return h, tornLine, "cut short"
	}
	return h, foreignLine, err.Error()
}

// errNotJSON is the reason given for a line that is not valid JSON.
var errNotJSON = errors.New("not JSON")

// reasonNUL is why a line holding NUL bytes is not an event line.
const reasonNUL = "holds NUL bytes"

// hasNUL reports whether line holds a NUL byte. A crash of the machine can
// leave zeros where the last writes were; no event line holds one.
func hasNUL(line []byte) bool { return bytes.IndexByte(line, 0) >= 0 }

// intact reports whether an event line (one whose head fastHead read) is
// whole and undamaged.
func intact(line []byte) bool { return !hasNUL(line) && whole(line) }

// valid reports whether line is valid JSON. Member names are not checked
// for duplicates: that takes a third of the time, and a line with
// duplicate names is refused by slowHead, or was written by Marshal,
// which writes none.
func valid(line []byte) bool {
	return jsontext.Value(line).IsValid(jsontext.AllowDuplicateNames(true))
}

// whole reports whether an event line (one whose head fastHead read) is
// whole: whether its first '{' is closed by its last byte (see
// jsonscan.Closed). intact also turns away lines with NUL bytes.
func whole(line []byte) bool { return jsonscan.Closed(line) }

// linePrefix is how every line Marshal writes starts.
const linePrefix = `{"provider":"`

// headNames are the members Marshal writes first, in its order, each with
// what precedes its value; headEnd follows the last one.
var headNames = [...]string{`{"provider":`, `,"key":`, `,"category":`, `,"event_type":`, `,"object_type":`, `,"received_at":`}

const headEnd = `,"event":{`

// fastHead reads the head of a line as Marshal writes it, without a JSON
// decoder. It reports false for anything else (another member order,
// spaces), which slowHead then reads.
func fastHead(line []byte) (head, bool) {
	var h head
	p := line
	for i, name := range headNames {
		if !bytes.HasPrefix(p, []byte(name)) {
			return h, false
		}
		p = p[len(name):]
		v, n, ok := jsonscan.LeadingString(p)
		if !ok {
			return h, false
		}
		p = p[n:]
		switch i {
		case 0:
			h.provider = v
		case 1:
			h.key = v
		case 5:
			t, err := time.Parse(time.RFC3339Nano, string(v))
			if err != nil {
				return h, false
			}
			h.receivedAt = t
		}
	}
	return h, bytes.HasPrefix(p, []byte(headEnd))
}

// slowHead parses the whole line as JSON and requires an event line's
// members (in any order; others are ignored).
func slowHead(line []byte) (head, error) {
	var v struct {
		Provider   *string        `json:"provider"`
		Key        *string        `json:"key"`
		Category   *string        `json:"category"`
		EventType  *string        `json:"event_type"`
		ObjectType *string        `json:"object_type"`
		ReceivedAt *string        `json:"received_at"`
		Event      jsontext.Value `json:"event"`
		Raw        jsontext.Value `json:"raw"`
	}
	if !valid(line) {
		return head{}, errNotJSON
	}
	if jsontext.Value(line).Kind() != '{' {
		return head{}, errors.New("not a JSON object")
	}
	if err := json.Unmarshal(line, &v); err != nil {
		return head{}, fmt.Errorf("not an event line: %w", err)
	}
	for _, m := range []struct {
		name string
		ok   bool
	}{
		{"provider", v.Provider != nil}, {"key", v.Key != nil}, {"category", v.Category != nil},
		{"event_type", v.EventType != nil}, {"object_type", v.ObjectType != nil}, {"received_at", v.ReceivedAt != nil},
		{"event", v.Event.Kind() == '{'}, {"raw", v.Raw.Kind() == '{'},
	} {
		if !m.ok {
			return head{}, fmt.Errorf("no %q member of the right type", m.name)
		}
	}
	t, err := time.Parse(time.RFC3339Nano, *v.ReceivedAt)
	if err != nil {
		return head{}, fmt.Errorf("received_at: %w", err)
	}
	return head{provider: []byte(*v.Provider), key: []byte(*v.Key), receivedAt: t, checked: true}, nil
}

// scanner walks an output file's lines backwards, classifies them and
// refuses the file at its first foreign line. A scanner is not safe for
// concurrent use.
type scanner struct {
	path     string
	r        io.ReaderAt
	b        *backward
	maxLine  int
	lines    int   // lines read, blank ones and the tail included
	torn     int   // lines skipped as cut short or damaged
	sawEvent bool  // an event line was read
	nulOff   int64 // offset of the first line read holding NUL bytes; -1 for none
}

func newScanner(path string, r io.ReaderAt, size int64, maxLine int) *scanner {
	return &scanner{path: path, r: r, b: newBackward(r, size, maxLine), maxLine: maxLine, nulOff: -1}
}

// tail is the end of the file after its last newline: empty, a line a
// crash cut short (torn), or a whole event line whose newline was never
// written.
type tail struct {
	off  int64
	n    int
	kind kind
	head head // for an event line; its key is a copy
}

// readTail reads the tail, and must be called first. It checks the whole
// tail: a line without its newline may have been cut anywhere.
func (s *scanner) readTail() (tail, error) {
	line, off, _, err := s.prev()
	if err != nil {
		return tail{}, err
	}
	t := tail{off: off, n: len(line)}
	if len(line) == 0 {
		t.kind = blankLine
		return t, nil
	}
	s.lines++
	h, k, reason := classify(line, true)
	t.kind = k
	switch k {
	case eventLine:
		s.sawEvent = true
		h.key = bytes.Clone(h.key)
		h.provider = bytes.Clone(h.provider)
		t.head = h
	case tornLine:
		s.tornAt(off, reason)
	case foreignLine:
		return tail{}, s.refuse(off, reason)
	}
	return t, nil
}

// next returns the next event line going backwards (only its head is
// read), skipping blank and torn lines; ok is false at the start of the
// file. The line and its head are valid until the next call.
func (s *scanner) next() (h head, line []byte, ok bool, err error) {
	for {
		line, off, ok, err := s.prev()
		if err != nil || !ok {
			return head{}, nil, false, err
		}
		s.lines++
		h, k, reason := classify(line, false)
		switch k {
		case eventLine:
			s.sawEvent = true
			return h, line, true, nil
		case tornLine:
			s.tornAt(off, reason)
		case foreignLine:
			return head{}, nil, false, s.refuse(off, reason)
		}
	}
}

// prev is backward.prev, with a line too long turned into a refusal.
func (s *scanner) prev() ([]byte, int64, bool, error) {
	line, off, ok, err := s.b.prev()
	if errors.Is(err, errLineTooLong) {
		return nil, 0, false, s.refuse(off, fmt.Sprintf("a line longer than %d bytes", s.maxLine))
	}
	return line, off, ok, err
}

func (s *scanner) tornAt(off int64, reason string) {
	s.torn++
	if reason == reasonNUL && s.nulOff < 0 {
		s.nulOff = off
	}
}

// finish ends a scan: a file whose only lines are damaged ones (NUL
// bytes) is not taken for serve's output.
func (s *scanner) finish() error {
	if !s.sawEvent && s.nulOff >= 0 {
		return s.refuse(s.nulOff, reasonNUL+", and no event line")
	}
	return nil
}

// refuse returns the NotOutputError for the line at off.
func (s *scanner) refuse(off int64, reason string) error {
	e := &NotOutputError{Path: s.path, Offset: off, Reason: reason}
	if n, err := lineNumber(s.r, off); err == nil {
		e.Line = n
	}
	return e
}
