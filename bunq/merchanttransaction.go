package bunq

// IdealMerchantTransaction is an iDEAL deposit towards a bunq account: what
// the IDEAL category carries.
type IdealMerchantTransaction struct {
	ID                      int64                 `json:"id"`                        // id of the transaction
	Created                 Time                  `json:"created"`                   // when it was created
	Updated                 Time                  `json:"updated"`                   // last update
	MonetaryAccountID       int64                 `json:"monetary_account_id"`       // the account credited
	Alias                   *LabelMonetaryAccount `json:"alias"`                     // the account money is added to
	CounterpartyAlias       *LabelMonetaryAccount `json:"counterparty_alias"`        // the account money comes from
	AmountGuaranteed        Amount                `json:"amount_guaranteed"`         // what will be transferred, on success
	AmountRequested         Amount                `json:"amount_requested"`          // what was asked for
	Expiration              Time                  `json:"expiration"`                // when the transaction expires
	Issuer                  string                `json:"issuer"`                    // BIC of the issuer
	IssuerName              string                `json:"issuer_name"`               // name of the issuer
	IssuerAuthenticationURL string                `json:"issuer_authentication_url"` // where the payer authenticates
	PurchaseIdentifier      Identifier            `json:"purchase_identifier"`       // iDEAL purchase ID
	Status                  string                `json:"status"`                    // status of the transaction
	StatusTimestamp         Time                  `json:"status_timestamp"`          // when Status last changed
	TransactionIdentifier   Identifier            `json:"transaction_identifier"`    // iDEAL transaction ID
	AllowChat               bool                  `json:"allow_chat"`                // whether chat is allowed
}

// ObjectType returns "IdealMerchantTransaction".
func (*IdealMerchantTransaction) ObjectType() string { return "IdealMerchantTransaction" }

func (t *IdealMerchantTransaction) identity() (int64, Time) { return t.ID, t.Updated }

// SofortMerchantTransaction is a SOFORT deposit towards a bunq account:
// what the SOFORT category carries.
type SofortMerchantTransaction struct {
	ID                      int64                 `json:"id"`                        // id of the transaction
	Created                 Time                  `json:"created"`                   // when it was created
	Updated                 Time                  `json:"updated"`                   // last update
	MonetaryAccountID       int64                 `json:"monetary_account_id"`       // the account credited
	Alias                   *LabelMonetaryAccount `json:"alias"`                     // the account money is added to
	CounterpartyAlias       *LabelMonetaryAccount `json:"counterparty_alias"`        // the account money comes from
	AmountGuaranteed        Amount                `json:"amount_guaranteed"`         // what will be transferred, on success
	AmountRequested         Amount                `json:"amount_requested"`          // what was asked for
	Issuer                  string                `json:"issuer"`                    // BIC of the issuer
	IssuerAuthenticationURL string                `json:"issuer_authentication_url"` // where the payer authenticates
	Status                  string                `json:"status"`                    // status of the transaction
	ErrorMessage            []ErrorMessage        `json:"error_message"`             // why it failed
	TransactionIdentifier   Identifier            `json:"transaction_identifier"`    // SOFORT transaction ID
}

// ObjectType returns "SofortMerchantTransaction".
func (*SofortMerchantTransaction) ObjectType() string { return "SofortMerchantTransaction" }

func (t *SofortMerchantTransaction) identity() (int64, Time) { return t.ID, t.Updated }
