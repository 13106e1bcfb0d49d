// Package jsonscan reads JSON without reflection, for the decode fast
// paths of the provider packages (bunq, bankhub).
//
// A [Reader] trusts the syntax of its input: the caller first checks the
// whole body with jsontext.Value.IsValid, under the same options as its
// reflective decoder (RFC 8259 syntax, valid UTF-8, unique member names,
// bounded nesting), so the Reader itself has no syntax errors to report and
// stays small. It is still safe on any input: it never panics, never loops
// and never reads out of bounds; what it does not expect marks it failed.
//
// The typed readers (String, Int64, Float64, Bool, …) follow the rules
// go-json-experiment applies to the same Go types under the providers'
// options: null gives the zero value, a JSON string is never a number and
// a number never a string (except where a method says it accepts both), an
// integer must be written as one and fit. A value those rules refuse marks
// the Reader failed as well, and so does anything a caller does not handle
// itself; the caller then decodes the body again with its reflective
// decoder, which returns the same result or the error naming the offending
// value. A fast path built on a Reader therefore only ever has to be right
// about the values it accepts, and a differential fuzz test checks that.
//
// Strings are collected into one buffer and become one Go string at
// [Reader.Finish], so that decoding an object with twenty text fields
// allocates once for all of them. The fields share that string's memory:
// keeping one of them keeps the others' bytes alive, a few hundred bytes
// per event.
package jsonscan

import (
	"encoding/binary"
	"strconv"
	"sync"

	"github.com/go-json-experiment/json/jsontext"
)

// Reader reads one JSON value from a byte slice. Get one with [Get] and
// return it with [Put]; the zero value reads nothing. A Reader is not safe
// for concurrent use.
type Reader struct {
	b      []byte
	i      int  // offset of the next unread byte
	failed bool // sticky: the input was not what the caller expected

	name    []byte // the last member name: in the input, or in nameBuf
	nameBuf []byte // the last member name, unescaped, when it had escapes

	text    []byte    // the contents of every string read, back to back
	pending []pending // where each goes once text becomes a string
}

// pending is a string field waiting for Finish: text[start:end] goes to dst.
type pending struct {
	dst        *string
	start, end int
}

var pool = sync.Pool{New: func() any { return new(Reader) }}

// Get returns a Reader over b, from a pool.
func Get(b []byte) *Reader {
	r := pool.Get().(*Reader)
	r.b, r.i, r.failed = b, 0, false
	return r
}

// Put returns r to the pool. It forgets the input and every destination
// it was given, so the pool keeps no body and no decoded value alive.
func Put(r *Reader) {
	clear(r.pending)
	r.b, r.name, r.pending, r.text, r.nameBuf = nil, nil, r.pending[:0], r.text[:0], r.nameBuf[:0]
	if cap(r.text) > 64<<10 || cap(r.pending) > 4096 || cap(r.nameBuf) > 4096 {
		return // an unusual body: let the collector have its buffers
	}
	pool.Put(r)
}

// Failed reports whether the reader met something it, or its caller, did
// not accept.
func (r *Reader) Failed() bool { return r.failed }

// Fail marks the reader failed: the caller met a value it does not handle.
func (r *Reader) Fail() { r.failed = true }

// Finish assigns every string read to its destination and reports whether
// the whole input was read without failure, up to trailing whitespace.
func (r *Reader) Finish() bool {
	r.skipSpace()
	if r.i != len(r.b) {
		r.failed = true
	}
	return r.Flush()
}

// Flush assigns every string read so far to its destination and reports
// whether the reader has not failed, for a caller that stops reading
// before the end of the input. After a failure it assigns nothing.
func (r *Reader) Flush() bool {
	if r.failed {
		return false
	}
	if len(r.pending) > 0 {
		s := string(r.text)
		for _, p := range r.pending {
			*p.dst = s[p.start:p.end]
		}
		clear(r.pending)
		r.pending, r.text = r.pending[:0], r.text[:0]
	}
	return true
}

func (r *Reader) skipSpace() {
	// Indented bodies have long runs of spaces: skip them eight at a time.
	for r.i+8 <= len(r.b) && binary.LittleEndian.Uint64(r.b[r.i:]) == lows*' ' {
		r.i += 8
	}
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// peek skips whitespace and returns the next byte, or 0 at the end of the
// input or after a failure.
func (r *Reader) peek() byte {
	if r.failed {
		return 0
	}
	r.skipSpace()
	if r.i >= len(r.b) {
		r.failed = true
		return 0
	}
	return r.b[r.i]
}

// Kind returns the kind of the next value, as jsontext.Kind spells it
// ('n', 't', 'f', '"', '0', '{', '['), or 0 after a failure.
func (r *Reader) Kind() byte {
	switch c := r.peek(); c {
	case 'n', 't', 'f', '"', '{', '[':
		return c
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return '0'
	case 0:
		return 0
	}
	r.failed = true
	return 0
}

// Object enters the object that comes next and returns true; for null it
// reads the null and returns false; for anything else it fails.
func (r *Reader) Object() bool { return r.open('{') }

// Array enters the array that comes next and returns true; for null it
// reads the null and returns false; for anything else it fails.
func (r *Reader) Array() bool { return r.open('[') }

func (r *Reader) open(delim byte) bool {
	switch r.Kind() {
	case delim:
		r.i++
		return true
	case 'n':
		r.literal("null")
	default:
		r.failed = true
	}
	return false
}

// Member reads the next member name of the object being read, and the
// colon after it, and returns true; at the end of the object it reads the
// closing brace and returns false, as it does after a failure. The name is
// then [Reader.Name].
func (r *Reader) Member() bool {
	switch r.next() {
	case '}':
		r.i++
		return false
	case '"':
	default:
		r.failed = true
		return false
	}
	raw, escaped := r.str()
	if r.failed {
		return false
	}
	if escaped {
		var err error
		if r.nameBuf, err = jsontext.AppendUnquote(r.nameBuf[:0], raw); err != nil {
			r.failed = true
			return false
		}
		r.name = r.nameBuf
	} else {
		r.name = raw[1 : len(raw)-1 : len(raw)-1]
	}
	if r.peek() != ':' {
		r.failed = true
		return false
	}
	r.i++
	return true
}

// next skips the comma between two members or elements, if that comes
// next, and returns the byte after it.
func (r *Reader) next() byte {
	c := r.peek()
	if c == ',' {
		r.i++
		c = r.peek()
	}
	return c
}

// Name returns the member name the last call to Member read, unescaped.
// It is valid until the next call to Member.
func (r *Reader) Name() []byte { return r.name }

// Len returns the number of elements of the array that comes next, without
// reading it, so that a caller can make a slice of the right length before
// reading the elements into it: strings are assigned at Finish, through
// pointers that must still point into the slice by then. It returns 0 for
// anything but an array.
func (r *Reader) Len() int {
	if r.Kind() != '[' {
		return 0
	}
	save := r.i
	n := r.skipComposite()
	r.i = save
	return n
}

// Elem reports whether another element follows in the array being read;
// at the end of the array it reads the closing bracket and returns false,
// as it does after a failure.
func (r *Reader) Elem() bool {
	switch r.next() {
	case ']':
		r.i++
		return false
	case 0:
		return false
	}
	return true
}

// Value reads the next value and returns its JSON text, which aliases the
// input. It returns nil after a failure.
func (r *Reader) Value() []byte {
	k := r.Kind()
	start := r.i
	switch k {
	case '"':
		raw, _ := r.str()
		return raw
	case '0':
		for r.i < len(r.b) && isNumberByte(r.b[r.i]) {
			r.i++
		}
	case 'n':
		r.literal("null")
	case 't':
		r.literal("true")
	case 'f':
		r.literal("false")
	case '{', '[':
		r.skipComposite()
	default:
		return nil
	}
	if r.failed {
		return nil
	}
	return r.b[start:r.i:r.i]
}

// Skip reads the next value and ignores it.
func (r *Reader) Skip() { r.Value() }

// String reads a JSON string into *dst, or null as "". Anything else
// fails. The string is assigned by Finish.
func (r *Reader) String(dst *string) {
	switch r.Kind() {
	case '"':
		r.text = r.appendString(r.text, dst)
	case 'n':
		r.literal("null")
		*dst = ""
	default:
		r.failed = true
	}
}

// Text is String for a caller that must check the text before it takes
// it: it returns the string's contents, unescaped (valid until the next
// read), or nil for null.
func (r *Reader) Text(dst *string) []byte {
	switch r.Kind() {
	case '"':
		start := len(r.text)
		r.text = r.appendString(r.text, dst)
		return r.text[start:len(r.text):len(r.text)]
	case 'n':
		r.literal("null")
		*dst = ""
	default:
		r.failed = true
	}
	return nil
}

// StringOrNumber reads a JSON string into *dst as String does, and also
// accepts a JSON number, whose text it keeps digit for digit
// (12345678901234567890 gives "12345678901234567890").
func (r *Reader) StringOrNumber(dst *string) {
	if r.Kind() != '0' {
		r.String(dst)
		return
	}
	v := r.Value()
	start := len(r.text)
	r.text = append(r.text, v...)
	r.pending = append(r.pending, pending{dst, start, len(r.text)})
}

// appendString reads the JSON string that comes next, appends its
// contents to text and records dst as their destination.
func (r *Reader) appendString(text []byte, dst *string) []byte {
	raw, escaped := r.str()
	if r.failed {
		return text
	}
	start := len(text)
	if escaped {
		var err error
		if text, err = jsontext.AppendUnquote(text, raw); err != nil {
			r.failed = true
			return text[:start]
		}
	} else {
		text = append(text, raw[1:len(raw)-1]...)
	}
	r.pending = append(r.pending, pending{dst, start, len(text)})
	return text
}

// Int64 reads a JSON number that is an integer in int64's range, written
// without fraction or exponent, into *dst, or null as 0. Anything else
// fails: a quoted number, 1.0, 1e3, an integer out of range.
func (r *Reader) Int64(dst *int64) { *dst = r.integer(64) }

// Int is Int64 for an int.
func (r *Reader) Int(dst *int) { *dst = int(r.integer(strconv.IntSize)) }

// integer reads what Int64 reads, for a signed integer of the given bits.
func (r *Reader) integer(bits int) int64 {
	switch r.Kind() {
	case '0':
		n, ok := parseInt(r.Value(), bits)
		if !ok {
			r.failed = true
		}
		return n
	case 'n':
		r.literal("null")
	default:
		r.failed = true
	}
	return 0
}

// parseInt parses a JSON integer as go-json-experiment does for a signed
// integer of the given bits: digits only after an optional minus sign, no
// leading zero, within range ("-0" is 0).
func parseInt(v []byte, bits int) (int64, bool) {
	neg := len(v) > 0 && v[0] == '-'
	if neg {
		v = v[1:]
	}
	if len(v) == 0 || len(v) > 19 || (v[0] == '0' && len(v) > 1) {
		return 0, false
	}
	var n uint64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0') // 19 digits cannot overflow a uint64
	}
	limit := uint64(1) << (bits - 1)
	if neg {
		if n > limit {
			return 0, false
		}
		return -int64(n), true
	}
	if n >= limit {
		return 0, false
	}
	return int64(n), true
}

// Float64 reads a JSON number into *dst, or null as 0. A number out of
// float64's range fails, as a quoted number does.
func (r *Reader) Float64(dst *float64) {
	switch r.Kind() {
	case '0':
		v := r.Value()
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			r.failed = true
			return
		}
		*dst = f
	case 'n':
		r.literal("null")
		*dst = 0
	default:
		r.failed = true
	}
}

// Bool reads true or false into *dst, or null as false.
func (r *Reader) Bool(dst *bool) {
	switch r.Kind() {
	case 't':
		r.literal("true")
		*dst = true
	case 'f':
		r.literal("false")
		*dst = false
	case 'n':
		r.literal("null")
		*dst = false
	default:
		r.failed = true
	}
}

// literal reads the literal lit, which the next byte starts.
func (r *Reader) literal(lit string) {
	if string(r.b[r.i:min(r.i+len(lit), len(r.b))]) != lit {
		r.failed = true
		return
	}
	r.i += len(lit)
}

// str reads the string that starts at r.i and returns it with its quotes,
// and whether it holds escapes. It looks at eight bytes at a time for a
// quote or a backslash.
func (r *Reader) str() (raw []byte, escaped bool) {
	b := r.b
	start := r.i
	j := start + 1
	for {
		for j+8 <= len(b) && !hasQuoteOrBackslash(binary.LittleEndian.Uint64(b[j:])) {
			j += 8
		}
		if j >= len(b) {
			break
		}
		switch b[j] {
		case '"':
			r.i = j + 1
			return b[start:r.i:r.i], escaped
		case '\\':
			escaped = true
			j += 2 // the escaped byte cannot end the string
		default:
			j++
		}
	}
	r.failed = true
	return nil, false
}

// Bit tricks on eight bytes at once: lows has the low bit of every byte
// set, highs the high bit; see "Determine if a word has a byte equal to n"
// in Sean Anderson's Bit Twiddling Hacks.
const (
	lows  = 0x0101010101010101
	highs = 0x8080808080808080
)

// hasZeroByte reports whether one of x's bytes is zero.
func hasZeroByte(x uint64) bool { return (x-lows)&^x&highs != 0 }

// hasQuoteOrBackslash reports whether one of x's bytes is '"' or '\\'.
func hasQuoteOrBackslash(x uint64) bool {
	return hasZeroByte(x^(lows*'"')) || hasZeroByte(x^(lows*'\\'))
}

// skipComposite reads the object or array that starts at r.i, and
// returns the number of its members or elements.
func (r *Reader) skipComposite() (n int) {
	depth := 0
	for r.i < len(r.b) {
		switch c := r.b[r.i]; c {
		case '"':
			if depth == 1 && n == 0 {
				n = 1
			}
			r.str()
			if r.failed {
				return 0
			}
			continue
		case '{', '[':
			if depth == 1 && n == 0 {
				n = 1
			}
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				r.i++
				return n
			}
		case ',':
			if depth == 1 {
				n++
			}
		case ' ', '\t', '\n', '\r', ':':
		default: // a number or a literal
			if depth == 1 && n == 0 {
				n = 1
			}
		}
		r.i++
	}
	r.failed = true
	return 0
}

func isNumberByte(c byte) bool {
	return '0' <= c && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}
