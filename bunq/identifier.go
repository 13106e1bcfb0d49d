package bunq

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/go-json-experiment/json/jsontext"
)

// Identifier is an identifier bunq documents as a string (a merchant
// category code, a merchant id, an invoice number, a user id in a filter
// list). Senders do not always quote such values, so an Identifier also
// decodes from a JSON number, keeping its digits exactly as written
// (12345678901234567890 stays "12345678901234567890"); null decodes to "".
// It always encodes as a JSON string.
//
// The zero value is the empty identifier. It is a plain string: compare and
// convert it freely; it is safe for concurrent use.
type Identifier string

// MarshalJSONTo encodes the identifier as a JSON string.
func (id Identifier) MarshalJSONTo(enc *jsontext.Encoder) error {
	return enc.WriteToken(jsontext.String(string(id)))
}

// MarshalJSON is the encoding/json form of MarshalJSONTo.
func (id Identifier) MarshalJSON() ([]byte, error) {
	return jsontext.AppendQuote(nil, string(id))
}

// UnmarshalJSONFrom decodes a JSON string or number; null gives "".
func (id *Identifier) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	v, err := dec.ReadValue()
	if err != nil {
		return err
	}
	return id.unmarshalValue(v)
}

// UnmarshalJSON is the encoding/json form of UnmarshalJSONFrom.
func (id *Identifier) UnmarshalJSON(b []byte) error {
	return id.unmarshalValue(bytes.TrimSpace(b))
}

func (id *Identifier) unmarshalValue(v []byte) error {
	switch jsontext.Value(v).Kind() {
	case 'n':
		*id = ""
	case '"':
		s, err := jsontext.AppendUnquote(nil, v)
		if err != nil {
			return fmt.Errorf("bunq: identifier: %w", err)
		}
		*id = Identifier(s)
	case '0':
		if !jsontext.Value(v).IsValid() {
			return fmt.Errorf("bunq: identifier: invalid number %.40s", v)
		}
		*id = Identifier(v)
	default:
		return fmt.Errorf("bunq: identifier: want a JSON string or number, got %.20s", v)
	}
	return nil
}

var (
	_ json.Marshaler   = Identifier("")
	_ json.Unmarshaler = (*Identifier)(nil)
)
