package bunq

// RequestInquiry is a request for payment sent by the user: what the
// REQUEST category carries for outgoing requests.
type RequestInquiry struct {
	ID                int64                 `json:"id"`                  // id of the request
	Created           Time                  `json:"created"`             // when it was created
	Updated           Time                  `json:"updated"`             // last update
	TimeResponded     Time                  `json:"time_responded"`      // when it was responded to
	TimeExpiry        Time                  `json:"time_expiry"`         // when it expired or expires
	MonetaryAccountID int64                 `json:"monetary_account_id"` // the account the money is requested to
	AmountInquired    Amount                `json:"amount_inquired"`     // the amount requested
	AmountResponded   Amount                `json:"amount_responded"`    // the amount paid, once paid
	Status            string                `json:"status"`              // PENDING, ACCEPTED, REJECTED, REVOKED, EXPIRED, …
	Description       string                `json:"description"`         // the request's description
	MerchantReference string                `json:"merchant_reference"`  // the requester's own reference
	UserAliasCreated  *LabelUser            `json:"user_alias_created"`  // who created the request
	UserAliasRevoked  *LabelUser            `json:"user_alias_revoked"`  // who revoked it, if revoked
	CounterpartyAlias *LabelMonetaryAccount `json:"counterparty_alias"`  // who the money is requested from
	Attachment        []AttachmentRef       `json:"attachment"`          // attachments of the request
	MinimumAge        int                   `json:"minimum_age"`         // minimum age of the payer, 0 when none
	RequireAddress    string                `json:"require_address"`     // whether an address must be given on accept
	Geolocation       *Geolocation          `json:"geolocation"`         // where the request was made
	Type              string                `json:"type"`                // INTERNAL, DIRECT_DEBIT, IDEAL, SOFORT, …
	SubType           string                `json:"sub_type"`            // ONCE, RECURRING, NONE
	BunqmeShareURL    string                `json:"bunqme_share_url"`    // bunq.me URL of the request
	RedirectURL       string                `json:"redirect_url"`        // where the payer goes after responding
	BatchID           int64                 `json:"batch_id"`            // id of its RequestInquiryBatch, 0 when none
	ScheduledID       int64                 `json:"scheduled_id"`        // id of its schedule, 0 when none
	EventID           int64                 `json:"event_id"`            // id of the related split-the-bill event
	AddressBilling    *Address              `json:"address_billing"`     // billing address given on accept
	AddressShipping   *Address              `json:"address_shipping"`    // shipping address given on accept
	AllowBunqme       bool                  `json:"allow_bunqme"`        // whether a bunq.me request is allowed
	AllowChat         bool                  `json:"allow_chat"`          // whether chat is allowed
}

// ObjectType returns "RequestInquiry".
func (*RequestInquiry) ObjectType() string { return "RequestInquiry" }

func (r *RequestInquiry) identity() (int64, Time) { return r.ID, r.Updated }

// RequestInquiryBatch is a set of requests for payment made together
// (split the bill, for example).
type RequestInquiryBatch struct {
	ID                  int64            `json:"id"`                    // id of the batch
	Created             Time             `json:"created"`               // when it was created
	Updated             Time             `json:"updated"`               // last update
	RequestInquiries    []RequestInquiry `json:"request_inquiries"`     // the requests made
	Status              string           `json:"status"`                // status of the batch
	TotalAmountInquired Amount           `json:"total_amount_inquired"` // the total amount requested
	EventID             int64            `json:"event_id"`              // id of the related split-the-bill event
}

// ObjectType returns "RequestInquiryBatch".
func (*RequestInquiryBatch) ObjectType() string { return "RequestInquiryBatch" }

func (r *RequestInquiryBatch) identity() (int64, Time) { return r.ID, r.Updated }

// RequestResponse is a request for payment the user received: what the
// REQUEST category carries for incoming requests.
type RequestResponse struct {
	ID                         int64                 `json:"id"`                            // id of the request response
	Created                    Time                  `json:"created"`                       // when it was created
	Updated                    Time                  `json:"updated"`                       // last update
	TimeResponded              Time                  `json:"time_responded"`                // when it was responded to
	TimeExpiry                 Time                  `json:"time_expiry"`                   // when it expired or expires
	TimeRefundRequested        Time                  `json:"time_refund_requested"`         // when a refund was requested
	TimeRefunded               Time                  `json:"time_refunded"`                 // when it was refunded
	UserRefundRequested        *LabelUser            `json:"user_refund_requested"`         // who requested the refund
	MonetaryAccountID          int64                 `json:"monetary_account_id"`           // the account it was received on
	AmountInquired             Amount                `json:"amount_inquired"`               // the amount requested
	AmountResponded            Amount                `json:"amount_responded"`              // the amount paid, once paid
	Status                     string                `json:"status"`                        // ACCEPTED, PENDING, REJECTED, REFUND_REQUESTED, REFUNDED, REVOKED
	Description                string                `json:"description"`                   // description given by the requester
	Alias                      *LabelMonetaryAccount `json:"alias"`                         // the account it was received on
	CounterpartyAlias          *LabelMonetaryAccount `json:"counterparty_alias"`            // who requests the money
	Attachment                 []Attachment          `json:"attachment"`                    // attachments of the request
	MinimumAge                 int                   `json:"minimum_age"`                   // minimum age of the payer, 0 when none
	RequireAddress             string                `json:"require_address"`               // whether an address must be given on accept
	Geolocation                *Geolocation          `json:"geolocation"`                   // where it was created
	Type                       string                `json:"type"`                          // DIRECT_DEBIT, DIRECT_DEBIT_B2B, IDEAL, SOFORT, INTERNAL
	SubType                    string                `json:"sub_type"`                      // ONCE, RECURRING, NONE
	RedirectURL                string                `json:"redirect_url"`                  // where the payer goes after responding
	CreditSchemeIdentifier     Identifier            `json:"credit_scheme_identifier"`      // creditor id of a direct debit
	MandateIdentifier          Identifier            `json:"mandate_identifier"`            // mandate id of a direct debit
	EligibleWhitelistID        int64                 `json:"eligible_whitelist_id"`         // whitelist id, 0 when none
	EventID                    int64                 `json:"event_id"`                      // id of the latest event of the request
	MonetaryAccountPreferredID int64                 `json:"monetary_account_preferred_id"` // the account the user prefers to pay from
	AddressBilling             *Address              `json:"address_billing"`               // billing address given on accept
	AddressShipping            *Address              `json:"address_shipping"`              // shipping address given on accept
	AllowChat                  bool                  `json:"allow_chat"`                    // whether chat is allowed
}

// ObjectType returns "RequestResponse".
func (*RequestResponse) ObjectType() string { return "RequestResponse" }

func (r *RequestResponse) identity() (int64, Time) { return r.ID, r.Updated }
