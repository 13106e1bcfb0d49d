package bunq

import (
	"encoding/json"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// UserInformationInquiry is a compliance inquiry bunq opens for a user:
// what the USER_INFORMATION_INQUIRY category carries.
type UserInformationInquiry struct {
	ID                    int64                         `json:"id"`                     // id of the inquiry
	Created               Time                          `json:"created"`                // when it was created
	Updated               Time                          `json:"updated"`                // last update
	UserID                int64                         `json:"user_id"`                // the user asked
	Title                 string                        `json:"title"`                  // "We need additional information"
	Subtitle              string                        `json:"subtitle"`               // what the inquiry is for
	Purpose               string                        `json:"purpose"`                // COMPLIANCE_TRANSACTION_MONITORING, …
	AllEntry              []UserInformationInquiryEntry `json:"all_entry"`              // the information requested
	AssistantConversation *AssistantConversation        `json:"assistant_conversation"` // conversation with the user
}

// ObjectType returns "UserInformationInquiry".
func (*UserInformationInquiry) ObjectType() string { return "UserInformationInquiry" }

func (u *UserInformationInquiry) identity() (int64, Time) { return u.ID, u.Updated }

// UserInformationInquiryEntry is one piece of information an inquiry asks
// for. bunq wraps each entry as {"UserInformationInquiryEntry":{…}}; the
// entry decodes from that form or from the bare object and encodes in the
// wrapped form. AllDataSubmitted and Context are kept as raw JSON values.
type UserInformationInquiryEntry struct {
	ID                    int64                  `json:"id"`                     // id of the entry
	Created               Time                   `json:"created"`                // when it was created
	Updated               Time                   `json:"updated"`                // last update
	Type                  string                 `json:"type"`                   // USER_PERSON_SOURCE_OF_FUND, …
	Status                string                 `json:"status"`                 // PENDING, …
	AllDataSubmitted      []jsontext.Value       `json:"all_data_submitted"`     // the data submitted for the entry, as raw JSON
	AssistantConversation *AssistantConversation `json:"assistant_conversation"` // conversation about the entry, when sent
	Context               []jsontext.Value       `json:"context"`                // context of the entry, as raw JSON
	RejectReason          string                 `json:"reject_reason"`          // why it was rejected, if it was
}

// inquiryEntryFields has the entry's fields without its methods.
type inquiryEntryFields UserInformationInquiryEntry

// inquiryEntryWrapper is the wrapped form bunq sends.
type inquiryEntryWrapper struct {
	Entry *inquiryEntryFields `json:"UserInformationInquiryEntry"`
}

// inquiryEntryEither decodes the wrapped form into Entry and the bare
// form into the embedded, inlined fields.
type inquiryEntryEither struct {
	Entry *inquiryEntryFields `json:"UserInformationInquiryEntry"`
	inquiryEntryFields
}

func (w *inquiryEntryEither) entry() UserInformationInquiryEntry {
	if w.Entry != nil {
		return UserInformationInquiryEntry(*w.Entry)
	}
	return UserInformationInquiryEntry(w.inquiryEntryFields)
}

// UnmarshalJSONFrom decodes the wrapped or the bare form.
func (e *UserInformationInquiryEntry) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	var w inquiryEntryEither
	if err := jsonv2.UnmarshalDecode(dec, &w); err != nil {
		return err
	}
	*e = w.entry()
	return nil
}

// UnmarshalJSON is the encoding/json form of UnmarshalJSONFrom.
func (e *UserInformationInquiryEntry) UnmarshalJSON(b []byte) error {
	var w inquiryEntryEither
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*e = w.entry()
	return nil
}

// MarshalJSONTo encodes the wrapped form bunq sends.
func (e UserInformationInquiryEntry) MarshalJSONTo(enc *jsontext.Encoder) error {
	f := inquiryEntryFields(e)
	return jsonv2.MarshalEncode(enc, inquiryEntryWrapper{Entry: &f})
}

// MarshalJSON is the encoding/json form of MarshalJSONTo.
func (e UserInformationInquiryEntry) MarshalJSON() ([]byte, error) {
	f := inquiryEntryFields(e)
	return jsonv2.Marshal(inquiryEntryWrapper{Entry: &f})
}

// AssistantConversation is the conversation in which bunq asks the user
// for information.
type AssistantConversation struct {
	ID                    int64      `json:"id"`                      // id of the conversation
	Created               Time       `json:"created"`                 // when it was created
	Updated               Time       `json:"updated"`                 // last update
	UserID                int64      `json:"user_id"`                 // id of the user
	UserSubjectID         int64      `json:"user_subject_id"`         // id of the subject user
	LabelUser             *LabelUser `json:"label_user"`              // the user, as shown
	AssistantID           int64      `json:"assistant_id"`            // id of the assistant
	Type                  string     `json:"type"`                    // USER_INFORMATION_INQUIRY, …
	TypingIndicatorStatus string     `json:"typing_indicator_status"` // INACTIVE, …
	FeedbackStatus        string     `json:"feedback_status"`         // NONE, …
	ReadStatus            string     `json:"read_status"`             // READ, …
}

var (
	_ json.Marshaler   = UserInformationInquiryEntry{}
	_ json.Unmarshaler = (*UserInformationInquiryEntry)(nil)
)
