package bunq

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Notification is one bunq callback: the envelope
//
//	{"NotificationUrl":{"target_url":…,"category":…,"event_type":…,"object":{"<Type>":{…}}}}
//
// decoded. Object holds the object the callback is about, typed by its key
// in "object" (never guessed from the category). Decode it with [Decode].
//
// A Notification encodes back to the same envelope, so a decoded
// notification can be forwarded and decoded again to an equal value. It
// implements bankhook.Event through [Notification.IdempotencyKey].
//
// The zero value has no Object and does not encode. A Notification is not
// modified by this package after Decode returns; reading it from several
// goroutines is safe.
type Notification struct {
	TargetURL string    // the callback URL bunq called, as configured in the filter
	Category  Category  // the filter category the callback belongs to
	EventType EventType // what happened within the category
	Object    Object    // the object the callback is about; never nil after Decode
}

// envelope and notificationFields are the wire shape of a Notification.
type envelope struct {
	NotificationURL *notificationFields `json:"NotificationUrl"`
}

type notificationFields struct {
	TargetURL string      `json:"target_url"`
	Category  Category    `json:"category"`
	EventType EventType   `json:"event_type"`
	Object    objectField `json:"object"`
}

// objectField decodes the one-member "object" of the envelope.
type objectField struct {
	obj Object
}

// pathError is a decode error at a JSON Pointer this package computed.
type pathError struct {
	path jsontext.Pointer
	err  error
}

// Error returns the JSON Pointer and the cause, "path: cause".
func (e *pathError) Error() string { return fmt.Sprintf("%s: %v", e.path, e.err) }

// Unwrap returns the cause.
func (e *pathError) Unwrap() error { return e.err }

// Causes of decode errors. Their text has no package prefix: they reach
// callers inside a bankhook.DecodeError, whose message starts with "bunq:".
var (
	errNoEnvelope     = errors.New(`missing "NotificationUrl" object`)
	errNoObject       = errors.New(`missing "object"`)
	errEmptyObject    = errors.New(`"object" has no member`)
	errManyObjects    = errors.New(`"object" has more than one member`)
	errObjectNotJSON  = errors.New(`"object" must be a JSON object holding one member`)
	errNullObject     = errors.New("the object is null")
	errNoObjectType   = errors.New(`the object's type (its key in "object") is empty`)
	errNotAnEnvelope  = errors.New("body must be a JSON object")
	errNoObjectToSend = errors.New("bunq: notification has no object")
)

// UnmarshalJSONFrom decodes the envelope. It is what [Decode] runs, with
// the options Decode documents.
func (n *Notification) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	base := dec.StackPointer()
	if k := dec.PeekKind(); k != '{' {
		if k == 0 {
			_, err := dec.ReadToken() // report the syntax error or EOF
			return err
		}
		if err := dec.SkipValue(); err != nil {
			return err
		}
		return &pathError{base, fmt.Errorf("%w, got %s", errNotAnEnvelope, kindName(k))}
	}
	var env envelope
	if err := jsonv2.UnmarshalDecode(dec, &env); err != nil {
		return err
	}
	f := env.NotificationURL
	if f == nil {
		return &pathError{base.AppendToken("NotificationUrl"), errNoEnvelope}
	}
	if f.Object.obj == nil {
		return &pathError{base.AppendToken("NotificationUrl").AppendToken("object"), errNoObject}
	}
	*n = Notification{
		TargetURL: f.TargetURL,
		Category:  f.Category,
		EventType: f.EventType,
		Object:    f.Object.obj,
	}
	return nil
}

// UnmarshalJSON decodes the envelope for encoding/json, with the same
// rules as [Decode].
func (n *Notification) UnmarshalJSON(b []byte) error {
	return jsonv2.Unmarshal(b, n, decodeOptions)
}

// UnmarshalJSONFrom reads {"<Type>":{…}}: exactly one member, decoded by
// its key.
func (f *objectField) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	base := dec.StackPointer()
	switch dec.PeekKind() {
	case 'n':
		_, err := dec.ReadToken()
		return err // absent: reported by the envelope
	case '{':
	default:
		if err := dec.SkipValue(); err != nil {
			return err
		}
		return &pathError{base, errObjectNotJSON}
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	if dec.PeekKind() == '}' {
		return &pathError{base, errEmptyObject}
	}
	tok, err := dec.ReadToken()
	if err != nil {
		return err
	}
	name := tok.String()
	path := base.AppendToken(name)
	if name == "" {
		return &pathError{path, errNoObjectType}
	}
	if dec.PeekKind() == 'n' {
		return &pathError{path, errNullObject}
	}
	obj := newObject([]byte(name))
	if obj == nil {
		raw, err := dec.ReadValue()
		if err != nil {
			return err
		}
		raw = bytes.Clone(raw)
		if err := raw.Format(); err != nil {
			return err
		}
		obj = &Unknown{Type: name, Raw: raw}
	} else if err := jsonv2.UnmarshalDecode(dec, obj); err != nil {
		return err
	}
	if dec.PeekKind() != '}' {
		return &pathError{base, errManyObjects}
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	f.obj = obj
	return nil
}

// MarshalJSONTo encodes the envelope bunq sends.
func (n *Notification) MarshalJSONTo(enc *jsontext.Encoder) error {
	if n.Object == nil || n.Object.ObjectType() == "" {
		return errNoObjectToSend
	}
	toks := [...]jsontext.Token{
		jsontext.BeginObject, jsontext.String("NotificationUrl"), jsontext.BeginObject,
		jsontext.String("target_url"), jsontext.String(n.TargetURL),
		jsontext.String("category"), jsontext.String(string(n.Category)),
		jsontext.String("event_type"), jsontext.String(string(n.EventType)),
		jsontext.String("object"), jsontext.BeginObject, jsontext.String(n.Object.ObjectType()),
	}
	for _, t := range toks {
		if err := enc.WriteToken(t); err != nil {
			return err
		}
	}
	if err := jsonv2.MarshalEncode(enc, n.Object, encodeOptions); err != nil {
		return err
	}
	for range 3 {
		if err := enc.WriteToken(jsontext.EndObject); err != nil {
			return err
		}
	}
	return nil
}

// MarshalJSON is the encoding/json form of MarshalJSONTo.
func (n *Notification) MarshalJSON() ([]byte, error) {
	return jsonv2.Marshal(n)
}

var (
	_ json.Marshaler   = (*Notification)(nil)
	_ json.Unmarshaler = (*Notification)(nil)
)

// kindName names a JSON kind for an error message.
func kindName(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 'f', 't':
		return "a boolean"
	case '"':
		return "a string"
	case '0':
		return "a number"
	case '[':
		return "an array"
	}
	return "an object"
}
