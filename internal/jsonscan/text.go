package jsonscan

import (
	"bytes"

	"github.com/go-json-experiment/json/jsontext"
)

// The functions below read JSON text without a Decoder, for callers that
// must look at a lot of it fast and can fall back on a Decoder for what
// they decline: serve's output scanner reads the head of every line of a
// file, and Canonical skips the strings of a value it rewrites. Strings,
// most of such text, are skipped with bytes.IndexByte.

// StringEnd returns the offset in b of the quote that ends the JSON string
// whose opening quote is at b[start]. ok is false when b ends first.
func StringEnd(b []byte, start int) (end int, ok bool) {
	for i := start + 1; ; {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return 0, false
		}
		i += j
		backslashes := 0
		for k := i - 1; k > start && b[k] == '\\'; k-- {
			backslashes++
		}
		if backslashes%2 == 0 {
			return i, true
		}
		i++
	}
}

// Closed reports whether the '{' or '[' that b starts with (after
// anything but a quote) is closed by b's last byte, a '}': whether
// braces and brackets outside strings balance there and not before. For
// a prefix of a JSON object, what a crash or a failed write leaves of one,
// that is exact: a proper prefix of an object ends inside a string or
// before its closing brace. It does not check the rest of the grammar,
// which is why it runs several times faster than jsontext's IsValid.
func Closed(b []byte) bool {
	depth := 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '"':
			end, ok := StringEnd(b, i)
			if !ok {
				return false
			}
			i = end
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i == len(b)-1 && b[i] == '}'
			}
			if depth < 0 {
				return false
			}
		}
	}
	return false
}

// LeadingString reads the JSON string at the start of b and returns its
// value (b's own bytes when it holds no escape, else an unescaped copy)
// and its length in b. ok is false when b does not start with a whole,
// valid JSON string.
func LeadingString(b []byte) (v []byte, n int, ok bool) {
	if len(b) == 0 || b[0] != '"' {
		return nil, 0, false
	}
	escaped := false
	for i := 1; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			if !escaped {
				return b[1:i], i + 1, true
			}
			v, err := jsontext.AppendUnquote(nil, b[:i+1])
			return v, i + 1, err == nil
		case c == '\\':
			escaped = true
			i++
		case c < 0x20:
			return nil, 0, false
		}
	}
	return nil, 0, false
}
