package bunq

// Payment is a payment made from or to a bunq monetary account: what the
// MUTATION and PAYMENT categories carry. Amount is negative for outgoing
// and positive for incoming payments.
//
// Nullable nested objects are pointers and are nil when bunq sends null or
// leaves them out; null amounts and times decode to their zero values.
type Payment struct {
	ID                     int64                   `json:"id"`                       // id of the payment
	Created                Time                    `json:"created"`                  // when the payment was made
	Updated                Time                    `json:"updated"`                  // last update (chat messages update it too)
	MonetaryAccountID      int64                   `json:"monetary_account_id"`      // the account it was made from or to
	Amount                 Amount                  `json:"amount"`                   // negative outgoing, positive incoming
	Description            string                  `json:"description"`              // up to 140 characters to external IBANs, 9000 within bunq
	Type                   string                  `json:"type"`                     // BUNQ, EBA_SCT, EBA_SDD, IDEAL, SWIFT, FIS (card), …
	SubType                string                  `json:"sub_type"`                 // PAYMENT, WITHDRAWAL, REVERSAL, REQUEST, BILLING, SCT, SDD, NLO
	MerchantReference      string                  `json:"merchant_reference"`       // merchant's own reference, when given
	MaturityDate           string                  `json:"maturity_date"`            // "YYYY-MM-DD"
	Alias                  *LabelMonetaryAccount   `json:"alias"`                    // this side of the payment
	CounterpartyAlias      *LabelMonetaryAccount   `json:"counterparty_alias"`       // the other side
	Attachment             []AttachmentRef         `json:"attachment"`               // attachments of the payment
	Geolocation            *Geolocation            `json:"geolocation"`              // where the payment was made from
	BatchID                int64                   `json:"batch_id"`                 // id of its PaymentBatch, 0 when none
	ScheduledID            int64                   `json:"scheduled_id"`             // id of its schedule, 0 when none
	AddressBilling         *Address                `json:"address_billing"`          // billing address, currently unused by bunq
	AddressShipping        *Address                `json:"address_shipping"`         // shipping address, currently unused by bunq
	AllowChat              bool                    `json:"allow_chat"`               // whether chat is allowed on the payment
	AllowBunqto            bool                    `json:"allow_bunqto"`             // whether a bunq.to payment is allowed
	BunqtoStatus           string                  `json:"bunqto_status"`            // status of a bunq.to payment
	BunqtoSubStatus        string                  `json:"bunqto_sub_status"`        // sub-status of a bunq.to payment
	BunqtoShareURL         string                  `json:"bunqto_share_url"`         // share URL of a bunq.to payment
	BunqtoExpiry           Time                    `json:"bunqto_expiry"`            // when a bunq.to payment expires
	BunqtoTimeResponded    Time                    `json:"bunqto_time_responded"`    // when a bunq.to payment was responded to
	BalanceAfterMutation   Amount                  `json:"balance_after_mutation"`   // the account's balance after this payment, when sent
	PaymentArrivalExpected *PaymentArrivalExpected `json:"payment_arrival_expected"` // expected arrival, when known
}

// PaymentArrivalExpected says when a payment is expected to arrive.
type PaymentArrivalExpected struct {
	Status string `json:"status"` // when the payment is expected to arrive
	Time   Time   `json:"time"`   // the expected arrival time
}

// ObjectType returns "Payment".
func (*Payment) ObjectType() string { return "Payment" }

func (p *Payment) identity() (int64, Time) { return p.ID, p.Updated }

// PaymentBatch is a set of payments made together.
type PaymentBatch struct {
	ID       int64     `json:"id"`       // id of the batch
	Created  Time      `json:"created"`  // when the batch was created
	Updated  Time      `json:"updated"`  // last update
	Payments []Payment `json:"payments"` // the payments that were made
}

// ObjectType returns "PaymentBatch".
func (*PaymentBatch) ObjectType() string { return "PaymentBatch" }

func (b *PaymentBatch) identity() (int64, Time) { return b.ID, b.Updated }
