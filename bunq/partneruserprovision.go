package bunq

// PartnerUserProvision is the provisioning of a user by a bunq partner:
// what the PARTNER_USER_PROVISION category carries. OAuthRequest and
// Credential are what the partner needs to act for the user.
type PartnerUserProvision struct {
	ID             int64         `json:"id"`              // id of the provisioning
	Created        Time          `json:"created"`         // when it was created
	Updated        Time          `json:"updated"`         // last update
	ExternalUUID   Identifier    `json:"external_uuid"`   // the partner's own reference
	Status         string        `json:"status"`          // ACTIVE, …
	SubStatus      string        `json:"sub_status"`      // NONE, …
	ActionRequired string        `json:"action_required"` // NONE, or what the partner must do
	Products       []string      `json:"products"`        // products provisioned
	LabelUser      *LabelUser    `json:"label_user"`      // the provisioned user
	OAuthRequest   *OAuthRequest `json:"oauth_request"`   // the OAuth grant for the partner
	Credential     *Credential   `json:"credential"`      // a credential for the user's first login
}

// ObjectType returns "PartnerUserProvision".
func (*PartnerUserProvision) ObjectType() string { return "PartnerUserProvision" }

func (p *PartnerUserProvision) identity() (int64, Time) { return p.ID, p.Updated }

// OAuthRequest is an OAuth authorisation request and its outcome.
type OAuthRequest struct {
	UUID                   string     `json:"uuid"`                      // UUID of the request
	Created                Time       `json:"created"`                   // when it was created
	Updated                Time       `json:"updated"`                   // last update
	OAuthClientID          int64      `json:"oauth_client_id"`           // id of the OAuth client asking for access
	OAuthClientDisplayName string     `json:"oauth_client_display_name"` // display name of the OAuth client, when sent
	ResponseType           string     `json:"response_type"`             // "code"
	CallbackURL            string     `json:"callback_url"`              // the OAuth client's callback URL
	Status                 string     `json:"status"`                    // ACCEPTED, …
	State                  string     `json:"state"`                     // the client's OAuth state string, passed back on completion; "" when none
	AuthorizationCode      string     `json:"authorization_code"`        // to exchange for an access token
	UserAliasCreated       *LabelUser `json:"user_alias_created"`        // who created the request
	RedirectURL            string     `json:"redirect_url"`              // the URL the user is redirected to
	Type                   string     `json:"type"`                      // BUNQ, …
}

// Credential is a login credential bunq issued for a provisioned user.
// TokenValue is a secret: do not log it.
type Credential struct {
	ID              int64            `json:"id"`               // id of the credential
	Created         Time             `json:"created"`          // when it was created
	Updated         Time             `json:"updated"`          // last update
	Status          string           `json:"status"`           // PENDING_FIRST_USE, …
	ExpiryTime      Time             `json:"expiry_time"`      // when it expires
	TokenValue      string           `json:"token_value"`      // the secret token
	PermittedDevice *PermittedDevice `json:"permitted_device"` // the device that may use it; nil when not sent
}

// PermittedDevice is the device a credential is bound to.
type PermittedDevice struct {
	Description string `json:"description"` // description of the device that may use the credential
	IP          string `json:"ip"`          // IP address of the device that may use the credential
}
