package bunq

// AttachmentRef refers to an attachment stored at bunq, as payments,
// requests and draft payments list them.
type AttachmentRef struct {
	ID                int64 `json:"id"`                  // id of the attachment
	MonetaryAccountID int64 `json:"monetary_account_id"` // account it is attached from, when sent
}

// Attachment is a file attached to a request response.
type Attachment struct {
	Description string          `json:"description"`  // description of the attachment
	ContentType string          `json:"content_type"` // content (MIME) type of the file
	URLs        []AttachmentURL `json:"urls"`         // where the file can be downloaded
}

// AttachmentURL is a download address of an image or attachment.
type AttachmentURL struct {
	Type string `json:"type"` // ORIGINAL, …
	URL  string `json:"url"`  // where the attachment can be downloaded
}
