package bankhook

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"
	"strconv"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/shopspring/decimal"
)

// maxDecimalExponent bounds the exponent a Decimal accepts, so that a
// hostile "1e999999999" cannot make String allocate gigabytes.
const maxDecimalExponent = 64

// maxDecimalDigits bounds the number of digits of a Decimal written out in
// plain notation.
const maxDecimalDigits = 128

// Decimal is an exact decimal number for money. It keeps every digit it was
// given, trailing zeros included: "10.00" prints as "10.00", and an 18-digit
// VND amount keeps all 18 digits. It never passes through float64.
//
// A Decimal decodes from a JSON string ("-24.95", as bunq sends amounts) or
// a JSON number (-24.95, as bankHub sends them) and encodes as a JSON string,
// so that consumers in languages whose numbers are floats lose nothing.
//
// The zero value is 0. A Decimal is an immutable value: copy it freely; it
// is safe for concurrent use. Arithmetic is done on the value returned by
// [Decimal.Decimal] (github.com/shopspring/decimal).
type Decimal struct {
	v decimal.Decimal
}

// ParseDecimal parses a decimal in JSON number syntax: an optional minus
// sign, digits without a leading zero, an optional fraction and an
// optional exponent ("-24.95", "1000", "1.5e3"). It accepts exponents
// within ±64 and at most 128 digits written out in plain notation (as
// [Decimal.String] prints them: "1e3" is 4 digits, "1e-3" is 4).
func ParseDecimal(s string) (Decimal, error) {
	return parseDecimal([]byte(s))
}

// NewDecimal returns coef × 10^exp, for example NewDecimal(-2495, -2) is
// -24.95.
func NewDecimal(coef int64, exp int32) Decimal {
	return Decimal{v: decimal.New(coef, exp)}
}

// Decimal returns the value as a github.com/shopspring/decimal Decimal,
// for arithmetic.
func (d Decimal) Decimal() decimal.Decimal { return d.v }

// String returns the digits as they were given, in plain notation: a
// Decimal parsed from "10.00" prints "10.00", one parsed from "1.5e3"
// prints "1500".
func (d Decimal) String() string {
	if exp := d.v.Exponent(); exp < 0 {
		return d.v.StringFixed(-exp)
	}
	return d.v.String()
}

// Scale is the number of digits after the decimal point, as given.
func (d Decimal) Scale() int {
	if exp := d.v.Exponent(); exp < 0 {
		return int(-exp)
	}
	return 0
}

// Sign returns -1, 0 or +1.
func (d Decimal) Sign() int { return d.v.Sign() }

// IsZero reports whether the value is 0.
func (d Decimal) IsZero() bool { return d.v.IsZero() }

// Cmp compares the values, ignoring trailing zeros: -1 if d < e, 0 if equal,
// +1 if d > e.
func (d Decimal) Cmp(e Decimal) int { return d.v.Cmp(e.v) }

// Equal reports whether d and e are the same number ("1.50" equals "1.5").
func (d Decimal) Equal(e Decimal) bool { return d.v.Equal(e.v) }

// Rat returns the exact value as a new big.Rat.
func (d Decimal) Rat() *big.Rat { return d.v.Rat() }

// MinorUnits returns the value in the currency's minor unit, for a currency
// with the given number of fraction digits (2 for EUR: "-24.95" → -2495;
// 0 for VND). It never rounds: a value with more fraction digits, or one
// that does not fit an int64, gives an error wrapping [ErrInexact].
func (d Decimal) MinorUnits(fractionDigits int) (int64, error) {
	if fractionDigits < 0 || fractionDigits > 18 {
		return 0, fmt.Errorf("bankhook: MinorUnits(%d): fraction digits out of range 0..18", fractionDigits)
	}
	shifted := d.v.Shift(int32(fractionDigits))
	if !shifted.IsInteger() {
		return 0, fmt.Errorf("%w: %s has more than %d fraction digits", ErrInexact, d, fractionDigits)
	}
	bi := shifted.BigInt()
	if !bi.IsInt64() {
		return 0, fmt.Errorf("%w: %s in minor units overflows int64", ErrInexact, d)
	}
	return bi.Int64(), nil
}

// MarshalJSON encodes the digits as a JSON string.
func (d Decimal) MarshalJSON() ([]byte, error) {
	return strconv.AppendQuote(nil, d.String()), nil
}

// MarshalText encodes the digits as text.
func (d Decimal) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses text in the syntax of [ParseDecimal].
func (d *Decimal) UnmarshalText(b []byte) error {
	v, err := parseDecimal(b)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// UnmarshalJSON accepts a JSON number or a JSON string holding one; null
// leaves d unchanged.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0:
		return errors.New("bankhook: decimal: empty JSON value")
	case string(b) == "null":
		return nil
	case b[0] == '"':
		if len(b) >= 2 && b[len(b)-1] == '"' && bytes.IndexByte(b, '\\') < 0 {
			return d.UnmarshalText(b[1 : len(b)-1])
		}
		s, err := jsontext.AppendUnquote(nil, b)
		if err != nil {
			return fmt.Errorf("bankhook: decimal: %w", err)
		}
		return d.UnmarshalText(s)
	case b[0] == '-' || (b[0] >= '0' && b[0] <= '9'):
		return d.UnmarshalText(b)
	default:
		return fmt.Errorf("bankhook: decimal: want a JSON number or string, got %.20q", b)
	}
}

// UnmarshalJSONFrom is the streaming form of UnmarshalJSON, used by
// github.com/go-json-experiment/json.
func (d *Decimal) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	v, err := dec.ReadValue()
	if err != nil {
		return err
	}
	return d.UnmarshalJSON(v)
}

// MarshalJSONTo is the streaming form of MarshalJSON.
func (d Decimal) MarshalJSONTo(enc *jsontext.Encoder) error {
	return enc.WriteToken(jsontext.String(d.String()))
}

// parseDecimal validates JSON number syntax before converting, so that the
// library's more permissive parser never sees "0x10", "+1", " 1" or "NaN".
// The scan stays in one function, so that the digits it finds stay in
// registers; the exponent and the conversion are helpers.
func parseDecimal(s []byte) (Decimal, error) {
	bad := func(why string) (Decimal, error) {
		return Decimal{}, fmt.Errorf("bankhook: decimal %.40q: %s", s, why)
	}
	i := 0
	neg := false
	if i < len(s) && s[i] == '-' {
		neg = true
		i++
	}
	end := skipDigits(s, i)
	intDigits, i := s[i:end], end
	if len(intDigits) == 0 {
		return bad("no digits")
	}
	if len(intDigits) > 1 && intDigits[0] == '0' {
		return bad("leading zero")
	}
	var fracDigits []byte
	if i < len(s) && s[i] == '.' {
		end = skipDigits(s, i+1)
		fracDigits, i = s[i+1:end], end
		if len(fracDigits) == 0 {
			return bad("no digits after the decimal point")
		}
	}
	exp := 0
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		var why string
		if exp, i, why = scanExponent(s, i+1); why != "" {
			return bad(why)
		}
	}
	if i != len(s) {
		return bad("unexpected character")
	}
	nDigits := len(intDigits) + len(fracDigits)
	exp32 := int32(exp - len(fracDigits))
	// Bound the digits String prints (plain notation, "1e3" is "1000"), not
	// only those given, so that every accepted value's String parses again.
	plain := nDigits + int(exp32)
	if exp32 < 0 {
		plain = max(nDigits, 1-int(exp32))
	}
	if plain > maxDecimalDigits {
		return bad("too many digits")
	}
	// A positive exponent is written out ("1e3" is stored as 1000), so
	// that equal plain forms are equal values, field for field.
	zeros := 0
	if exp32 > 0 {
		zeros, exp32 = int(exp32), 0
	}
	if nDigits+zeros <= 18 {
		return Decimal{v: decimal.New(smallCoefficient(neg, intDigits, fracDigits, zeros), exp32)}, nil
	}
	var coef big.Int
	if !bigCoefficient(&coef, neg, intDigits, fracDigits, zeros) {
		return bad("not a number")
	}
	return Decimal{v: decimal.NewFromBigInt(&coef, exp32)}, nil
}

// skipDigits returns the index of the first byte of s at or after i that
// is not a digit, or len(s).
func skipDigits(s []byte, i int) int {
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

// scanExponent reads the optional sign and the digits of an exponent
// starting at s[i], just after its 'e', and returns its value and the
// index of the byte after it, or why it is refused: no digits, or a value
// beyond ±maxDecimalExponent.
func scanExponent(s []byte, i int) (exp, next int, why string) {
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	for i < len(s) && isDigit(s[i]) {
		if exp = exp*10 + int(s[i]-'0'); exp > maxDecimalExponent {
			return 0, i, "exponent out of range"
		}
		i++
	}
	if i == start {
		return 0, i, "no digits in the exponent"
	}
	if neg {
		exp = -exp
	}
	return exp, i, ""
}

// smallCoefficient returns the integer written by intDigits, then
// fracDigits, then zeros zeros, negated when neg is set. There must be
// 18 digits at most, so that it fits an int64.
func smallCoefficient(neg bool, intDigits, fracDigits []byte, zeros int) int64 {
	var coef int64
	for _, c := range intDigits {
		coef = coef*10 + int64(c-'0')
	}
	for _, c := range fracDigits {
		coef = coef*10 + int64(c-'0')
	}
	for range zeros {
		coef *= 10
	}
	if neg {
		coef = -coef
	}
	return coef
}

// bigCoefficient is smallCoefficient for any number of digits: it sets
// coef, and reports whether the digits made a number.
func bigCoefficient(coef *big.Int, neg bool, intDigits, fracDigits []byte, zeros int) bool {
	digits := make([]byte, 0, len(intDigits)+len(fracDigits)+zeros+1)
	if neg {
		digits = append(digits, '-')
	}
	digits = append(append(digits, intDigits...), fracDigits...)
	for range zeros {
		digits = append(digits, '0')
	}
	_, ok := coef.SetString(string(digits), 10)
	return ok
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
