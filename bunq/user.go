package bunq

// User is a bunq user of any kind, keyed by its kind as bunq sends it
// ({"UserPerson":{…}}). Exactly one field is set; [User.Kind] says which.
// Its NotificationFilters (on UserPerson and UserCompany) are the legacy
// callback subscriptions set on the user.
type User struct {
	Person                 *UserPerson                 `json:"UserPerson,omitzero"`                 // set for a natural person
	Company                *UserCompany                `json:"UserCompany,omitzero"`                // set for a company
	APIKey                 *UserAPIKey                 `json:"UserApiKey,omitzero"`                 // set for access granted to another party, such as an OAuth client
	PaymentServiceProvider *UserPaymentServiceProvider `json:"UserPaymentServiceProvider,omitzero"` // set for a payment service provider
}

// Kind returns the key of the kind of user that is set ("UserPerson",
// "UserCompany", "UserApiKey", "UserPaymentServiceProvider"), or "".
func (u *User) Kind() string {
	switch {
	case u.Person != nil:
		return "UserPerson"
	case u.Company != nil:
		return "UserCompany"
	case u.APIKey != nil:
		return "UserApiKey"
	case u.PaymentServiceProvider != nil:
		return "UserPaymentServiceProvider"
	}
	return ""
}

// ObjectType returns "User".
func (*User) ObjectType() string { return "User" }

func (u *User) identity() (int64, Time) {
	switch {
	case u.Person != nil:
		return u.Person.ID, u.Person.Updated
	case u.Company != nil:
		return u.Company.ID, u.Company.Updated
	case u.APIKey != nil:
		return u.APIKey.ID, u.APIKey.Updated
	case u.PaymentServiceProvider != nil:
		return u.PaymentServiceProvider.ID, u.PaymentServiceProvider.Updated
	}
	return 0, Time{}
}

// UserPerson is a natural person's bunq user.
type UserPerson struct {
	ID                                 int64                `json:"id"`                                     // id of the user
	Created                            Time                 `json:"created"`                                // when it was created
	Updated                            Time                 `json:"updated"`                                // last update
	PublicUUID                         string               `json:"public_uuid"`                            // the person's public UUID
	FirstName                          string               `json:"first_name"`                             // first name
	MiddleName                         string               `json:"middle_name"`                            // middle name
	LastName                           string               `json:"last_name"`                              // last name
	LegalName                          string               `json:"legal_name"`                             // legal name
	DisplayName                        string               `json:"display_name"`                           // the name displayed for the person
	PublicNickName                     string               `json:"public_nick_name"`                       // public nickname
	Alias                              []Pointer            `json:"alias"`                                  // the user's aliases (e-mail, phone number, …)
	Avatar                             *Avatar              `json:"avatar"`                                 // the user's avatar
	AddressMain                        *Address             `json:"address_main"`                           // main address
	AddressPostal                      *Address             `json:"address_postal"`                         // postal address
	AddressShipping                    *Address             `json:"address_shipping"`                       // shipping address
	DateOfBirth                        string               `json:"date_of_birth"`                          // "YYYY-MM-DD"
	PlaceOfBirth                       string               `json:"place_of_birth"`                         // place of birth
	CountryOfBirth                     string               `json:"country_of_birth"`                       // ISO 3166-1 alpha-2
	Nationality                        string               `json:"nationality"`                            // ISO 3166-1 alpha-2
	Language                           string               `json:"language"`                               // "en_US"
	Region                             string               `json:"region"`                                 // "nl_NL"
	Gender                             string               `json:"gender"`                                 // MALE, FEMALE, UNKNOWN
	Status                             string               `json:"status"`                                 // ACTIVE, BLOCKED, SIGNUP, RECOVERY, DENIED, ABORTED
	SubStatus                          string               `json:"sub_status"`                             // NONE, FACE_RESET, APPROVAL, APPROVAL_DIRECTOR, APPROVAL_PARENT, APPROVAL_SUPPORT, COUNTER_IBAN, IDEAL, SUBMIT
	SessionTimeout                     int64                `json:"session_timeout"`                        // seconds
	DailyLimitWithoutConfirmationLogin Amount               `json:"daily_limit_without_confirmation_login"` // what the user may pay in a session without being asked for credentials
	VersionTermsOfService              string               `json:"version_terms_of_service"`               // version of the terms of service the user accepted
	NotificationFilters                []NotificationFilter `json:"notification_filters"`                   // legacy callback filters on the user
}

// UserCompany is a company's bunq user.
type UserCompany struct {
	ID                                 int64                `json:"id"`                                     // id of the user
	Created                            Time                 `json:"created"`                                // when it was created
	Updated                            Time                 `json:"updated"`                                // last update
	PublicUUID                         string               `json:"public_uuid"`                            // the company's public UUID
	Name                               string               `json:"name"`                                   // the company name
	DisplayName                        string               `json:"display_name"`                           // the company's display name
	PublicNickName                     string               `json:"public_nick_name"`                       // public nickname
	Alias                              []Pointer            `json:"alias"`                                  // the user's aliases (e-mail, phone number, …)
	Avatar                             *Avatar              `json:"avatar"`                                 // the company's avatar
	AddressMain                        *Address             `json:"address_main"`                           // main address
	AddressPostal                      *Address             `json:"address_postal"`                         // postal address
	AddressShipping                    *Address             `json:"address_shipping"`                       // shipping address
	Country                            string               `json:"country"`                                // ISO 3166-1 alpha-2
	Language                           string               `json:"language"`                               // preferred language, "en_US"
	Region                             string               `json:"region"`                                 // preferred region, "nl_NL"
	ChamberOfCommerceNumber            Identifier           `json:"chamber_of_commerce_number"`             // chamber of commerce number
	LegalForm                          string               `json:"legal_form"`                             // the company's legal form
	TypeOfBusinessEntity               string               `json:"type_of_business_entity"`                // type of business entity
	SectorOfIndustry                   string               `json:"sector_of_industry"`                     // sector of industry
	CounterBankIBAN                    string               `json:"counter_bank_iban"`                      // the company's IBAN at another bank, through which bunq verifies it
	Directors                          []LabelUser          `json:"directors"`                              // bunq aliases of the company's directors
	Status                             string               `json:"status"`                                 // ACTIVE, SIGNUP, RECOVERY
	SubStatus                          string               `json:"sub_status"`                             // NONE, FACE_RESET, APPROVAL, APPROVAL_DIRECTOR, APPROVAL_PARENT, APPROVAL_SUPPORT, COUNTER_IBAN, IDEAL, SUBMIT
	DenyReason                         string               `json:"deny_reason"`                            // why the user was denied, when it was
	SessionTimeout                     int64                `json:"session_timeout"`                        // seconds
	DailyLimitWithoutConfirmationLogin Amount               `json:"daily_limit_without_confirmation_login"` // what the company may pay in a session without being asked for credentials
	VersionTermsOfService              string               `json:"version_terms_of_service"`               // version of the terms of service the user accepted
	NotificationFilters                []NotificationFilter `json:"notification_filters"`                   // legacy callback filters on the user
}

// UserAPIKey is access to a user granted to another party, such as an
// OAuth client.
type UserAPIKey struct {
	ID              int64 `json:"id"`                // id of the user
	Created         Time  `json:"created"`           // when it was created
	Updated         Time  `json:"updated"`           // last update
	RequestedByUser *User `json:"requested_by_user"` // who asked for access
	GrantedByUser   *User `json:"granted_by_user"`   // who granted it
}

// UserPaymentServiceProvider is a payment service provider's bunq user.
type UserPaymentServiceProvider struct {
	ID             int64     `json:"id"`               // id of the user
	Created        Time      `json:"created"`          // when it was created
	Updated        Time      `json:"updated"`          // last update
	PublicUUID     string    `json:"public_uuid"`      // the provider's public UUID
	Name           string    `json:"name"`             // the provider's name
	DisplayName    string    `json:"display_name"`     // the name displayed for the provider
	PublicNickName string    `json:"public_nick_name"` // public nickname
	Alias          []Pointer `json:"alias"`            // the user's aliases
	Avatar         *Avatar   `json:"avatar"`           // the user's avatar
	Status         string    `json:"status"`           // ACTIVE, BLOCKED, DENIED
	SubStatus      string    `json:"sub_status"`       // NONE
}
