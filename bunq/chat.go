package bunq

// ChatMessage is a message in a conversation: what the CHAT and SUPPORT
// categories carry.
type ChatMessage struct {
	ID                int64               `json:"id"`                  // id of the message
	Created           Time                `json:"created"`             // when it was sent
	Updated           Time                `json:"updated"`             // last update
	ConversationID    int64               `json:"conversation_id"`     // the conversation it belongs to
	TicketID          int64               `json:"ticket_id"`           // support ticket, 0 when none
	Creator           *LabelUser          `json:"creator"`             // who wrote it
	DisplayedSender   *LabelUser          `json:"displayed_sender"`    // who it is shown as coming from
	Content           *ChatMessageContent `json:"content"`             // what it says
	ClientMessageUUID string              `json:"client_message_uuid"` // the sending client's UUID for it
}

// ObjectType returns "ChatMessage".
func (*ChatMessage) ObjectType() string { return "ChatMessage" }

func (c *ChatMessage) identity() (int64, Time) { return c.ID, c.Updated }

// ChatMessageAnnouncement is a message from bunq to the user.
type ChatMessageAnnouncement struct {
	ID                int64               `json:"id"`                  // id of the message
	Created           Time                `json:"created"`             // when it was sent
	Updated           Time                `json:"updated"`             // last update
	ConversationID    int64               `json:"conversation_id"`     // the conversation it belongs to
	Creator           *LabelUser          `json:"creator"`             // who wrote it
	DisplayedSender   *LabelUser          `json:"displayed_sender"`    // who it is shown as coming from
	Content           *ChatMessageContent `json:"content"`             // what it says
	ClientMessageUUID string              `json:"client_message_uuid"` // the sending client's UUID for it
}

// ObjectType returns "ChatMessageAnnouncement".
func (*ChatMessageAnnouncement) ObjectType() string { return "ChatMessageAnnouncement" }

func (c *ChatMessageAnnouncement) identity() (int64, Time) { return c.ID, c.Updated }

// ChatMessageContent is the content of a chat message, keyed by its kind
// as bunq sends it ({"ChatMessageContentText":{"text":"…"}}). At most one
// field is set; kinds not modelled here leave all fields nil.
type ChatMessageContent struct {
	Text       *ChatMessageContentText       `json:"ChatMessageContentText,omitzero"`       // set for a text message
	Attachment *ChatMessageContentAttachment `json:"ChatMessageContentAttachment,omitzero"` // set for a message carrying a file
}

// ChatMessageContentText is a text message.
type ChatMessageContentText struct {
	Text string `json:"text"` // the message text
}

// ChatMessageContentAttachment is a message carrying a file.
type ChatMessageContentAttachment struct {
	Attachment *Attachment `json:"attachment"` // the attached file
}
