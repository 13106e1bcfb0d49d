package bankhook_test

import (
	"encoding/json"
	"math"
	"math/big"
	"strconv"
	"strings"
	"testing"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook"
)

func TestParseDecimal(t *testing.T) {
	digits := func(n int) string { return strings.Repeat("9", n) }
	tests := []struct {
		name  string
		in    string
		want  string // String(); "" when the input is refused
		scale int
	}{
		{name: "zero", in: "0", want: "0"},
		{name: "negative zero", in: "-0", want: "0"},
		{name: "integer", in: "1000", want: "1000"},
		{name: "bunq amount", in: "-24.95", want: "-24.95", scale: 2},
		{name: "trailing zeros kept", in: "10.00", want: "10.00", scale: 2},
		{name: "zero with scale", in: "0.00", want: "0.00", scale: 2},
		{name: "negative below one", in: "-0.50", want: "-0.50", scale: 2},
		{name: "small fraction", in: "0.000001", want: "0.000001", scale: 6},
		{name: "exponent", in: "1.5e3", want: "1500"},
		{name: "upper-case exponent with plus", in: "1.5E+3", want: "1500"},
		{name: "negative exponent", in: "15e-1", want: "1.5", scale: 1},
		{name: "exponent keeps fraction digits", in: "1.50e1", want: "15.0", scale: 1},
		{name: "exponent with leading zeros", in: "1e003", want: "1000"},
		{name: "largest exponent", in: "1e64", want: "1" + strings.Repeat("0", 64)},
		{name: "smallest exponent", in: "1e-64", want: "0." + strings.Repeat("0", 63) + "1", scale: 64},
		{name: "18 digits", in: digits(18), want: digits(18)},
		{name: "18 digits negative fraction", in: "-1234567890.12345678", want: "-1234567890.12345678", scale: 8},
		{name: "19 digits", in: "9223372036854775808", want: "9223372036854775808"},
		{name: "30 digits", in: "123456789012345678901234567890", want: "123456789012345678901234567890"},
		{name: "30 digits with fraction", in: "-12345678901234567890.1234567890", want: "-12345678901234567890.1234567890", scale: 10},
		{name: "128 digits", in: digits(128), want: digits(128)},
		{name: "128 digits as fraction", in: "0." + digits(127), want: "0." + digits(127), scale: 127},

		{name: "empty", in: ""},
		{name: "minus only", in: "-"},
		{name: "plus sign", in: "+1"},
		{name: "leading space", in: " 1"},
		{name: "trailing space", in: "1 "},
		{name: "leading zero", in: "01"},
		{name: "leading zeros before fraction", in: "00.5"},
		{name: "negative leading zero", in: "-01"},
		{name: "no digits after point", in: "1."},
		{name: "no digits before point", in: ".5"},
		{name: "empty exponent", in: "1e"},
		{name: "signed empty exponent", in: "1e+"},
		{name: "double sign", in: "--1"},
		{name: "hex", in: "0x10"},
		{name: "NaN", in: "NaN"},
		{name: "Infinity", in: "Infinity"},
		{name: "thousands separator", in: "1,000.00"},
		{name: "underscore", in: "1_000"},
		{name: "comma decimal", in: "24,95"},
		{name: "two points", in: "1.2.3"},
		{name: "full-width digit", in: "１"},
		{name: "quoted", in: `"1"`},
		{name: "exponent over 64", in: "1e65"},
		{name: "exponent under -64", in: "1e-65"},
		{name: "huge exponent", in: "1e999999999999999999999"},
		{name: "129 digits", in: digits(129)},
		{name: "128 digits plus exponent", in: digits(128) + "e1"},
		{name: "100 digits at e-64 print 164", in: "1." + digits(99) + "e-64"},
		{name: "100 digits at e64 print 164", in: digits(100) + "e64"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := bankhook.ParseDecimal(tc.in)
			if tc.want == "" {
				require.Error(t, err)
				assert.True(t, strings.HasPrefix(err.Error(), "bankhook: decimal "), err.Error())
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, d.String())
			assert.Equal(t, tc.scale, d.Scale())
			exact, ok := new(big.Rat).SetString(tc.in)
			require.True(t, ok)
			assert.Zero(t, exact.Cmp(d.Rat()), "exact value")
		})
	}
}

func TestDecimalCompare(t *testing.T) {
	d := mustDecimal
	tests := []struct {
		name  string
		a, b  bankhook.Decimal
		cmp   int
		equal bool
	}{
		{"trailing zeros ignored", d("1.50"), d("1.5"), 0, true},
		{"exponent form", d("1.5e3"), d("1500.000"), 0, true},
		{"less", d("-24.95"), d("-24.94"), -1, false},
		{"greater", d("0.01"), d("0"), 1, false},
		{"zero value is zero", bankhook.Decimal{}, d("0.00"), 0, true},
		{"big", d("123456789012345678901234567890"), d("123456789012345678901234567889"), 1, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.cmp, tc.a.Cmp(tc.b))
			assert.Equal(t, -tc.cmp, tc.b.Cmp(tc.a))
			assert.Equal(t, tc.equal, tc.a.Equal(tc.b))
		})
	}
	assert.Equal(t, -1, d("-0.01").Sign())
	assert.Equal(t, 0, d("-0.00").Sign())
	assert.Equal(t, 1, d("1e-64").Sign())
	assert.True(t, d("0.000").IsZero())
	assert.True(t, bankhook.Decimal{}.IsZero())
	assert.Equal(t, "0", bankhook.Decimal{}.String())
}

func TestDecimalConstructors(t *testing.T) {
	assert.Equal(t, "-24.95", bankhook.NewDecimal(-2495, -2).String())
	assert.Equal(t, "1000", bankhook.NewDecimal(1, 3).String())
	assert.Equal(t, "10.00", bankhook.NewDecimal(1000, -2).String())
	d := mustDecimal("-24.950")
	assert.True(t, decimal.RequireFromString("-24.950").Equal(d.Decimal()))
}

func TestDecimalMinorUnits(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		digits   int
		want     int64
		inexact  bool // error wraps ErrInexact
		badInput bool // error, not ErrInexact
	}{
		{name: "EUR", in: "-24.95", digits: 2, want: -2495},
		{name: "integer", in: "10", digits: 2, want: 1000},
		{name: "trailing zeros", in: "10.00", digits: 2, want: 1000},
		{name: "extra zero digit is exact", in: "10.010", digits: 2, want: 1001},
		{name: "VND", in: "25000000", digits: 0, want: 25000000},
		{name: "JPY exponent", in: "1.5e3", digits: 0, want: 1500},
		{name: "BHD three digits", in: "1.234", digits: 3, want: 1234},
		{name: "zero", in: "0.00", digits: 2, want: 0},
		{name: "max int64", in: "92233720368547758.07", digits: 2, want: math.MaxInt64},
		{name: "min int64", in: "-92233720368547758.08", digits: 2, want: math.MinInt64},
		{name: "18 digit VND", in: "999999999999999999", digits: 0, want: 999999999999999999},
		{name: "one digit too many", in: "10.001", digits: 2, inexact: true},
		{name: "sub-cent", in: "0.005", digits: 2, inexact: true},
		{name: "VND with fraction", in: "100.5", digits: 0, inexact: true},
		{name: "overflow by one", in: "92233720368547758.08", digits: 2, inexact: true},
		{name: "negative overflow by one", in: "-92233720368547758.09", digits: 2, inexact: true},
		{name: "30 digits overflow", in: "123456789012345678901234567890", digits: 0, inexact: true},
		{name: "negative digits", in: "1", digits: -1, badInput: true},
		{name: "too many digits", in: "1", digits: 19, badInput: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := mustDecimal(tc.in).MinorUnits(tc.digits)
			switch {
			case tc.inexact:
				require.ErrorIs(t, err, bankhook.ErrInexact)
				assert.Contains(t, err.Error(), tc.in)
			case tc.badInput:
				require.Error(t, err)
				assert.NotErrorIs(t, err, bankhook.ErrInexact)
			default:
				require.NoError(t, err)
				assert.Equal(t, tc.want, got)
			}
		})
	}
}

func TestDecimalRat(t *testing.T) {
	tests := []struct {
		in   string
		want *big.Rat
	}{
		{"-24.95", big.NewRat(-499, 20)},
		{"0.1", big.NewRat(1, 10)},
		{"1.5e3", big.NewRat(1500, 1)},
		{"0", new(big.Rat)},
		{"123456789012345678901234567890.5", new(big.Rat).SetFrac(
			new(big.Int).Add(new(big.Int).Mul(mustBigInt(t, "123456789012345678901234567890"), big.NewInt(2)), big.NewInt(1)),
			big.NewInt(2))},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			d := mustDecimal(tc.in)
			r := d.Rat()
			assert.Zero(t, tc.want.Cmp(r), "got %s", r)
			r.Neg(r) // a new Rat each call
			assert.Zero(t, tc.want.Cmp(d.Rat()))
		})
	}
}

func mustBigInt(t *testing.T, s string) *big.Int {
	t.Helper()
	n, ok := new(big.Int).SetString(s, 10)
	require.True(t, ok, s)
	return n
}

type amountDoc struct {
	Amount bankhook.Decimal `json:"amount"`
}

func TestDecimalJSON(t *testing.T) {
	long := "123456789012345678901234567890.12"
	tests := []struct {
		name string
		in   string
		want string // String() after decoding; "" when refused
	}{
		{name: "string", in: `{"amount":"-24.95"}`, want: "-24.95"},
		{name: "number", in: `{"amount":-24.95}`, want: "-24.95"},
		{name: "string keeps trailing zeros", in: `{"amount":"10.00"}`, want: "10.00"},
		{name: "number keeps trailing zeros", in: `{"amount":10.00}`, want: "10.00"},
		{name: "number with exponent", in: `{"amount":1.5e3}`, want: "1500"},
		{name: "long number exact", in: `{"amount":` + long + `}`, want: long},
		{name: "long string exact", in: `{"amount":"` + long + `"}`, want: long},
		{name: "escaped string", in: `{"amount":"1\u0030.5"}`, want: "10.5"},
		{name: "null leaves zero", in: `{"amount":null}`, want: "0"},
		{name: "absent leaves zero", in: `{}`, want: "0"},
		{name: "bool", in: `{"amount":true}`},
		{name: "object", in: `{"amount":{"value":"1"}}`},
		{name: "array", in: `{"amount":[1]}`},
		{name: "not a number in a string", in: `{"amount":"abc"}`},
		{name: "empty string", in: `{"amount":""}`},
		{name: "spaces in string", in: `{"amount":" 1"}`},
		{name: "exponent out of range", in: `{"amount":1e99}`},
	}
	decoders := []struct {
		name      string
		unmarshal func([]byte, any) error
	}{
		{"encoding/json", json.Unmarshal},
		{"go-json-experiment", func(b []byte, v any) error { return jsonv2.Unmarshal(b, v) }},
	}
	for _, dec := range decoders {
		for _, tc := range tests {
			t.Run(dec.name+"/"+tc.name, func(t *testing.T) {
				var doc amountDoc
				err := dec.unmarshal([]byte(tc.in), &doc)
				if tc.want == "" {
					require.Error(t, err)
					var se *jsonv2.SemanticError
					if dec.name == "go-json-experiment" && assert.ErrorAs(t, err, &se) {
						assert.Equal(t, "/amount", string(se.JSONPointer))
					}
					return
				}
				require.NoError(t, err)
				assert.Equal(t, tc.want, doc.Amount.String())
			})
		}
	}
	t.Run("null keeps an earlier value", func(t *testing.T) {
		doc := amountDoc{Amount: mustDecimal("7.00")}
		require.NoError(t, json.Unmarshal([]byte(`{"amount":null}`), &doc))
		assert.Equal(t, "7.00", doc.Amount.String())
		require.NoError(t, jsonv2.Unmarshal([]byte(`{"amount":null}`), &doc))
		assert.Equal(t, "7.00", doc.Amount.String())
	})
}

func TestDecimalMarshal(t *testing.T) {
	tests := []struct{ in, want string }{
		{"-24.95", `{"amount":"-24.95"}`},
		{"10.00", `{"amount":"10.00"}`},
		{"1.5e3", `{"amount":"1500"}`},
		{"123456789012345678901234567890", `{"amount":"123456789012345678901234567890"}`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			doc := amountDoc{Amount: mustDecimal(tc.in)}
			v1, err := json.Marshal(doc)
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(v1))
			v2, err := jsonv2.Marshal(doc)
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(v2))

			var back amountDoc
			require.NoError(t, json.Unmarshal(v1, &back))
			assert.Equal(t, doc.Amount.String(), back.Amount.String())

			text, err := doc.Amount.MarshalText()
			require.NoError(t, err)
			var fromText bankhook.Decimal
			require.NoError(t, fromText.UnmarshalText(text))
			assert.Equal(t, doc.Amount.String(), fromText.String())
		})
	}
	t.Run("map value", func(t *testing.T) {
		b, err := json.Marshal(map[string]bankhook.Decimal{"eur": mustDecimal("0.50")})
		require.NoError(t, err)
		assert.Equal(t, `{"eur":"0.50"}`, string(b))
	})
}

// isJSONNumber reports whether s is exactly one JSON number token.
func isJSONNumber(s string) bool {
	return s != "" && (s[0] == '-' || s[0] >= '0' && s[0] <= '9') &&
		strings.TrimSpace(s) == s && json.Valid([]byte(s))
}

// FuzzParseDecimal checks that every accepted input is a JSON number with
// the exact value big.Rat reads from it, and that String parses back to
// the same value and scale, and prints the same again; and that plain
// JSON numbers of modest length are accepted.
func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{
		"0", "-0", "-24.95", "10.00", "1.5e3", "15e-1", "1E+64", "1e-64", "0.000001",
		"999999999999999999", "9223372036854775808", "-123456789012345678901234567890.12",
		"01", "1.", ".5", "+1", "1e65", "NaN", " 1", "1_0", "0x1p3",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := bankhook.ParseDecimal(s)
		if err != nil {
			if isJSONNumber(s) && !strings.ContainsAny(s, "eE") && len(s) <= 100 {
				t.Fatalf("plain JSON number %q refused: %v", s, err)
			}
			return
		}
		if !isJSONNumber(s) {
			t.Fatalf("%q accepted but is not a JSON number", s)
		}
		exact, ok := new(big.Rat).SetString(s)
		if !ok || exact.Cmp(d.Rat()) != 0 {
			t.Fatalf("%q parsed as %s, want %v", s, d.Rat(), exact)
		}

		str := d.String()
		back, err := bankhook.ParseDecimal(str)
		if err != nil {
			t.Fatalf("String of %q is %q, which does not parse: %v", s, str, err)
		}
		if !back.Equal(d) || back.String() != str || back.Scale() != d.Scale() {
			t.Fatalf("%q: String %q parses back as %q (scale %d, want %d)", s, str, back.String(), back.Scale(), d.Scale())
		}

		j, err := d.MarshalJSON()
		if err != nil || string(j) != strconv.Quote(str) {
			t.Fatalf("%q: MarshalJSON = %s, %v", s, j, err)
		}
		var fromJSON bankhook.Decimal
		if err := fromJSON.UnmarshalJSON([]byte(s)); err != nil || fromJSON.String() != str {
			t.Fatalf("%q as a JSON number: %q, %v", s, fromJSON.String(), err)
		}

		if minor, err := d.MinorUnits(2); err == nil {
			if big.NewRat(minor, 100).Cmp(d.Rat()) != 0 {
				t.Fatalf("%q: MinorUnits(2) = %d, not exact", s, minor)
			}
		}
	})
}

func BenchmarkParseDecimal(b *testing.B) {
	benchmarks := []struct {
		name string
		in   string
	}{
		{name: "bunq amount", in: "-24.95"},
		{name: "integer", in: "1000"},
		{name: "exponent", in: "1.5e3"},
		{name: "18 digits", in: "-1234567890.12345678"},
		{name: "30 digits", in: "-12345678901234567890.1234567890"},
	}
	for _, bm := range benchmarks {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bankhook.ParseDecimal(bm.in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// mustDecimal is ParseDecimal for inputs a test knows to be valid.
func mustDecimal(s string) bankhook.Decimal {
	d, err := bankhook.ParseDecimal(s)
	if err != nil {
		panic(err)
	}
	return d
}
