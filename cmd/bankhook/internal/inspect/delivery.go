package inspect

import (
	"net/http"
	"strconv"
	"time"

	"github.com/go-json-experiment/json"
)

// Summary is one delivery as the list shows it, and the JSON of each
// "delivery" event of the stream and of GET /deliveries.
type Summary struct {
	// ID numbers the deliveries of this process from 1, in the order
	// they were answered.
	ID uint64 `json:"id,omitzero"`
	// Time is when the delivery arrived.
	Time time.Time `json:"time"`
	// Bank is the endpoint's bank: "bunq" or "bankhub".
	Bank string `json:"bank"`
	// Sender is the address the pipeline judged (after a trusted proxy's
	// X-Forwarded-For), "" when it never got that far.
	Sender string `json:"sender"`
	// Status is the HTTP status answered.
	Status int `json:"status"`
	// Reason is the rejection's reason ("bad_token"), "" for an
	// acknowledged delivery.
	Reason string `json:"reason,omitzero"`
	// IdempotencyKey is the event's key, once the pipeline computed it.
	IdempotencyKey string `json:"idempotency_key,omitzero"`
	// Replayed is true when the answer came from the dedupe store
	// (Idempotent-Replayed: true): a duplicate of a handled event.
	Replayed bool `json:"replayed"`
	// DurationMS is how long the answer took, in milliseconds.
	DurationMS float64 `json:"duration_ms"`
	// Via says where the request came from: "" for the network, "replay"
	// for the Replay action, "sample" for Send sample.
	Via string `json:"via,omitzero"`
	// ReplayOf is the id of the delivery a replay repeated.
	ReplayOf uint64 `json:"replay_of,omitzero"`
	// Sample is the name of the sample Send sample sent.
	Sample string `json:"sample,omitzero"`
}

// Amount is one sum of money of a typed event, as its type prints it.
type Amount struct {
	// Field is the member the amount is in: "amount",
	// "balance_after_mutation".
	Field string `json:"field"`
	// Text is the amount exactly as decoded: "-24.95 EUR".
	Text string `json:"text"`
}

// EventView is what the detail view says about a typed event: the
// output line's category, event_type and object_type, and its amounts.
type EventView struct {
	Category   string   `json:"category"`    // bunq's category, bankHub's webhookType
	EventType  string   `json:"event_type"`  // bunq's event_type, bankHub's webhookCode
	ObjectType string   `json:"object_type"` // bunq's object type, the kind of a bankHub event
	Amounts    []Amount `json:"amounts"`     // the sums of money it carries, as decoded
}

// kept is what the detail view and Replay need of a delivery: the request
// as received and the answer as sent. It never changes once kept.
type kept struct {
	method     string
	requestURI string // with the token: a replay needs it
	host       string
	remoteAddr string
	header     http.Header // as received, credentials included
	body       []byte      // as the pipeline read it; shared with the pipeline, never modified
	bodyRead   bool        // false: the pipeline answered before reading the body

	answerHeader    http.Header
	answerBody      []byte // at most maxAnswer bytes
	answerTruncated bool

	cause       string     // the rejection's internal cause, never sent to the sender
	event       *EventView // nil when nothing decoded
	line        []byte     // the output line, nil when there is none
	lineWritten bool       // the sink built line for this delivery
}

// maxAnswer bounds how much of an answer's body is kept: bankhook's
// answers are a short problem document or nothing.
const maxAnswer = 64 << 10

// size estimates the memory k holds, for the byte budget.
func (k *kept) size() int64 {
	n := len(k.method) + len(k.requestURI) + len(k.host) + len(k.remoteAddr) +
		len(k.body) + len(k.answerBody) + len(k.cause) + len(k.line)
	for _, h := range []http.Header{k.header, k.answerHeader} {
		for name, vs := range h {
			n += len(name)
			for _, v := range vs {
				n += len(v)
			}
		}
	}
	if k.event != nil {
		n += len(k.event.Category) + len(k.event.EventType) + len(k.event.ObjectType)
		for _, a := range k.event.Amounts {
			n += len(a.Field) + len(a.Text)
		}
	}
	return int64(n)
}

// delivery is one request to a bank endpoint as the inspector keeps it.
// Only the ring changes it once kept: it sets the id and gives up kept.
type delivery struct {
	summary Summary
	data    []byte // summary's JSON without the id, encoded before it was kept
	frame   []byte // the stream's "delivery" event
	kept    *kept  // nil once given up for the byte budget
	size    int64  // kept's size
}

// newDelivery returns the delivery of s and k, encoding s for the
// streams.
func newDelivery(s Summary, k *kept) *delivery {
	s.ID = 0
	data, err := json.Marshal(s)
	if err != nil { // a Summary always encodes
		panic("inspect: encode summary: " + err.Error())
	}
	return &delivery{summary: s, data: data, kept: k, size: k.size()}
}

// frame returns the stream's event for the delivery id whose summary
// without the id is data ({"time":…}): its id (boot-id, what the browser
// sends back as Last-Event-ID) and the summary with the id first.
func frame(boot string, id uint64, data []byte) []byte {
	n := strconv.FormatUint(id, 10)
	f := make([]byte, 0, len(data)+2*len(n)+len(boot)+48)
	f = append(f, "id: "...)
	f = append(f, boot...)
	f = append(f, '-')
	f = append(f, n...)
	f = append(f, "\nevent: delivery\ndata: {\"id\":"...)
	f = append(f, n...)
	f = append(f, ',')
	f = append(f, data[1:]...)
	return append(f, "\n\n"...)
}
