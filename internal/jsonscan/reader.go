// Package jsonscan reads JSON into typed values without reflection, for
// the decode fast paths of the provider packages (bunq, bankhub).
//
// A [Reader] walks one JSON value token by token on a
// go-json-experiment/jsontext Decoder, with the options of the provider's
// reflective decoder, so everything the Reader reads is checked exactly as
// the reflective decoder checks it: syntax, UTF-8, unique member names
// in every object (skipped ones included), nesting depth.
//
// The typed readers (String, Int64, Float64, Bool, …) follow the rules
// go-json-experiment applies to the same Go types under the providers'
// options: null gives the zero value, a JSON string is never a number and
// a number never a string (except where a method says it accepts both), an
// integer must be written as one and fit. A value those rules refuse marks
// the Reader failed, and so does anything a caller does not handle itself
// and any error of the Decoder; every method of a failed Reader is then a
// no-op. The caller decodes the body again with its reflective decoder,
// which returns the same result or the error naming the offending value.
// A fast path built on a Reader therefore only has to be right about what
// it accepts, and a differential fuzz test (see scantest) checks that.
package jsonscan

import (
	"bytes"
	"hash/maphash"
	"io"
	"strconv"
	"sync"

	"github.com/go-json-experiment/json/jsontext"
)

// Reader reads one JSON value. Get one with [Get] and return it with
// [Put]. A Reader is not safe for concurrent use.
type Reader struct {
	dec    *jsontext.Decoder
	in     bytes.Buffer // over the input, which jsontext then reads in place
	failed bool         // sticky: the input was not what the caller expected

	name    []byte // the last member name: in the Decoder's buffer, or in nameBuf
	nameBuf []byte // the last member name, unescaped, when it had escapes
	text    []byte // scratch for unescaping a string value

	strs strCache
}

// strCache keeps recent short strings, so that values that repeat from
// one body to the next ("EUR", a merchant's name, an account's UUID) are
// not allocated again. It is the idea of go-json-experiment's string
// cache, which the reflective decoders use.
type strCache struct {
	seed    maphash.Seed
	entries [256]string
}

// maxCached is the longest string strCache keeps: UUIDs and IBANs fit.
const maxCached = 64

func (c *strCache) get(b []byte) string {
	if len(b) < 2 || len(b) > maxCached {
		return string(b)
	}
	e := &c.entries[maphash.Bytes(c.seed, b)%uint64(len(c.entries))]
	if *e != string(b) {
		*e = string(b)
	}
	return *e
}

var pool = sync.Pool{New: func() any {
	r := new(Reader)
	r.strs.seed = maphash.MakeSeed()
	return r
}}

// Get returns a Reader over b, from a pool, decoding with opts
// (jsontext's defaults without: no duplicate names, valid UTF-8).
func Get(b []byte, opts ...jsontext.Options) *Reader {
	r := pool.Get().(*Reader)
	r.in = *bytes.NewBuffer(b) // read in place: jsontext never writes into a bytes.Buffer's bytes
	if r.dec == nil {
		r.dec = jsontext.NewDecoder(&r.in, opts...)
	} else {
		r.dec.Reset(&r.in, opts...)
	}
	r.failed = false
	return r
}

// Put returns r to the pool. It forgets its input.
func Put(r *Reader) {
	r.in = bytes.Buffer{}
	r.name = nil
	if cap(r.nameBuf) > 4096 || cap(r.text) > 64<<10 {
		return // an unusual body: let the collector have the buffers
	}
	pool.Put(r)
}

// Failed reports whether the reader met something it, or its caller, did
// not accept.
func (r *Reader) Failed() bool { return r.failed }

// Fail marks the reader failed: the caller met a value it does not handle.
func (r *Reader) Fail() { r.failed = true }

// Finish reports whether the whole input was read without failure: one
// value, then only whitespace.
func (r *Reader) Finish() bool {
	if !r.failed {
		if _, err := r.dec.ReadToken(); err != io.EOF {
			r.failed = true
		}
	}
	return !r.failed
}

// Kind returns the kind of the next value, as jsontext.Kind spells it
// ('n', 't', 'f', '"', '0', '{', '['), or 0 after a failure or at the end
// of an object or array.
func (r *Reader) Kind() byte {
	if r.failed {
		return 0
	}
	switch k := byte(r.dec.PeekKind()); k {
	case 'n', 't', 'f', '"', '0', '{', '[':
		return k
	}
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
		r.token()
		return !r.failed
	case 'n':
		r.token()
	default:
		r.failed = true
	}
	return false
}

// token reads a delimiter or a literal.
func (r *Reader) token() {
	if _, err := r.dec.ReadToken(); err != nil {
		r.failed = true
	}
}

// Member reads the next member name of the object being read and returns
// true; at the end of the object it reads the closing brace and returns
// false, as it does after a failure. The name is then [Reader.Name].
func (r *Reader) Member() bool {
	if r.failed {
		return false
	}
	switch r.dec.PeekKind() {
	case '}':
		r.token()
		return false
	case '"':
	default:
		r.failed = true
		return false
	}
	raw, err := r.dec.ReadValue() // checks that the name is new in its object
	if err != nil {
		r.failed = true
		return false
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		r.name = raw[1 : len(raw)-1]
		return true
	}
	if r.nameBuf, err = jsontext.AppendUnquote(r.nameBuf[:0], raw); err != nil {
		r.failed = true
		return false
	}
	r.name = r.nameBuf
	return true
}

// Name returns the member name the last call to Member read, unescaped.
// It is valid until the next read.
func (r *Reader) Name() []byte { return r.name }

// Elem reports whether another element follows in the array being read;
// at the end of the array it reads the closing bracket and returns false,
// as it does after a failure.
func (r *Reader) Elem() bool {
	if r.failed {
		return false
	}
	switch r.dec.PeekKind() {
	case ']':
		r.token()
		return false
	case 0:
		r.failed = true
		return false
	}
	return true
}

// Value reads the next value and returns its JSON text, valid until the
// next read. It returns nil after a failure.
func (r *Reader) Value() []byte {
	if r.failed {
		return nil
	}
	v, err := r.dec.ReadValue()
	if err != nil {
		r.failed = true
		return nil
	}
	return v
}

// Skip reads the next value and ignores it.
func (r *Reader) Skip() {
	if !r.failed && r.dec.SkipValue() != nil {
		r.failed = true
	}
}

// The typed readers read the next value whole with one ReadValue and
// look at its first byte, rather than peeking at its kind first: a value
// of the wrong kind fails the Reader either way.

// String reads a JSON string into *dst, or null as "". Anything else
// fails.
func (r *Reader) String(dst *string) {
	switch v := r.Value(); kindOf(v) {
	case '"':
		if text := r.unquote(v); !r.failed {
			*dst = r.strs.get(text)
		}
	case 'n':
		*dst = ""
	default:
		r.failed = true
	}
}

// Text is String for a caller that must check the text before it keeps
// it: it also returns the string's contents, unescaped, valid until the
// next read (nil for null).
func (r *Reader) Text(dst *string) []byte {
	switch v := r.Value(); kindOf(v) {
	case '"':
		text := r.unquote(v)
		if !r.failed {
			*dst = r.strs.get(text)
		}
		return text
	case 'n':
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
	switch v := r.Value(); kindOf(v) {
	case '"':
		if text := r.unquote(v); !r.failed {
			*dst = r.strs.get(text)
		}
	case '0':
		*dst = r.strs.get(v)
	case 'n':
		*dst = ""
	default:
		r.failed = true
	}
}

// kindOf returns the kind of the JSON value v, as Kind spells it, or 0
// for nil (a failed read).
func kindOf(v []byte) byte {
	if len(v) == 0 {
		return 0
	}
	switch c := v[0]; c {
	case 'n', 't', 'f', '"', '{', '[':
		return c
	}
	return '0'
}

// unquote returns the contents of the JSON string v, unescaped.
func (r *Reader) unquote(v []byte) []byte {
	if bytes.IndexByte(v, '\\') < 0 {
		return v[1 : len(v)-1]
	}
	var err error
	if r.text, err = jsontext.AppendUnquote(r.text[:0], v); err != nil {
		r.failed = true
		return nil
	}
	return r.text
}

// Int64 reads a JSON number that is an integer in int64's range, written
// without fraction or exponent, into *dst, or null as 0. Anything else
// fails: a quoted number, 1.0, 1e3, an integer out of range.
func (r *Reader) Int64(dst *int64) { *dst = r.integer(64) }

// Int is Int64 for an int.
func (r *Reader) Int(dst *int) { *dst = int(r.integer(strconv.IntSize)) }

// integer reads what Int64 reads, for a signed integer of the given bits.
func (r *Reader) integer(bits int) int64 {
	switch v := r.Value(); kindOf(v) {
	case '0':
		n, ok := parseInt(v, bits)
		if !ok {
			r.failed = true
		}
		return n
	case 'n':
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
	switch v := r.Value(); kindOf(v) {
	case '0':
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			r.failed = true
			return
		}
		*dst = f
	case 'n':
		*dst = 0
	default:
		r.failed = true
	}
}

// Bool reads true or false into *dst, or null as false.
func (r *Reader) Bool(dst *bool) {
	switch v := r.Value(); kindOf(v) {
	case 't':
		*dst = true
	case 'f', 'n':
		*dst = false
	default:
		r.failed = true
	}
}
