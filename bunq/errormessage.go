package bunq

// ErrorMessage is an error message bunq attaches to a failed object.
type ErrorMessage struct {
	ErrorDescription           string `json:"error_description"`            // in English
	ErrorDescriptionTranslated string `json:"error_description_translated"` // in the user's language
}
