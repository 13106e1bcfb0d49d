package bunq

import (
	"encoding/json"
	"errors"

	"github.com/go-json-experiment/json/jsontext"
)

// Object is the object a callback is about: the single member of the
// envelope's "object", keyed by its type name. It is a sealed union: the
// concrete type is one of the pointer types below, or [*Unknown] for an
// object type this package does not model, so a new kind of object bunq
// starts sending never breaks a receiver. Switch on the type:
//
//	switch o := n.Object.(type) {
//	case *bunq.Payment:          // MUTATION, PAYMENT
//	case *bunq.MasterCardAction: // CARD_TRANSACTION_SUCCESSFUL, CARD_TRANSACTION_FAILED
//	case *bunq.Unknown:          // o.Type, o.Raw
//	}
//
// The concrete types are *BunqMeFundraiserResult, *BunqMeTab,
// *BunqMeTabResultInquiry, *BunqMeTabResultResponse, *ChatMessage,
// *ChatMessageAnnouncement, *DraftPayment, *IdealMerchantTransaction,
// *Invoice, *MasterCardAction, *MonetaryAccount, *MonetaryAccountBank,
// *PartnerUserProvision, *Payment, *PaymentBatch, *RequestInquiry,
// *RequestInquiryBatch, *RequestResponse, *ScheduledInstance,
// *ScheduledPayment, *ShareInviteBankInquiry, *ShareInviteBankResponse,
// *SofortMerchantTransaction, *User, *UserInformationInquiry,
// *UserOnboarding and *Unknown.
type Object interface {
	// ObjectType is the object's key in the envelope: "Payment",
	// "MasterCardAction", or an Unknown object's Type.
	ObjectType() string

	// identity returns the object's id and last-update time, or zeros
	// when it has none; it also seals the interface.
	identity() (id int64, updated Time)
}

// newObject returns a new, empty object for the envelope key name, or nil
// when the package does not model that type.
func newObject(name []byte) Object {
	switch string(name) {
	case "Payment":
		return new(Payment)
	case "PaymentBatch":
		return new(PaymentBatch)
	case "MasterCardAction":
		return new(MasterCardAction)
	case "RequestInquiry":
		return new(RequestInquiry)
	case "RequestInquiryBatch":
		return new(RequestInquiryBatch)
	case "RequestResponse":
		return new(RequestResponse)
	case "DraftPayment":
		return new(DraftPayment)
	case "BunqMeTab":
		return new(BunqMeTab)
	case "BunqMeTabResultInquiry":
		return new(BunqMeTabResultInquiry)
	case "BunqMeTabResultResponse":
		return new(BunqMeTabResultResponse)
	case "BunqMeFundraiserResult":
		return new(BunqMeFundraiserResult)
	case "ScheduledPayment":
		return new(ScheduledPayment)
	case "ScheduledInstance":
		return new(ScheduledInstance)
	case "ShareInviteBankInquiry":
		return new(ShareInviteBankInquiry)
	case "ShareInviteBankResponse":
		return new(ShareInviteBankResponse)
	case "MonetaryAccount":
		return new(MonetaryAccount)
	case "MonetaryAccountBank":
		return new(MonetaryAccountBank)
	case "Invoice":
		return new(Invoice)
	case "ChatMessage":
		return new(ChatMessage)
	case "ChatMessageAnnouncement":
		return new(ChatMessageAnnouncement)
	case "IdealMerchantTransaction":
		return new(IdealMerchantTransaction)
	case "SofortMerchantTransaction":
		return new(SofortMerchantTransaction)
	case "User":
		return new(User)
	case "PartnerUserProvision":
		return new(PartnerUserProvision)
	case "UserInformationInquiry":
		return new(UserInformationInquiry)
	case "UserOnboarding":
		return new(UserOnboarding)
	}
	return nil
}

// Unknown is an object of a type this package does not model. Type is its
// key in the envelope and Raw its JSON value as received, in compact form:
// whitespace between tokens removed and strings written with minimal
// escaping (member order, numbers and string contents untouched). It
// encodes as Raw, so a notification holding an Unknown re-encodes to the
// same object and decodes again to an equal Unknown.
//
// The zero value has no type and no JSON; it does not encode.
type Unknown struct {
	Type string // the object's key, "CardToken"
	Raw  []byte // the object's JSON value
}

// ObjectType returns u.Type.
func (u *Unknown) ObjectType() string { return u.Type }

func (u *Unknown) identity() (int64, Time) { return 0, Time{} }

var errUnknownNoRaw = errors.New("bunq: Unknown object without Raw JSON")

// MarshalJSONTo writes Raw, which must hold one valid JSON value.
func (u *Unknown) MarshalJSONTo(enc *jsontext.Encoder) error {
	if len(u.Raw) == 0 {
		return errUnknownNoRaw
	}
	return enc.WriteValue(u.Raw)
}

// MarshalJSON is the encoding/json form of MarshalJSONTo.
func (u *Unknown) MarshalJSON() ([]byte, error) {
	if len(u.Raw) == 0 {
		return nil, errUnknownNoRaw
	}
	if !jsontext.Value(u.Raw).IsValid() {
		return nil, errors.New("bunq: Unknown object with invalid Raw JSON")
	}
	return u.Raw, nil
}

var _ json.Marshaler = (*Unknown)(nil)
