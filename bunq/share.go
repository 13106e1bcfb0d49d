package bunq

// ShareInviteBankInquiry is an invitation to share a monetary account (a
// "Connect"), as its sender sees it: what the SHARE category carries.
type ShareInviteBankInquiry struct {
	ID                     int64                 `json:"id"`                         // id of the invitation
	Created                Time                  `json:"created"`                    // when it was created
	Updated                Time                  `json:"updated"`                    // last update
	Alias                  *LabelMonetaryAccount `json:"alias"`                      // the account shared
	UserAliasCreated       *LabelUser            `json:"user_alias_created"`         // who created the share
	UserAliasRevoked       *LabelUser            `json:"user_alias_revoked"`         // who revoked it
	CounterUserAlias       *LabelUser            `json:"counter_user_alias"`         // who it is shared with
	MonetaryAccountID      int64                 `json:"monetary_account_id"`        // the account shared
	DraftShareInviteBankID int64                 `json:"draft_share_invite_bank_id"` // draft it came from, 0 when none
	ShareType              string                `json:"share_type"`                 // STANDARD, MUTUAL
	Status                 string                `json:"status"`                     // PENDING, ACTIVE, REVOKED, REJECTED, …
	AccessType             string                `json:"access_type"`                // VIEW_BALANCE, VIEW_TRANSACTION, DRAFT_PAYMENT, FULL_TRANSIENT
	Relationship           string                `json:"relationship"`               // COMPANY_DIRECTOR, COMPANY_EMPLOYEE, …
	ShareDetail            *ShareDetail          `json:"share_detail"`               // what the share allows
	StartDate              Time                  `json:"start_date"`                 // when the share starts
	EndDate                Time                  `json:"end_date"`                   // when it ends
}

// ObjectType returns "ShareInviteBankInquiry".
func (*ShareInviteBankInquiry) ObjectType() string { return "ShareInviteBankInquiry" }

func (s *ShareInviteBankInquiry) identity() (int64, Time) { return s.ID, s.Updated }

// ShareInviteBankResponse is an invitation to share a monetary account, as
// its recipient sees it.
type ShareInviteBankResponse struct {
	ID                     int64                 `json:"id"`                         // id of the response
	Created                Time                  `json:"created"`                    // when it was created
	Updated                Time                  `json:"updated"`                    // last update
	CounterAlias           *LabelMonetaryAccount `json:"counter_alias"`              // who shares the account
	UserAliasCancelled     *LabelUser            `json:"user_alias_cancelled"`       // who cancelled it
	MonetaryAccountID      int64                 `json:"monetary_account_id"`        // the shared account once ACCEPTED, else 0
	DraftShareInviteBankID int64                 `json:"draft_share_invite_bank_id"` // draft it came from, 0 when none
	CardID                 int64                 `json:"card_id"`                    // card linked to the share, 0 when none
	Description            string                `json:"description"`                // the shared account's description
	ShareType              string                `json:"share_type"`                 // STANDARD, MUTUAL
	Status                 string                `json:"status"`                     // PENDING, ACTIVE, REVOKED, REJECTED, …
	AccessType             string                `json:"access_type"`                // VIEW_BALANCE, VIEW_TRANSACTION, DRAFT_PAYMENT, FULL_TRANSIENT
	ShareDetail            *ShareDetail          `json:"share_detail"`               // what the share allows
	StartDate              Time                  `json:"start_date"`                 // when the share starts
	EndDate                Time                  `json:"end_date"`                   // when it ends
}

// ObjectType returns "ShareInviteBankResponse".
func (*ShareInviteBankResponse) ObjectType() string { return "ShareInviteBankResponse" }

func (s *ShareInviteBankResponse) identity() (int64, Time) { return s.ID, s.Updated }

// ShareDetail is what a share allows; exactly one field is set, keyed as
// bunq sends it ({"ShareDetailPayment":{…}}).
type ShareDetail struct {
	Payment      *ShareDetailPayment      `json:"ShareDetailPayment,omitzero"`      // set for a share that allows payments
	ReadOnly     *ShareDetailReadOnly     `json:"ShareDetailReadOnly,omitzero"`     // set for a share that only allows viewing
	DraftPayment *ShareDetailDraftPayment `json:"ShareDetailDraftPayment,omitzero"` // set for a share that allows draft payments
}

// ShareDetailPayment is a share that allows payments.
type ShareDetailPayment struct {
	MakePayments      bool               `json:"make_payments"`       // the invited user may make payments from the account
	MakeDraftPayments bool               `json:"make_draft_payments"` // the invited user may make draft payments from the account
	ViewBalance       bool               `json:"view_balance"`        // the invited user may view the balance
	ViewOldEvents     bool               `json:"view_old_events"`     // the invited user may view events from before the share was active
	ViewNewEvents     bool               `json:"view_new_events"`     // the invited user may view events from when the share became active
	Budget            *BudgetRestriction `json:"budget"`              // spending budget, nil when unlimited
}

// ShareDetailReadOnly is a share that only allows viewing.
type ShareDetailReadOnly struct {
	ViewBalance   bool `json:"view_balance"`    // the invited user may view the balance
	ViewOldEvents bool `json:"view_old_events"` // the invited user may view events from before the share was active
	ViewNewEvents bool `json:"view_new_events"` // the invited user may view events from when the share became active
}

// ShareDetailDraftPayment is a share that allows draft payments.
type ShareDetailDraftPayment struct {
	MakeDraftPayments bool `json:"make_draft_payments"` // the invited user may make draft payments from the account
	ViewBalance       bool `json:"view_balance"`        // the invited user may view the balance
	ViewOldEvents     bool `json:"view_old_events"`     // the invited user may view events from before the share was active
	ViewNewEvents     bool `json:"view_new_events"`     // the invited user may view events from when the share became active
}

// BudgetRestriction limits what a share may spend per period.
type BudgetRestriction struct {
	Amount    Amount `json:"amount"`    // the budget
	Frequency string `json:"frequency"` // ONCE, DAILY, WEEKLY, MONTHLY, YEARLY
}
