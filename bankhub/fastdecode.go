package bankhub

import (
	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/internal/jsonscan"
)

// This file is Decode's fast path for the webhook bankHub sends most, a
// new transaction (TRANSACTIONS/DEFAULT_UPDATE), decoded by hand, token by
// token, instead of by reflection.
//
// The body's depth is checked as Decode checks it; then it is read on a
// jsonscan.Reader, a jsontext Decoder with decodeOptions (syntax, UTF-8,
// unique member names at every level), filling the same types, by the
// same rules per Go type, as the reflective decoder.
// Whenever it meets anything else — another pair, a grant error object, a
// value the rules refuse, a required member missing, an amount with too
// many digits — it gives up, and Decode runs the reflective decoder, which
// returns the same webhook or the error naming the offending value.
// FuzzDecodeFastPath checks the fast path against the reflective decoder.

// decodeFast decodes body when it is a webhook the fast path handles, and
// returns nil otherwise.
func decodeFast(body []byte) *Webhook {
	if checkDepth(body) != nil {
		return nil
	}
	r := jsonscan.Get(body, decodeOptions)
	defer jsonscan.Put(r)
	w := fastWebhook(r)
	if !r.Finish() || w.Type != TypeTransactions || w.Code != CodeDefaultUpdate ||
		w.Transaction == nil || w.Transaction.ID == "" {
		return nil
	}
	return w
}

func fastWebhook(r *jsonscan.Reader) *Webhook {
	w := new(Webhook)
	if !r.Object() {
		r.Fail()
		return w
	}
	for r.Member() {
		switch string(r.Name()) {
		case "environment":
			r.StringOrNumber(&w.Environment)
		case "webhookType":
			// Named text types take no numbers (only string does, see
			// unmarshalNumberAsString); the pair is checked once read.
			r.String((*string)(&w.Type))
		case "webhookCode":
			r.String((*string)(&w.Code))
		case "grantId":
			r.StringOrNumber(&w.GrantID)
		case "error":
			// A grant error on a transaction webhook is read leniently by
			// the reflective decoder: leave it to it.
			if r.Kind() != 'n' {
				r.Fail()
			}
			r.Skip()
		case "transaction":
			w.Transaction = fastTransaction(r)
		default:
			r.Skip()
		}
	}
	return w
}

// fastTransaction reads a transaction as transactionIn is read, with the
// checks decodeTransaction makes, except that the id is checked by
// decodeFast once the strings are assigned. It is flat by design, one case
// per JSON field of the object (longer than 80 lines: one case per field).
func fastTransaction(r *jsonscan.Reader) *Transaction {
	if !r.Object() {
		r.Fail() // absent or null: refused, with its path, by the reflective decoder
		return nil
	}
	t := new(Transaction)
	amount := false
	for r.Member() {
		switch string(r.Name()) {
		case "id":
			r.StringOrNumber(&t.ID)
		case "transactionCode":
			r.StringOrNumber(&t.TransactionCode)
		case "reference":
			r.StringOrNumber(&t.Reference)
		case "transactionDate":
			fastDate(r, &t.TransactionDate)
		case "transactionDateTime":
			fastDateTime(r, &t.TransactionDateTime)
		case "bookingDate":
			fastDate(r, &t.BookingDate)
		case "amount":
			if r.Kind() == 'n' {
				r.Fail() // a null amount is refused
				return nil
			}
			fastDecimal(r, &t.Amount)
			amount = true
		case "description":
			r.StringOrNumber(&t.Description)
		case "runningBalance":
			if r.Kind() == 'n' {
				r.Skip()
				t.RunningBalance = nil
				continue
			}
			t.RunningBalance = new(bankhook.Decimal)
			fastDecimal(r, t.RunningBalance)
		case "accountNumber":
			r.StringOrNumber(&t.AccountNumber)
		case "virtualAccountNumber":
			r.StringOrNumber(&t.VirtualAccountNumber)
		case "virtualAccountName":
			r.StringOrNumber(&t.VirtualAccountName)
		case "paymentChannel":
			r.String((*string)(&t.PaymentChannel))
		case "counterAccountNumber":
			r.StringOrNumber(&t.CounterAccountNumber)
		case "counterAccountName":
			r.StringOrNumber(&t.CounterAccountName)
		case "counterAccountBankId":
			r.StringOrNumber(&t.CounterAccountBankID)
		case "counterAccountBankName":
			r.StringOrNumber(&t.CounterAccountBankName)
		case "paymentMeta":
			if r.Object() {
				for r.Member() {
					if string(r.Name()) == "referenceNumber" {
						r.StringOrNumber(&t.PaymentMeta.ReferenceNumber)
					} else {
						r.Skip()
					}
				}
			}
		case "fiId":
			r.StringOrNumber(&t.FIID)
		case "fiName":
			r.StringOrNumber(&t.FIName)
		case "fiServiceId":
			r.StringOrNumber(&t.FIServiceID)
		case "fiServiceName":
			r.StringOrNumber(&t.FIServiceName)
		case "currency":
			r.StringOrNumber(&t.Currency)
		default:
			r.Skip()
		}
	}
	if !amount || checkDigits("", t.Amount) != nil ||
		t.RunningBalance != nil && checkDigits("", *t.RunningBalance) != nil {
		r.Fail()
	}
	return t
}

// fastDecimal reads a Decimal as (*bankhook.Decimal).UnmarshalJSONFrom
// does.
func fastDecimal(r *jsonscan.Reader, d *bankhook.Decimal) {
	v := r.Value()
	if r.Failed() {
		return
	}
	if err := d.UnmarshalJSON(v); err != nil {
		r.Fail()
	}
}

// fastDate reads a Date as its UnmarshalText is called: from a JSON
// string, or null for the zero Date.
func fastDate(r *jsonscan.Reader, d *Date) {
	if text := r.Text(&d.s); !r.Failed() && checkDate(string(text)) != nil {
		r.Fail()
	}
}

// fastDateTime reads a DateTime as its UnmarshalText is called.
func fastDateTime(r *jsonscan.Reader, d *DateTime) {
	if text := r.Text(&d.s); !r.Failed() && checkDateTime(string(text)) != nil {
		r.Fail()
	}
}

// bodyKey returns the IdempotencyKey of the webhook body decodes to, read
// from the body without decoding it, for the receiver's dedupe stage: a
// duplicate is then answered from the store without being decoded. It
// reads a new transaction's key (its type, code and transaction id, by the
// same rules as Decode) and stops as soon as it has it, so the rest of the
// body is not read, nor checked: the receiver checks a duplicate's body
// before answering it from the store, and decodes a new event's body in
// full. For any other body ok is false and the body must be decoded for
// its key. FuzzDecodeFastPath checks that the key is the decoded webhook's
// whenever Decode accepts the body.
func bodyKey(body []byte) (key string, ok bool) {
	r := jsonscan.Get(body, decodeOptions)
	defer jsonscan.Put(r)
	w := &Webhook{Transaction: new(Transaction)}
	var haveType, haveCode, haveID bool
	if !r.Object() {
		return "", false
	}
	// A body Decode accepts has no second "webhookType", "webhookCode" or
	// transaction "id": reading stops once the three are known.
members:
	for r.Member() {
		switch string(r.Name()) {
		case "webhookType":
			r.String((*string)(&w.Type))
			haveType = true
		case "webhookCode":
			r.String((*string)(&w.Code))
			haveCode = true
		case "transaction":
			if !r.Object() {
				return "", false
			}
			for r.Member() {
				if string(r.Name()) != "id" {
					r.Skip()
					continue
				}
				r.StringOrNumber(&w.Transaction.ID)
				haveID = true
				if haveType && haveCode {
					break members
				}
			}
		default:
			r.Skip()
		}
		if haveType && haveCode && haveID {
			break
		}
	}
	if r.Failed() || w.kind() != kindNewTransaction {
		return "", false
	}
	return w.IdempotencyKey(), true
}
