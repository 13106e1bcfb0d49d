package bunq

// DraftPayment is a payment that waits for the account owner's acceptance:
// what the DRAFT_PAYMENT category carries. Once accepted, Object holds the
// resulting Payment or PaymentBatch.
type DraftPayment struct {
	ID                      int64                  `json:"id"`                         // id of the draft payment
	Created                 Time                   `json:"created"`                    // when it was created
	Updated                 Time                   `json:"updated"`                    // last update
	MonetaryAccountID       int64                  `json:"monetary_account_id"`        // the account it applies to
	Status                  string                 `json:"status"`                     // PENDING, ACCEPTED, REJECTED, …
	Type                    string                 `json:"type"`                       // BUNQ, …
	UserAliasCreated        *LabelUser             `json:"user_alias_created"`         // who created it
	Responses               []DraftPaymentResponse `json:"responses"`                  // responses so far
	Entries                 []DraftPaymentEntry    `json:"entries"`                    // the payments it will make
	Object                  *PaymentAnchor         `json:"object"`                     // the Payment or PaymentBatch, once accepted
	Schedule                *Schedule              `json:"schedule"`                   // schedule, for a scheduled draft
	NumberOfRequiredAccepts int                    `json:"number_of_required_accepts"` // accepts needed for ACCEPTED
}

// ObjectType returns "DraftPayment".
func (*DraftPayment) ObjectType() string { return "DraftPayment" }

func (d *DraftPayment) identity() (int64, Time) { return d.ID, d.Updated }

// DraftPaymentEntry is one payment of a draft payment.
type DraftPaymentEntry struct {
	ID                int64                 `json:"id"`                 // id of the entry
	Amount            Amount                `json:"amount"`             // the amount to pay
	Alias             *LabelMonetaryAccount `json:"alias"`              // this side of the payment
	CounterpartyAlias *LabelMonetaryAccount `json:"counterparty_alias"` // the other side
	Description       string                `json:"description"`        // the payment's description
	MerchantReference string                `json:"merchant_reference"` // the merchant's own reference
	Type              string                `json:"type"`               // BUNQ, …
	Attachment        []AttachmentRef       `json:"attachment"`         // attachments
}

// DraftPaymentResponse is a response to a draft payment.
type DraftPaymentResponse struct {
	Status           string     `json:"status"`             // the status responded with
	UserAliasCreated *LabelUser `json:"user_alias_created"` // who responded
}

// PaymentAnchor holds the one object a draft payment or a schedule refers
// to, keyed by its type as bunq sends it: {"Payment":{…}} or
// {"PaymentBatch":{…}} (schedules also name a "ScheduledPayment"). The
// other fields are nil.
type PaymentAnchor struct {
	Payment          *Payment          `json:"Payment,omitzero"`          // set when the object is a Payment
	PaymentBatch     *PaymentBatch     `json:"PaymentBatch,omitzero"`     // set when the object is a PaymentBatch
	ScheduledPayment *ScheduledPayment `json:"ScheduledPayment,omitzero"` // set when the object is a ScheduledPayment
}
