package bunq

// UserOnboarding is the onboarding of a user a bunq partner provisioned:
// what the USER_ONBOARDING category carries (event
// USER_ONBOARDING_UPDATED). bunq sends it only when ActionRequired
// changes, so each callback says who must act next.
type UserOnboarding struct {
	ID             int64  `json:"id"`              // id of the onboarding
	Created        Time   `json:"created"`         // when it was created
	Updated        Time   `json:"updated"`         // last update
	UserID         int64  `json:"user_id"`         // the user being onboarded
	Status         string `json:"status"`          // VERIFIED, …
	ActionRequired string `json:"action_required"` // NONE (nothing pending), USER (the user must act) or SYSTEM (bunq is processing)
	WaitingType    string `json:"waiting_type"`    // AUTOMATED or MANUAL
}

// ObjectType returns "UserOnboarding".
func (*UserOnboarding) ObjectType() string { return "UserOnboarding" }

func (u *UserOnboarding) identity() (int64, Time) { return u.ID, u.Updated }
