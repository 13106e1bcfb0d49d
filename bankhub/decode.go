package bankhub

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/internal/jsonscan"
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Errors that a [*bankhook.DecodeError] from [Decode] wraps, for errors.Is.
// Their text has no package prefix because the DecodeError around them
// carries it ("bankhub: decode /transaction/id: required member is
// missing, null or empty").
var (
	// ErrMissing reports a required member that is absent, null or "".
	ErrMissing = errors.New("required member is missing, null or empty")
	// ErrTooDeep reports JSON nested deeper than [MaxDepth].
	ErrTooDeep = errors.New("JSON nested too deeply")
	// ErrTooManyDigits reports an amount with more than [MaxAmountDigits]
	// digits.
	ErrTooManyDigits = errors.New("amount has too many digits")
)

// MaxDepth is how deeply Decode lets JSON nest. bankHub's documented body
// nests 3 levels (body, transaction, paymentMeta); the bound leaves room
// for members bankHub may add while keeping hostile bodies cheap.
// (go-json-experiment v1.27.2 does not yet export a depth option; its own
// fixed bound is 10 000 levels.)
const MaxDepth = 32

// MaxAmountDigits is how many digits (integer and fraction) an amount or
// running balance may have in plain notation: far beyond any real amount
// (VND amounts reach 18 digits) and small enough that every accepted
// amount re-encodes as text [bankhook.Decimal] reads back.
const MaxAmountDigits = 40

// decodeOptions are the rules every JSON value in a body is read with.
// Most restate go-json-experiment's defaults, on purpose, so that a change
// of defaults cannot loosen them.
var decodeOptions = json.JoinOptions(
	// A repeated member name is refused: two "amount"s would let the
	// party that checks and the party that books read different values.
	jsontext.AllowDuplicateNames(false),
	// Strings must be valid UTF-8.
	jsontext.AllowInvalidUTF8(false),
	// Member names match exactly: "Amount" is not "amount".
	json.MatchCaseInsensitiveNames(false),
	// Members this package does not know are skipped (after being checked
	// for syntax), so that bankHub can add members without breaking
	// receivers.
	json.RejectUnknownMembers(false),
	// Text members also accept JSON numbers, digit for digit.
	json.WithUnmarshalers(json.UnmarshalFromFunc(unmarshalNumberAsString)),
)

// unmarshalNumberAsString lets a string member take a JSON number,
// keeping its text exactly ("accountNumber": 12345678901234567890). Other
// kinds go to the default unmarshaler (null gives "").
func unmarshalNumberAsString(dec *jsontext.Decoder, s *string) error {
	if dec.PeekKind() != '0' {
		return errors.ErrUnsupported
	}
	v, err := dec.ReadValue()
	if err != nil {
		return err
	}
	*s = string(v)
	return nil
}

// envelope is the body's first reading: the members every webhook has,
// and the nested objects kept raw until the pair says how strictly to read
// them.
type envelope struct {
	Environment string         `json:"environment"`
	Type        WebhookType    `json:"webhookType"`
	Code        WebhookCode    `json:"webhookCode"`
	GrantID     string         `json:"grantId"`
	Error       jsontext.Value `json:"error"`
	Transaction jsontext.Value `json:"transaction"`
}

// plainTransaction is Transaction without its methods.
type plainTransaction Transaction

// transactionIn is how a transaction is read: Amount here shadows the one
// in plainTransaction (a shallower field wins), so a missing amount can be
// told from 0.
type transactionIn struct {
	plainTransaction `json:",inline"`
	Amount           *bankhook.Decimal `json:"amount"`
}

// Decode reads a bankHub webhook body. It needs no HTTP: use it on bodies
// from a queue, a log or a test.
//
// The body must be one JSON object with a non-empty "webhookType" and
// "webhookCode"; values bankHub adds later are accepted. What else is
// required depends on the pair:
//
//   - GRANT/ERROR and GRANT/USER_PERMISSION_REVOKED: a "grantId". For
//     GRANT/ERROR, "error" may be absent or null, but when present it
//     must be a well-formed error object.
//   - TRANSACTIONS/DEFAULT_UPDATE: a "transaction" with an "id" and an
//     "amount" (see [Transaction] for what else is checked).
//   - any other pair: nothing more.
//
// A nested object the event does not need ("transaction" in a GRANT
// webhook, both in a pair this package does not know) never makes Decode
// fail: when it is malformed it is left nil. For a pair this package does
// not know, the Webhook keeps the whole body (see [Unknown].Raw).
//
// The JSON rules are strict where laxness would be a risk and liberal
// where real senders deviate: duplicate member names, invalid UTF-8,
// trailing data and nesting deeper than [MaxDepth] are refused; member
// names match case-sensitively; unknown members are ignored; null is
// accepted wherever a value may be absent; text members also accept JSON
// numbers, digit for digit; amounts are exact (see [bankhook.Decimal]).
//
// Every error is a [*bankhook.DecodeError] with Provider "bankhub" and the
// JSON Pointer of the offending value as Path ("/transaction/amount"),
// which [bankhook.Reject] shows the sender.
func Decode(body []byte) (*Webhook, error) {
	if w := decodeFast(body); w != nil {
		return w, nil
	}
	return decodeReflect(body)
}

// decodeReflect is Decode by reflection, with go-json-experiment: it
// decodes every webhook, and names the offending value of every body it
// refuses. Decode's fast path (see fastdecode.go) must give the same
// result for the bodies it accepts.
func decodeReflect(body []byte) (*Webhook, error) {
	if err := checkDepth(body); err != nil {
		return nil, err
	}
	var env envelope
	if err := json.Unmarshal(body, &env, decodeOptions); err != nil {
		return nil, decodeError("", err)
	}
	switch {
	case env.Type == "":
		return nil, missing("/webhookType")
	case env.Code == "":
		return nil, missing("/webhookCode")
	}
	w := &Webhook{
		Environment: env.Environment,
		Type:        env.Type,
		Code:        env.Code,
		GrantID:     env.GrantID,
	}
	var err error
	switch pairKind(w.Type, w.Code) {
	case kindGrantFailed:
		if w.GrantID == "" {
			return nil, missing("/grantId")
		}
		if w.Error, err = decodeGrantError(env.Error); err != nil {
			return nil, err
		}
		w.Transaction, _ = decodeTransaction(env.Transaction)
	case kindPermissionRevoked:
		if w.GrantID == "" {
			return nil, missing("/grantId")
		}
		w.Error, _ = decodeGrantError(env.Error)
		w.Transaction, _ = decodeTransaction(env.Transaction)
	case kindNewTransaction:
		if isNull(env.Transaction) {
			return nil, missing("/transaction")
		}
		if w.Transaction, err = decodeTransaction(env.Transaction); err != nil {
			return nil, err
		}
		w.Error, _ = decodeGrantError(env.Error)
	default:
		w.Error, _ = decodeGrantError(env.Error)
		w.Transaction, _ = decodeTransaction(env.Transaction)
		if w.raw, err = canonical(body); err != nil {
			return nil, decodeError("", err)
		}
	}
	return w, nil
}

// decodeGrantError reads the "error" member; absent and null give nil.
func decodeGrantError(v jsontext.Value) (*GrantError, error) {
	if isNull(v) {
		return nil, nil
	}
	e := new(GrantError)
	if err := json.Unmarshal(v, e, decodeOptions); err != nil {
		return nil, decodeError("/error", err)
	}
	return e, nil
}

// decodeTransaction reads the "transaction" member; absent and null give
// nil.
func decodeTransaction(v jsontext.Value) (*Transaction, error) {
	if isNull(v) {
		return nil, nil
	}
	var in transactionIn
	if err := json.Unmarshal(v, &in, decodeOptions); err != nil {
		return nil, decodeError("/transaction", err)
	}
	t := (*Transaction)(&in.plainTransaction)
	switch {
	case t.ID == "":
		return nil, missing("/transaction/id")
	case in.Amount == nil:
		return nil, missing("/transaction/amount")
	}
	t.Amount = *in.Amount
	if err := checkDigits("/transaction/amount", t.Amount); err != nil {
		return nil, err
	}
	if t.RunningBalance != nil {
		if err := checkDigits("/transaction/runningBalance", *t.RunningBalance); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// checkDigits refuses an amount with more than MaxAmountDigits digits in
// plain notation.
func checkDigits(path string, d bankhook.Decimal) error {
	s := strings.TrimPrefix(d.String(), "-")
	n := len(s)
	if strings.IndexByte(s, '.') >= 0 {
		n--
	}
	if n > MaxAmountDigits {
		return &bankhook.DecodeError{Provider: "bankhub", Path: path,
			Err: fmt.Errorf("%w: %d digits, at most %d", ErrTooManyDigits, n, MaxAmountDigits)}
	}
	return nil
}

// isNull reports whether a member was absent or null.
func isNull(v jsontext.Value) bool {
	return len(v) == 0 || v.Kind() == 'n'
}

// canonical returns a copy of the JSON value b in canonical form: RFC 8785
// (members sorted, no whitespace, strings in their shortest form), except
// that numbers keep their text, since RFC 8785's float64 form would merge
// distinct 18-digit amounts.
func canonical(b []byte) (jsontext.Value, error) {
	return jsonscan.Canonical(b, jsonscan.NumberText)
}

// missing is the error for a required member that is absent, null or "".
func missing(path string) error {
	return &bankhook.DecodeError{Provider: "bankhub", Path: path, Err: ErrMissing}
}

// decodeError wraps an error from the JSON packages in a DecodeError whose
// Path is the offending value's JSON Pointer, prefixed by the pointer of
// the value that was being read.
func decodeError(prefix string, err error) error {
	var (
		sem *json.SemanticError
		syn *jsontext.SyntacticError
		ptr jsontext.Pointer
	)
	switch {
	case errors.As(err, &sem):
		ptr = sem.JSONPointer
	case errors.As(err, &syn):
		ptr = syn.JSONPointer
	}
	return &bankhook.DecodeError{Provider: "bankhub", Path: prefix + string(ptr), Err: err}
}

// checkDepth refuses a body nesting deeper than MaxDepth. A byte scan
// finds out cheaply; only a body that fails it is read again to name the
// offending value.
func checkDepth(b []byte) error {
	depth, inString, escaped := 0, false, false
	for _, c := range b {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			if depth++; depth > MaxDepth {
				return depthError(b)
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return nil
}

// depthError names the first value in b nested deeper than MaxDepth, or
// the syntax error met before it.
func depthError(b []byte) error {
	dec := jsontext.NewDecoder(bytes.NewReader(b), decodeOptions)
	for {
		if _, err := dec.ReadToken(); err != nil {
			return decodeError("", err)
		}
		if dec.StackDepth() > MaxDepth {
			return &bankhook.DecodeError{Provider: "bankhub", Path: string(dec.StackPointer()),
				Err: fmt.Errorf("%w: more than %d levels", ErrTooDeep, MaxDepth)}
		}
	}
}
