package bunq

// MasterCardAction is a card transaction: what the
// CARD_TRANSACTION_SUCCESSFUL and CARD_TRANSACTION_FAILED categories carry.
// Decision is ALLOWED for an accepted transaction and says why otherwise.
//
// Nullable nested objects are pointers; null amounts and times decode to
// their zero values.
type MasterCardAction struct {
	ID                             int64                 `json:"id"`                               // id of the card action
	Created                        Time                  `json:"created"`                          // when the action was created
	Updated                        Time                  `json:"updated"`                          // last update
	MonetaryAccountID              int64                 `json:"monetary_account_id"`              // the account charged
	CardID                         int64                 `json:"card_id"`                          // the card used
	AmountLocal                    Amount                `json:"amount_local"`                     // in the merchant's currency
	AmountConverted                Amount                `json:"amount_converted"`                 // converted amount, when converted
	AmountBilling                  Amount                `json:"amount_billing"`                   // in the account's currency
	AmountOriginalLocal            Amount                `json:"amount_original_local"`            // original amount in the merchant's currency
	AmountOriginalBilling          Amount                `json:"amount_original_billing"`          // original amount in the account's currency
	AmountFee                      Amount                `json:"amount_fee"`                       // fee charged by the merchant, if any
	CardAuthorisationIDResponse    Identifier            `json:"card_authorisation_id_response"`   // authorisation code given by bunq
	Decision                       string                `json:"decision"`                         // ALLOWED, or why the transaction was denied
	PaymentStatus                  string                `json:"payment_status"`                   // PAYMENT_SUCCESSFUL, …
	DecisionDescription            string                `json:"decision_description"`             // why it was denied, in English; "" when allowed
	DecisionDescriptionTranslated  string                `json:"decision_description_translated"`  // the same in the user's language
	DecisionTogetherURL            string                `json:"decision_together_url"`            // bunq Together topic about the decision
	Description                    string                `json:"description"`                      // text to display for the transaction
	AuthorisationStatus            string                `json:"authorisation_status"`             // status in the authorisation process
	AuthorisationType              string                `json:"authorisation_type"`               // kind of transaction delivered with the card
	PANEntryModeUser               string                `json:"pan_entry_mode_user"`              // ATM, ICC, MAGNETIC_STRIPE, E_COMMERCE
	SettlementStatus               string                `json:"settlement_status"`                // settlement status in the authorisation process
	ClearingStatus                 string                `json:"clearing_status"`                  // PENDING, FIRST_PRESENTMENT_COMPLETE, REFUND_LENIENCY
	MaturityDate                   string                `json:"maturity_date"`                    // "YYYY-MM-DD"
	City                           string                `json:"city"`                             // city announced by the terminal
	Alias                          *LabelMonetaryAccount `json:"alias"`                            // the account the action is for
	CounterpartyAlias              *LabelMonetaryAccount `json:"counterparty_alias"`               // the merchant
	LabelCard                      *LabelCard            `json:"label_card"`                       // the card
	MerchantID                     Identifier            `json:"merchant_id"`                      // the merchant's identification
	MerchantCategoryCode           Identifier            `json:"merchant_category_code"`           // the MCC provided
	TokenStatus                    string                `json:"token_status"`                     // status of a tokenisation action
	ReservationExpiryTime          Time                  `json:"reservation_expiry_time"`          // when a reservation expires
	ClearingExpiryTime             Time                  `json:"clearing_expiry_time"`             // when clearing expires and the authorisation is refunded
	AppliedLimit                   string                `json:"applied_limit"`                    // which spending limit was checked
	SecureCodeID                   int64                 `json:"secure_code_id"`                   // secure code id, 0 when none
	WalletProviderID               Identifier            `json:"wallet_provider_id"`               // MasterCard's wallet provider id (103 is Apple Pay)
	POSCardPresence                string                `json:"pos_card_presence"`                // card presence type of the POS
	POSCardHolderPresence          string                `json:"pos_card_holder_presence"`         // card holder presence type of the POS
	EligibleWhitelistID            int64                 `json:"eligible_whitelist_id"`            // whitelist id, 0 when none
	AdditionalAuthenticationStatus string                `json:"additional_authentication_status"` // 3-D Secure status
	PINStatus                      string                `json:"pin_status"`                       // result of the PIN check
	AllowChat                      bool                  `json:"allow_chat"`                       // whether chat is allowed
}

// ObjectType returns "MasterCardAction".
func (*MasterCardAction) ObjectType() string { return "MasterCardAction" }

func (m *MasterCardAction) identity() (int64, Time) { return m.ID, m.Updated }
