package jsonscan

import (
	"bytes"

	"github.com/go-json-experiment/json/jsontext"
)

// Numbers says how [Canonical] writes numbers.
type Numbers int

const (
	// NumberText keeps every number's text as it is: 1.0 stays 1.0.
	NumberText Numbers = iota
	// NumberExact writes a number in its RFC 8785 form (ECMAScript's
	// shortest form of the nearest float64: 1.0 as 1, 1E2 as 100, -0 as
	// 0) when that form has the number's exact value, and keeps its text
	// otherwise: 9007199254740993, 0.1000000000000000055 and 1e400, which
	// RFC 8785 would turn into other numbers, stay as written. The output
	// is then RFC 8785's for every value whose numbers all survive it, and
	// two values with a number of different value never share an output.
	NumberExact
)

// Canonical returns a copy of the JSON value b in canonical form: RFC 8785
// (members sorted by name, no whitespace, strings in their shortest
// escaping), except that numbers are written as nums says, never in a
// form of another value. It fails, naming the error, for input that is not
// one valid JSON value.
func Canonical(b []byte, nums Numbers) (jsontext.Value, error) {
	v := jsontext.Value(bytes.Clone(b))
	if err := v.Canonicalize(jsontext.CanonicalizeRawInts(false), jsontext.CanonicalizeRawFloats(false)); err != nil {
		return nil, err
	}
	if nums == NumberText {
		return v, nil
	}
	return exactNumbers(v), nil
}

// exactNumbers rewrites the numbers of v, a valid JSON value in canonical
// form but for its numbers, as NumberExact says. It returns v itself when
// no number changes, which is the common case: an integer of fewer than 16
// characters other than -0 is its own RFC 8785 form.
func exactNumbers(v jsontext.Value) jsontext.Value {
	var out []byte // nil until a number changes
	last := 0      // v[:last] is in out already
	for i := 0; i < len(v); {
		switch c := v[i]; {
		case c == '"':
			end, ok := StringEnd(v, i)
			if !ok { // v is valid: never
				return v
			}
			i = end + 1
		case c == '-' || '0' <= c && c <= '9':
			end := i + 1
			for end < len(v) && isNumberByte(v[end]) {
				end++
			}
			text := v[i:end]
			if form, changed := exactForm(text); changed {
				if out == nil {
					out = make([]byte, 0, len(v))
				}
				out = append(append(out, v[last:i]...), form...)
				last = end
			}
			i = end
		default:
			i++
		}
	}
	if out == nil {
		return v
	}
	return append(out, v[last:]...)
}

func isNumberByte(c byte) bool {
	return '0' <= c && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// exactForm returns the number text in NumberExact form, and whether that
// differs from text.
func exactForm(text []byte) (form []byte, changed bool) {
	const maxExactIntegerDigits = 16 // as jsontext: shorter integers are their own RFC 8785 form
	if len(text) < maxExactIntegerDigits && !bytes.ContainsAny(text, ".eE") && string(text) != "-0" {
		return text, false
	}
	rfc := jsontext.Value(bytes.Clone(text))
	if rfc.Canonicalize() != nil || !sameDecimal(text, rfc) {
		return text, false
	}
	return rfc, !bytes.Equal(rfc, text)
}

// sameDecimal reports whether the JSON numbers a and b have the same
// value, compared as decimals (not as float64s): 1.50 and 15e-1 do,
// 0.1 and 0.1000000000000000055 do not. -0 and 0 do.
func sameDecimal(a, b []byte) bool {
	da, okA := parseDecimal(a)
	db, okB := parseDecimal(b)
	return okA && okB && da.neg == db.neg && da.exp == db.exp && bytes.Equal(da.digits, db.digits)
}

// decimal is a number as ±digits × 10^exp, digits without leading or
// trailing zeros; zero has no digits, no sign and exp 0.
type decimal struct {
	neg    bool
	digits []byte
	exp    int64
}

// maxExponent bounds the exponents parseDecimal accepts: far beyond any
// float64's, yet far from overflowing int64 with the digits' count.
const maxExponent = 1 << 40

// parseDecimal parses a valid JSON number. ok is false for a number other
// than zero with an exponent beyond ±maxExponent, which no float64 has.
func parseDecimal(s []byte) (d decimal, ok bool) {
	if len(s) > 0 && s[0] == '-' {
		d.neg = true
		s = s[1:]
	}
	mant, e := s, []byte(nil)
	if i := bytes.IndexAny(s, "eE"); i >= 0 {
		mant, e = s[:i], s[i+1:]
	}
	digits := make([]byte, 0, len(mant))
	var exp int64
	if i := bytes.IndexByte(mant, '.'); i >= 0 {
		digits = append(append(digits, mant[:i]...), mant[i+1:]...)
		exp = -int64(len(mant) - i - 1)
	} else {
		digits = append(digits, mant...)
	}
	digits = bytes.TrimLeft(digits, "0")
	if len(digits) == 0 {
		return decimal{}, true // zero, whatever its sign and exponent
	}
	n := len(digits)
	digits = bytes.TrimRight(digits, "0")
	exp += int64(n - len(digits))

	eneg := false
	if len(e) > 0 && (e[0] == '+' || e[0] == '-') {
		eneg = e[0] == '-'
		e = e[1:]
	}
	var x int64
	for _, c := range e {
		if x = x*10 + int64(c-'0'); x > maxExponent {
			return d, false
		}
	}
	if eneg {
		x = -x
	}
	d.digits, d.exp = digits, exp+x
	return d, true
}
