package bunq

// LabelUser is the public face of a bunq user as it appears on another
// object: name, country and avatar. bunq's "000" country means unknown.
//
// Nested objects that bunq may send as null are pointers and are nil then.
type LabelUser struct {
	UUID           string  `json:"uuid"`             // public UUID of the user; "" for non-bunq parties
	DisplayName    string  `json:"display_name"`     // name as given on the object
	Country        string  `json:"country"`          // ISO 3166-1 alpha-2, or "000" for unknown
	Avatar         *Avatar `json:"avatar"`           // current avatar; nil when absent
	PublicNickName string  `json:"public_nick_name"` // current public nickname
	Type           string  `json:"type"`             // PERSON, COMPANY, …; "" when not sent
}

// LabelMonetaryAccount is the public face of a monetary account on another
// object: the alias and counterparty alias of a payment, for example.
type LabelMonetaryAccount struct {
	IBAN                      string     `json:"iban"`                        // IBAN of the account; "" for card merchants
	DisplayName               string     `json:"display_name"`                // name shown with the account
	Avatar                    *Avatar    `json:"avatar"`                      // avatar of the account; nil when absent
	LabelUser                 *LabelUser `json:"label_user"`                  // the user the account belongs to
	Country                   string     `json:"country"`                     // ISO 3166-1 alpha-2
	BunqMe                    *Pointer   `json:"bunq_me"`                     // bunq.me pointer, when there is one
	IsLight                   bool       `json:"is_light"`                    // whether the account is a light account
	SwiftBIC                  string     `json:"swift_bic"`                   // BIC used for a SWIFT payment
	SwiftAccountNumber        string     `json:"swift_account_number"`        // account number used for a SWIFT payment
	TransferwiseAccountNumber string     `json:"transferwise_account_number"` // account number used for a Transferwise payment
	TransferwiseBankCode      string     `json:"transferwise_bank_code"`      // bank code used for a Transferwise payment
	MerchantCategoryCode      Identifier `json:"merchant_category_code"`      // MCC of a card merchant, "5411"
}

// LabelCard is the public face of a card on a card transaction.
type LabelCard struct {
	UUID       string     `json:"uuid"`        // public UUID of the card
	Type       string     `json:"type"`        // MAESTRO, MASTERCARD, …
	SecondLine string     `json:"second_line"` // second line printed on the card
	ExpiryDate string     `json:"expiry_date"` // "YYYY-MM-DD"
	Status     string     `json:"status"`      // ACTIVE, DEACTIVATED, …
	LabelUser  *LabelUser `json:"label_user"`  // the card's owner
}

// Avatar is an image that represents a user or an account.
type Avatar struct {
	UUID       string  `json:"uuid"`        // public UUID of the avatar
	AnchorUUID string  `json:"anchor_uuid"` // public UUID of the object the avatar belongs to
	Image      []Image `json:"image"`       // the image in its sizes
	Style      string  `json:"style"`       // style, when it applies ("NONE")
}

// Image is one rendition of an avatar.
type Image struct {
	AttachmentPublicUUID string          `json:"attachment_public_uuid"` // public attachment holding the image
	ContentType          string          `json:"content_type"`           // MIME type, "image/png"
	Height               int             `json:"height"`                 // pixels
	Width                int             `json:"width"`                  // pixels
	URLs                 []AttachmentURL `json:"urls"`                   // where the file can be downloaded
}

// Pointer is an alias of a user or account: an IBAN, e-mail address or
// phone number.
type Pointer struct {
	Type    string `json:"type"`    // EMAIL, PHONE_NUMBER, IBAN, …
	Value   string `json:"value"`   // the alias itself
	Name    string `json:"name"`    // name that goes with the alias
	Service string `json:"service"` // pointer service, for external counterparties
}
