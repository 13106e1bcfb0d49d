package bunq

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/go-json-experiment/json/jsontext"
)

// Category is the kind of events a notification filter subscribes to and a
// callback belongs to ("MUTATION", "PAYMENT", …). Values this package does
// not know decode unchanged; [Category.Known] tells them apart.
//
// The zero value is the empty category, which is not known.
type Category string

// The callback categories of bunq's "Callback categories" table, and the
// two of user provisioning (see the package documentation for the
// sources).
const (
	CategoryBilling                   Category = "BILLING"                     // notifications for all bunq invoices → *Invoice
	CategoryCardTransactionSuccessful Category = "CARD_TRANSACTION_SUCCESSFUL" // notifications for successful card transactions → *MasterCardAction
	CategoryCardTransactionFailed     Category = "CARD_TRANSACTION_FAILED"     // notifications for failed card transactions → *MasterCardAction
	CategoryChat                      Category = "CHAT"                        // notifications for received chat messages → *ChatMessage
	CategoryDraftPayment              Category = "DRAFT_PAYMENT"               // notifications for creation and updates of draft payments → *DraftPayment
	CategoryIdeal                     Category = "IDEAL"                       // notifications for iDEAL deposits towards a bunq account → *IdealMerchantTransaction
	CategorySofort                    Category = "SOFORT"                      // notifications for SOFORT deposits towards a bunq account → *SofortMerchantTransaction
	CategoryMutation                  Category = "MUTATION"                    // notifications for any action that affects a monetary account's balance → *Payment
	CategoryOAuth                     Category = "OAUTH"                       // notifications for revoked OAuth connections
	// CategoryPayment: notifications for payments created from, or received
	// on, a bunq account, excluding payments that result from paying a
	// request, iDEAL, SOFORT or an invoice. Outgoing payments have a negative
	// value, incoming payments a positive one. Usually a *Payment or a
	// *PaymentBatch.
	CategoryPayment                Category = "PAYMENT"
	CategoryRequest                Category = "REQUEST"                  // notifications for incoming requests and updates on outgoing requests → *RequestInquiry, *RequestResponse
	CategoryScheduleResult         Category = "SCHEDULE_RESULT"          // notifications for when a scheduled payment is executed → *ScheduledInstance
	CategoryScheduleStatus         Category = "SCHEDULE_STATUS"          // notifications about the status of a scheduled payment: updated, cancelled, … → *ScheduledPayment
	CategoryShare                  Category = "SHARE"                    // notifications for updates or creation of Connects → *ShareInviteBankInquiry, *ShareInviteBankResponse
	CategoryTabResult              Category = "TAB_RESULT"               // notifications for updates on Tab payments
	CategoryBunqMeTab              Category = "BUNQME_TAB"               // notifications for updates on bunq.me Tab (open request) payments → *BunqMeTab, *BunqMeTabResultInquiry
	CategorySupport                Category = "SUPPORT"                  // notifications for messages received from bunq through support chat → *ChatMessage
	CategoryPartnerUserProvision   Category = "PARTNER_USER_PROVISION"   // user provisioning: a partner user's provisioning properties changed → *PartnerUserProvision
	CategoryUserInformationInquiry Category = "USER_INFORMATION_INQUIRY" // user provisioning: a compliance inquiry was created or changed → *UserInformationInquiry
)

// Categories bunq's API reference lists as possible values of a
// notification filter's category (the OpenAPI description, and the SDKs
// generated from it) without describing them anywhere: no document says
// what they report or shows a callback body for them.
const (
	// CategoryMonetaryAccountProfile is listed without a description. The
	// same reference calls a monetary account's automatic fill and drain
	// settings its "profile" (MonetaryAccountProfile).
	CategoryMonetaryAccountProfile Category = "MONETARY_ACCOUNT_PROFILE"
	// CategoryPromotion is listed without a description.
	CategoryPromotion Category = "PROMOTION"
	// CategoryUserApproval is listed without a description.
	CategoryUserApproval Category = "USER_APPROVAL"
)

// Categories of bunq's partner (user provisioning) documentation: the
// table of its "Chapter 4: Webhooks" and the webhooks of its Partner API
// description.
const (
	// CategoryUserOnboarding: a provisioned user's onboarding changed who
	// must act next (its action_required); a *UserOnboarding.
	CategoryUserOnboarding Category = "USER_ONBOARDING"
	// CategoryCardTransactionUpdated: a card transaction was updated (its
	// amount may have changed) or received its clearing. The documents name
	// no object type for it.
	CategoryCardTransactionUpdated Category = "CARD_TRANSACTION_UPDATED"
	// CategoryCardTransactionRefund: a refund the user requested for a card
	// transaction was approved or denied. The documents name no object type
	// for it.
	CategoryCardTransactionRefund Category = "CARD_TRANSACTION_REFUND"
	// CategoryCard: a card's properties were updated; the object is the
	// card ("CardDebit", not modelled here: an *Unknown).
	CategoryCard Category = "CARD"
	// CategoryCardTokenization: a card's token for Apple Pay or Google Pay
	// was activated, suspended, deleted or updated. The documents name no
	// object type for it.
	CategoryCardTokenization Category = "CARD_TOKENIZATION"
	// CategoryMasterCardIdentityCheck: a Mastercard Identity Check (3-D
	// Secure) challenge awaits the user's approval, or was rejected, failed
	// or expired; the object is the challenge
	// ("MasterCardIdentityCheckChallengeRequest", not modelled here: an
	// *Unknown).
	CategoryMasterCardIdentityCheck Category = "MASTERCARD_IDENTITY_CHECK"
)

// categories lists every category above: bunq's table in its order, then
// the API reference's additions, then the partner documentation's.
var categories = [...]Category{
	CategoryBilling,
	CategoryCardTransactionSuccessful,
	CategoryCardTransactionFailed,
	CategoryChat,
	CategoryDraftPayment,
	CategoryIdeal,
	CategorySofort,
	CategoryMutation,
	CategoryOAuth,
	CategoryPayment,
	CategoryRequest,
	CategoryScheduleResult,
	CategoryScheduleStatus,
	CategoryShare,
	CategoryTabResult,
	CategoryBunqMeTab,
	CategorySupport,
	CategoryPartnerUserProvision,
	CategoryUserInformationInquiry,
	CategoryMonetaryAccountProfile,
	CategoryPromotion,
	CategoryUserApproval,
	CategoryUserOnboarding,
	CategoryCardTransactionUpdated,
	CategoryCardTransactionRefund,
	CategoryCard,
	CategoryCardTokenization,
	CategoryMasterCardIdentityCheck,
}

// Categories returns every category this package knows: those of bunq's
// "Callback categories" table in its order, then those only bunq's API
// reference lists, then those of its partner documentation. The slice is
// a fresh copy.
func Categories() []Category {
	out := make([]Category, len(categories))
	copy(out, categories[:])
	return out
}

// Known reports whether c is one of [Categories].
func (c Category) Known() bool {
	_, ok := lookupCategory([]byte(c))
	return ok
}

// String returns the category as bunq writes it.
func (c Category) String() string { return string(c) }

// lookupCategory returns the constant spelled b, without allocating.
func lookupCategory(b []byte) (Category, bool) {
	for _, c := range categories {
		if string(c) == string(b) {
			return c, true
		}
	}
	return "", false
}

// UnmarshalJSONFrom decodes a JSON string (null gives ""). A known value
// shares the constant's memory instead of allocating.
func (c *Category) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	v, err := dec.ReadValue()
	if err != nil {
		return err
	}
	return c.unmarshalValue(v)
}

// UnmarshalJSON is the encoding/json form of UnmarshalJSONFrom.
func (c *Category) UnmarshalJSON(b []byte) error {
	return c.unmarshalValue(bytes.TrimSpace(b))
}

func (c *Category) unmarshalValue(v []byte) error {
	s, err := internString(v, "category")
	if err != nil {
		return err
	}
	if k, ok := lookupCategory(s); ok {
		*c = k
	} else {
		*c = Category(s)
	}
	return nil
}

// internString returns the contents of a JSON string value (nil for null)
// without copying when it holds no escapes. The result aliases v.
func internString(v []byte, what string) ([]byte, error) {
	switch {
	case string(v) == "null":
		return nil, nil
	case len(v) >= 2 && v[0] == '"':
		if bytes.IndexByte(v, '\\') < 0 {
			return v[1 : len(v)-1], nil
		}
		s, err := jsontext.AppendUnquote(nil, v)
		if err != nil {
			return nil, fmt.Errorf("bunq: %s: %w", what, err)
		}
		return s, nil
	default:
		return nil, fmt.Errorf("bunq: %s: want a JSON string, got %.20s", what, v)
	}
}

var _ json.Unmarshaler = (*Category)(nil)
