package bunq

// BunqMeTab is a bunq.me tab, an open payment request that anyone with the
// link can pay: what the BUNQME_TAB category carries.
type BunqMeTab struct {
	ID                   int64                    `json:"id"`                     // id of the tab
	Created              Time                     `json:"created"`                // when it was created
	Updated              Time                     `json:"updated"`                // last update
	TimeExpiry           Time                     `json:"time_expiry"`            // when it expired or expires
	MonetaryAccountID    int64                    `json:"monetary_account_id"`    // the account it was sent from
	Status               string                   `json:"status"`                 // WAITING_FOR_PAYMENT, CANCELLED, EXPIRED
	Type                 string                   `json:"type"`                   // BUNQ_ME
	AliasMonetaryAccount *LabelMonetaryAccount    `json:"alias_monetary_account"` // who created the tab
	BunqmeTabShareURL    string                   `json:"bunqme_tab_share_url"`   // the bunq.me page
	BunqmeTabEntry       *BunqMeTabEntry          `json:"bunqme_tab_entry"`       // the payment information
	BunqmeTabEntries     []BunqMeTabEntry         `json:"bunqme_tab_entries"`     // entries attached to the tab
	ResultInquiries      []BunqMeTabResultInquiry `json:"result_inquiries"`       // payments made so far
	EventID              int64                    `json:"event_id"`               // id of the related split event
}

// ObjectType returns "BunqMeTab".
func (*BunqMeTab) ObjectType() string { return "BunqMeTab" }

func (b *BunqMeTab) identity() (int64, Time) { return b.ID, b.Updated }

// BunqMeTabEntry is the payment information of a bunq.me tab.
type BunqMeTabEntry struct {
	UUID              string                    `json:"uuid"`                // UUID of the bunq.me
	Created           Time                      `json:"created"`             // when it was created
	Updated           Time                      `json:"updated"`             // last update
	AmountInquired    Amount                    `json:"amount_inquired"`     // the amount requested
	Status            string                    `json:"status"`              // WAITING_FOR_PAYMENT, CANCELLED, EXPIRED
	Description       string                    `json:"description"`         // up to 9000 characters
	Alias             *LabelMonetaryAccount     `json:"alias"`               // who created it
	RedirectURL       string                    `json:"redirect_url"`        // where the payer goes after paying
	MerchantAvailable []BunqMeMerchantAvailable `json:"merchant_available"`  // payment methods on offer
	InviteProfileName string                    `json:"invite_profile_name"` // set when the user has enabled their invite link
}

// BunqMeMerchantAvailable says whether a payment method is on offer.
type BunqMeMerchantAvailable struct {
	MerchantType string `json:"merchant_type"` // IDEAL, SOFORT, …
	Available    bool   `json:"available"`     // whether the method is available for the user
}

// BunqMeTabResultInquiry is one payment made for a bunq.me tab, as the
// tab's owner sees it.
type BunqMeTabResultInquiry struct {
	Payment     *Payment `json:"payment"`        // the payment made for the tab
	BunqMeTabID int64    `json:"bunq_me_tab_id"` // the tab it belongs to
}

// ObjectType returns "BunqMeTabResultInquiry".
func (*BunqMeTabResultInquiry) ObjectType() string { return "BunqMeTabResultInquiry" }

// identity: a result inquiry has no id of its own; the key falls back to
// its content.
func (*BunqMeTabResultInquiry) identity() (int64, Time) { return 0, Time{} }

// BunqMeTabResultResponse is a bunq.me tab paid from the user's account.
type BunqMeTabResultResponse struct {
	Payment *Payment `json:"payment"` // the payment made for the tab
}

// ObjectType returns "BunqMeTabResultResponse".
func (*BunqMeTabResultResponse) ObjectType() string { return "BunqMeTabResultResponse" }

func (*BunqMeTabResultResponse) identity() (int64, Time) { return 0, Time{} }

// BunqMeFundraiserResult holds the payments made to a bunq.me fundraiser
// profile.
type BunqMeFundraiserResult struct {
	ID                      int64                    `json:"id"`                        // id of the result
	Created                 Time                     `json:"created"`                   // when it was created
	Updated                 Time                     `json:"updated"`                   // last update
	BunqmeFundraiserProfile *BunqMeFundraiserProfile `json:"bunqme_fundraiser_profile"` // the profile paid to
	Payments                []Payment                `json:"payments"`                  // the payments made
}

// ObjectType returns "BunqMeFundraiserResult".
func (*BunqMeFundraiserResult) ObjectType() string { return "BunqMeFundraiserResult" }

func (b *BunqMeFundraiserResult) identity() (int64, Time) { return b.ID, b.Updated }

// BunqMeFundraiserProfile is a user's public bunq.me page.
type BunqMeFundraiserProfile struct {
	Pointer           *Pointer                  `json:"pointer"`             // the bunq.me URL
	Color             string                    `json:"color"`               // hexadecimal colour
	Alias             *LabelMonetaryAccount     `json:"alias"`               // who owns the profile
	Currency          string                    `json:"currency"`            // currency of the receiving account
	Description       string                    `json:"description"`         // description of the profile
	Status            string                    `json:"status"`              // ACTIVE, DEACTIVATED
	RedirectURL       string                    `json:"redirect_url"`        // where the payer goes after paying
	InviteProfileName string                    `json:"invite_profile_name"` // set when the user has enabled their invite link
	MerchantAvailable []BunqMeMerchantAvailable `json:"merchant_available"`  // payment methods on offer
}
