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

// The callback categories bunq documents.
const (
	CategoryBilling                   Category = "BILLING"                     // notifications for all bunq invoices
	CategoryCardTransactionSuccessful Category = "CARD_TRANSACTION_SUCCESSFUL" // notifications for successful card transactions
	CategoryCardTransactionFailed     Category = "CARD_TRANSACTION_FAILED"     // notifications for failed card transactions
	CategoryChat                      Category = "CHAT"                        // notifications for received chat messages
	CategoryDraftPayment              Category = "DRAFT_PAYMENT"               // notifications for creation and updates of draft payments
	CategoryIdeal                     Category = "IDEAL"                       // notifications for iDEAL deposits towards a bunq account
	CategorySofort                    Category = "SOFORT"                      // notifications for SOFORT deposits towards a bunq account
	CategoryMutation                  Category = "MUTATION"                    // notifications for any action that affects a monetary account's balance
	CategoryOAuth                     Category = "OAUTH"                       // notifications for revoked OAuth connections
	// CategoryPayment: notifications for payments created from, or received
	// on, a bunq account, excluding payments that result from paying a
	// request, iDEAL, SOFORT or an invoice. Outgoing payments have a negative
	// value, incoming payments a positive one.
	CategoryPayment                Category = "PAYMENT"
	CategoryRequest                Category = "REQUEST"                  // notifications for incoming requests and updates on outgoing requests
	CategoryScheduleResult         Category = "SCHEDULE_RESULT"          // notifications for when a scheduled payment is executed
	CategoryScheduleStatus         Category = "SCHEDULE_STATUS"          // notifications about the status of a scheduled payment: updated, cancelled, …
	CategoryShare                  Category = "SHARE"                    // notifications for updates or creation of Connects (ShareInviteBankInquiry)
	CategoryTabResult              Category = "TAB_RESULT"               // notifications for updates on Tab payments
	CategoryBunqMeTab              Category = "BUNQME_TAB"               // notifications for updates on bunq.me Tab (open request) payments
	CategorySupport                Category = "SUPPORT"                  // notifications for messages received from bunq through support chat
	CategoryPartnerUserProvision   Category = "PARTNER_USER_PROVISION"   // user provisioning: a partner user's provisioning properties changed
	CategoryUserInformationInquiry Category = "USER_INFORMATION_INQUIRY" // user provisioning: a compliance inquiry was created or changed
)

// categories lists every documented category, in the order of bunq's table.
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
}

// Categories returns every category this package knows, in the order of
// bunq's documentation. The slice is a fresh copy.
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
