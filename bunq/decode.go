package bunq

import (
	"errors"

	"github.com/bankhook/bankhook"
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// decodeOptions are the rules every bunq decode runs with:
//
//   - duplicate member names are rejected: a body that says two things
//     about one field is refused rather than read either way;
//   - invalid UTF-8 is rejected;
//   - nesting is bounded: jsontext refuses JSON nested deeper than 10,000
//     levels, and reads nesting without recursion, so a hostile body costs
//     neither stack nor time (bunq's deepest callbacks nest about 15
//     levels);
//   - unknown members are ignored, so fields bunq adds never break a
//     receiver;
//   - member names match case-sensitively, as bunq writes them.
var decodeOptions = json.JoinOptions(
	jsontext.AllowDuplicateNames(false),
	jsontext.AllowInvalidUTF8(false),
	json.RejectUnknownMembers(false),
	json.MatchCaseInsensitiveNames(false),
)

// encodeOptions make a re-encoded object decode to an equal value: a nil
// slice (an absent or null list) encodes as null, an empty one as [].
var encodeOptions = json.FormatNilSliceAsNull(true)

// Decode decodes one bunq callback body. It needs no HTTP: use it on a
// queue message, a replayed body or a test fixture.
//
// The body must be the envelope {"NotificationUrl":{…}} whose "object"
// holds exactly one member; the member's key decides the concrete type of
// Notification.Object ([*Unknown] for types this package does not model).
// Unknown fields are ignored, null is accepted wherever a value may be
// absent, and JSON escapes are decoded. Duplicate member names, invalid
// UTF-8 and nesting deeper than 10,000 levels are refused.
//
// Every error is a [*bankhook.DecodeError] with Provider "bunq" and Path
// the RFC 6901 JSON Pointer of the offending value
// ("/NotificationUrl/object/Payment/amount/value"; "" for the body as a
// whole).
func Decode(body []byte) (*Notification, error) {
	if n := decodeFast(body); n != nil {
		return n, nil
	}
	return decodeReflect(body)
}

// decodeReflect is Decode by reflection, with go-json-experiment: it
// decodes every callback, and names the offending value of every body it
// refuses. Decode's fast path (see fastdecode.go) must give the same
// result for the bodies it accepts.
func decodeReflect(body []byte) (*Notification, error) {
	n := new(Notification)
	if err := json.Unmarshal(body, n, decodeOptions); err != nil {
		return nil, decodeError(err)
	}
	return n, nil
}

// decodeError turns an error from the JSON packages into a DecodeError
// naming the offending value.
func decodeError(err error) *bankhook.DecodeError {
	de := &bankhook.DecodeError{Provider: "bunq", Err: err}
	var pe *pathError
	var se *json.SemanticError
	var xe *jsontext.SyntacticError
	switch {
	case errors.As(err, &pe):
		de.Path, de.Err = string(pe.path), pe.err
	case errors.As(err, &xe):
		de.Path = string(xe.JSONPointer)
	case errors.As(err, &se):
		de.Path = string(se.JSONPointer)
	}
	return de
}
