package bunq

import (
	"github.com/bankhook/bankhook"
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Amount is a sum of money as bunq writes it: {"value":"-24.95","currency":"EUR"}.
// Value is exact (never a float) and keeps its digits, trailing zeros
// included. Outgoing payments are negative, incoming ones positive.
//
// A JSON null or absent amount decodes to the zero Amount, which reports
// IsZero and encodes back as null. An Amount is a value, safe for
// concurrent use.
type Amount struct {
	Value    bankhook.Decimal `json:"value"`    // exact decimal, from a JSON string or number
	Currency string           `json:"currency"` // ISO 4217 code, "EUR"
}

// IsZero reports whether a is the zero Amount: no currency and a zero
// value, as a null or absent amount decodes.
func (a Amount) IsZero() bool { return a.Currency == "" && a.Value.IsZero() }

// String returns the value and the currency, "-24.95 EUR".
func (a Amount) String() string {
	if a.Currency == "" {
		return a.Value.String()
	}
	return a.Value.String() + " " + a.Currency
}

// amountFields has Amount's fields without its methods, for the default
// struct encoding.
type amountFields Amount

// MarshalJSONTo encodes {"value":"…","currency":"…"}, or null for the zero
// Amount.
func (a Amount) MarshalJSONTo(enc *jsontext.Encoder) error {
	if a.IsZero() {
		return enc.WriteToken(jsontext.Null)
	}
	return json.MarshalEncode(enc, amountFields(a))
}

// MarshalJSON is the encoding/json form of MarshalJSONTo.
func (a Amount) MarshalJSON() ([]byte, error) {
	if a.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(amountFields(a))
}
