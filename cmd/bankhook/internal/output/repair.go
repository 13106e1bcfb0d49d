package output

import (
	"fmt"
	"os"
)

// RepairAction is what [Repair] did to the end of a file.
type RepairAction uint8

const (
	// RepairNone: the file ended with a newline (or was empty).
	RepairNone RepairAction = iota
	// RepairCut: the file ended inside a line, cut short by a crash: that
	// part of a line was removed. It belonged to no acknowledged event, whose
	// line is acknowledged only once it is written whole and synced.
	RepairCut
	// RepairEnded: the file ended with a whole event line without its
	// newline: the newline was added.
	RepairEnded
)

// String returns what the action did, for the log.
func (a RepairAction) String() string {
	switch a {
	case RepairNone:
		return "none"
	case RepairCut:
		return "removed a line cut short"
	case RepairEnded:
		return "ended the last line"
	}
	return fmt.Sprintf("RepairAction(%d)", uint8(a))
}

// Repaired says what [Repair] did.
type Repaired struct {
	Action RepairAction
	Offset int64 // where the last line starts
	Bytes  int   // its length
}

// Repair checks that f, opened for reading and appending, is serve's
// output, and makes it end with a newline so that the next line starts on
// a line of its own. It reads the file backwards from its end up to the
// last event line: a line that is neither an event line nor part of one
// is refused with a [*NotOutputError] naming the file and the line, and
// the file is left as it was. A line without its newline at the end is
// removed when it is cut short (it belonged to no acknowledged event), or
// ended with a newline when it is whole; either change is synced.
//
// maxLine is the longest line read; a longer one is refused.
func Repair(f *os.File, path string, maxLine int) (Repaired, error) {
	fi, err := f.Stat()
	if err != nil {
		return Repaired{}, fmt.Errorf("bankhook: output: %w", err)
	}
	s := newScanner(path, f, fi.Size(), maxLine)
	t, err := s.readTail()
	if err != nil {
		return Repaired{}, err
	}
	for !s.sawEvent {
		_, _, ok, err := s.next()
		if err != nil {
			return Repaired{}, err
		}
		if !ok {
			break
		}
	}
	if err := s.finish(); err != nil {
		return Repaired{}, err
	}

	r := Repaired{Offset: t.off, Bytes: t.n}
	switch t.kind {
	case tornLine:
		r.Action = RepairCut
		err = f.Truncate(t.off)
	case eventLine:
		r.Action = RepairEnded
		_, err = f.Write([]byte{'\n'})
	default:
		return Repaired{}, nil
	}
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		return Repaired{}, fmt.Errorf("bankhook: output %s: repairing its last line: %w", path, err)
	}
	return r, nil
}
