package bunq

// User is a bunq user of any kind, keyed by its kind as bunq sends it
// ({"UserPerson":{…}}). Exactly one field is set; [User.Kind] says which.
// Its NotificationFilters (on UserPerson and UserCompany) are the legacy
// callback subscriptions set on the user.
type User struct {
	Person                 *UserPerson                 `json:"UserPerson,omitzero"`
	Company                *UserCompany                `json:"UserCompany,omitzero"`
	APIKey                 *UserAPIKey                 `json:"UserApiKey,omitzero"`
	PaymentServiceProvider *UserPaymentServiceProvider `json:"UserPaymentServiceProvider,omitzero"`
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
	ID                                 int64                `json:"id"`
	Created                            Time                 `json:"created"`
	Updated                            Time                 `json:"updated"`
	PublicUUID                         string               `json:"public_uuid"`
	FirstName                          string               `json:"first_name"`
	MiddleName                         string               `json:"middle_name"`
	LastName                           string               `json:"last_name"`
	LegalName                          string               `json:"legal_name"`
	DisplayName                        string               `json:"display_name"`
	PublicNickName                     string               `json:"public_nick_name"`
	Alias                              []Pointer            `json:"alias"`
	Avatar                             *Avatar              `json:"avatar"`
	AddressMain                        *Address             `json:"address_main"`
	AddressPostal                      *Address             `json:"address_postal"`
	AddressShipping                    *Address             `json:"address_shipping"`
	DateOfBirth                        string               `json:"date_of_birth"` // "YYYY-MM-DD"
	PlaceOfBirth                       string               `json:"place_of_birth"`
	CountryOfBirth                     string               `json:"country_of_birth"` // ISO 3166-1 alpha-2
	Nationality                        string               `json:"nationality"`      // ISO 3166-1 alpha-2
	Language                           string               `json:"language"`         // "en_US"
	Region                             string               `json:"region"`           // "nl_NL"
	Gender                             string               `json:"gender"`           // MALE, FEMALE, UNKNOWN
	Status                             string               `json:"status"`           // ACTIVE, BLOCKED, SIGNUP, RECOVERY, DENIED, ABORTED
	SubStatus                          string               `json:"sub_status"`
	SessionTimeout                     int64                `json:"session_timeout"` // seconds
	DailyLimitWithoutConfirmationLogin Amount               `json:"daily_limit_without_confirmation_login"`
	VersionTermsOfService              string               `json:"version_terms_of_service"`
	NotificationFilters                []NotificationFilter `json:"notification_filters"` // legacy callback filters on the user
}

// UserCompany is a company's bunq user.
type UserCompany struct {
	ID                                 int64                `json:"id"`
	Created                            Time                 `json:"created"`
	Updated                            Time                 `json:"updated"`
	PublicUUID                         string               `json:"public_uuid"`
	Name                               string               `json:"name"`
	DisplayName                        string               `json:"display_name"`
	PublicNickName                     string               `json:"public_nick_name"`
	Alias                              []Pointer            `json:"alias"`
	Avatar                             *Avatar              `json:"avatar"`
	AddressMain                        *Address             `json:"address_main"`
	AddressPostal                      *Address             `json:"address_postal"`
	AddressShipping                    *Address             `json:"address_shipping"`
	Country                            string               `json:"country"` // ISO 3166-1 alpha-2
	Language                           string               `json:"language"`
	Region                             string               `json:"region"`
	ChamberOfCommerceNumber            Identifier           `json:"chamber_of_commerce_number"`
	LegalForm                          string               `json:"legal_form"`
	TypeOfBusinessEntity               string               `json:"type_of_business_entity"`
	SectorOfIndustry                   string               `json:"sector_of_industry"`
	CounterBankIBAN                    string               `json:"counter_bank_iban"`
	Directors                          []LabelUser          `json:"directors"`
	Status                             string               `json:"status"` // ACTIVE, SIGNUP, RECOVERY
	SubStatus                          string               `json:"sub_status"`
	DenyReason                         string               `json:"deny_reason"`
	SessionTimeout                     int64                `json:"session_timeout"` // seconds
	DailyLimitWithoutConfirmationLogin Amount               `json:"daily_limit_without_confirmation_login"`
	VersionTermsOfService              string               `json:"version_terms_of_service"`
	NotificationFilters                []NotificationFilter `json:"notification_filters"` // legacy callback filters on the user
}

// UserAPIKey is access to a user granted to another party, such as an
// OAuth client.
type UserAPIKey struct {
	ID              int64 `json:"id"`
	Created         Time  `json:"created"`
	Updated         Time  `json:"updated"`
	RequestedByUser *User `json:"requested_by_user"` // who asked for access
	GrantedByUser   *User `json:"granted_by_user"`   // who granted it
}

// UserPaymentServiceProvider is a payment service provider's bunq user.
type UserPaymentServiceProvider struct {
	ID             int64     `json:"id"`
	Created        Time      `json:"created"`
	Updated        Time      `json:"updated"`
	PublicUUID     string    `json:"public_uuid"`
	Name           string    `json:"name"`
	DisplayName    string    `json:"display_name"`
	PublicNickName string    `json:"public_nick_name"`
	Alias          []Pointer `json:"alias"`
	Avatar         *Avatar   `json:"avatar"`
	Status         string    `json:"status"`
	SubStatus      string    `json:"sub_status"`
}
