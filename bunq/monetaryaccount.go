package bunq

// MonetaryAccountBank is a bunq bank account. Callbacks carry it when the
// account changes; its NotificationFilters are the legacy callback
// subscriptions set on the account.
type MonetaryAccountBank struct {
	ID                  int64                   `json:"id"`                   // id of the account
	Created             Time                    `json:"created"`              // when it was created
	Updated             Time                    `json:"updated"`              // last update
	Alias               []Pointer               `json:"alias"`                // IBAN and other aliases
	Avatar              *Avatar                 `json:"avatar"`               // the account's avatar
	Balance             Amount                  `json:"balance"`              // available balance, zero when not sent
	Country             string                  `json:"country"`              // ISO 3166-1 alpha-2
	CountryIBAN         string                  `json:"country_iban"`         // country of the IBAN
	Currency            string                  `json:"currency"`             // ISO 4217
	DisplayName         string                  `json:"display_name"`         // legal name of the owner
	Description         string                  `json:"description"`          // defaults to "bunq account"
	DailyLimit          Amount                  `json:"daily_limit"`          // daily spending limit
	DailySpent          Amount                  `json:"daily_spent"`          // spent today, when sent
	OverdraftLimit      Amount                  `json:"overdraft_limit"`      // how far it may go into the red
	PublicUUID          string                  `json:"public_uuid"`          // public UUID
	Status              string                  `json:"status"`               // ACTIVE, BLOCKED, CANCELLED, PENDING_REOPEN
	SubStatus           string                  `json:"sub_status"`           // NONE when ACTIVE
	Reason              string                  `json:"reason"`               // why it was closed
	ReasonDescription   string                  `json:"reason_description"`   // free-form reason for closing
	Timezone            string                  `json:"timezone"`             // "europe/amsterdam", when sent
	UserID              int64                   `json:"user_id"`              // the owner
	NotificationFilters []NotificationFilter    `json:"notification_filters"` // legacy callback filters on the account
	Setting             *MonetaryAccountSetting `json:"setting"`              // display and chat settings
}

// ObjectType returns "MonetaryAccountBank".
func (*MonetaryAccountBank) ObjectType() string { return "MonetaryAccountBank" }

func (m *MonetaryAccountBank) identity() (int64, Time) { return m.ID, m.Updated }

// MonetaryAccountSetting holds an account's display and chat settings.
type MonetaryAccountSetting struct {
	Color               string `json:"color"`                 // colour chosen for the account
	Icon                string `json:"icon"`                  // icon chosen for the account
	DefaultAvatarStatus string `json:"default_avatar_status"` // AVATAR_DEFAULT, AVATAR_CUSTOM, AVATAR_UNDETERMINED
	RestrictionChat     string `json:"restriction_chat"`      // ALLOW_INCOMING, BLOCK_INCOMING
	SDDExpirationAction string `json:"sdd_expiration_action"` // what to do with expiring SEPA direct debits
}

// MonetaryAccount is any kind of monetary account, keyed by its kind as
// bunq sends it ({"MonetaryAccountBank":{…}}). Exactly one field is set;
// each kind is decoded into the fields it shares with MonetaryAccountBank
// (fields particular to a kind, such as a savings goal, are not kept).
// [MonetaryAccount.Account] returns whichever is set.
type MonetaryAccount struct {
	Bank            *MonetaryAccountBank `json:"MonetaryAccountBank,omitzero"`            // set for a bank account
	Joint           *MonetaryAccountBank `json:"MonetaryAccountJoint,omitzero"`           // set for a joint account
	Light           *MonetaryAccountBank `json:"MonetaryAccountLight,omitzero"`           // set for a bunq light user's account
	Savings         *MonetaryAccountBank `json:"MonetaryAccountSavings,omitzero"`         // set for a savings account
	External        *MonetaryAccountBank `json:"MonetaryAccountExternal,omitzero"`        // set for an account connected to an external service
	ExternalSavings *MonetaryAccountBank `json:"MonetaryAccountExternalSavings,omitzero"` // set for a savings account connected to an external service
	Investment      *MonetaryAccountBank `json:"MonetaryAccountInvestment,omitzero"`      // set for an investment account
	Card            *MonetaryAccountBank `json:"MonetaryAccountCard,omitzero"`            // set for a MonetaryAccountCard
	SwitchService   *MonetaryAccountBank `json:"MonetaryAccountSwitchService,omitzero"`   // set for a MonetaryAccountSwitchService
}

// Account returns the kind of account that is set ("MonetaryAccountBank",
// "MonetaryAccountSavings", …) and its fields, or "" and nil.
func (m *MonetaryAccount) Account() (kind string, a *MonetaryAccountBank) {
	switch {
	case m.Bank != nil:
		return "MonetaryAccountBank", m.Bank
	case m.Joint != nil:
		return "MonetaryAccountJoint", m.Joint
	case m.Light != nil:
		return "MonetaryAccountLight", m.Light
	case m.Savings != nil:
		return "MonetaryAccountSavings", m.Savings
	case m.External != nil:
		return "MonetaryAccountExternal", m.External
	case m.ExternalSavings != nil:
		return "MonetaryAccountExternalSavings", m.ExternalSavings
	case m.Investment != nil:
		return "MonetaryAccountInvestment", m.Investment
	case m.Card != nil:
		return "MonetaryAccountCard", m.Card
	case m.SwitchService != nil:
		return "MonetaryAccountSwitchService", m.SwitchService
	}
	return "", nil
}

// ObjectType returns "MonetaryAccount".
func (*MonetaryAccount) ObjectType() string { return "MonetaryAccount" }

func (m *MonetaryAccount) identity() (int64, Time) {
	if _, a := m.Account(); a != nil {
		return a.ID, a.Updated
	}
	return 0, Time{}
}
