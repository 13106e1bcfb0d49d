package inspect

import (
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/cmd/bankhook/internal/redact"
)

// Detail is one delivery as the detail view shows it: GET
// /deliveries/{id}. Credentials are hidden: the URL token and any
// Authorization, Proxy-Authorization or Cookie header.
type Detail struct {
	// Delivery is the delivery's summary, as the list shows it.
	Delivery Summary `json:"delivery"`
	// Kept is false once the request and the answer were given up for
	// the byte budget: then only Delivery is set.
	Kept bool `json:"kept"`
	// Request is the request as received.
	Request *RequestView `json:"request,omitzero"`
	// Answer is what the sender was answered.
	Answer *AnswerView `json:"answer,omitzero"`
	// Cause is a rejection's internal cause: logged, never sent to the
	// sender.
	Cause string `json:"cause,omitzero"`
	// Event is what the typed event is: category, type, object, amounts.
	// Nil when the body did not decode (or was not read).
	Event *EventView `json:"event,omitzero"`
	// Line is the event's output line, pretty-printed; "" when nothing
	// decoded.
	Line string `json:"line,omitzero"`
	// LineNote says whether Line was written to the output, and why not.
	LineNote string `json:"line_note,omitzero"`
	// Replayable tells whether Replay can send the request again.
	Replayable bool `json:"replayable"`
	// ReplayNote says why Replay cannot.
	ReplayNote string `json:"replay_note,omitzero"`
}

// RequestView is a request as the detail view shows it.
type RequestView struct {
	// Method is the request's method: "POST".
	Method string `json:"method"`
	// URL is the request URI with the token hidden: "/bunq?token=REDACTED".
	URL string `json:"url"`
	// Headers are the request's headers in name order, Host first, with
	// credentials hidden.
	Headers []HeaderView `json:"headers"`
	// Body is the body as the pipeline read it, pretty-printed when it is
	// JSON (strings and numbers exactly as sent); "" when BodyNote says
	// it was not read.
	Body string `json:"body"`
	// BodyNote says why there is no body: the pipeline did not read it.
	BodyNote string `json:"body_note,omitzero"`
}

// AnswerView is an answer as the detail view shows it.
type AnswerView struct {
	// Status is the status answered, 0 when the handler panicked and
	// the connection was dropped.
	Status int `json:"status"`
	// StatusText is the status's reason phrase: "Unauthorized".
	StatusText string `json:"status_text"`
	// Headers are the answer's headers in name order.
	Headers []HeaderView `json:"headers"`
	// Body is the answer's body, pretty-printed when it is JSON: the
	// problem+json document of a rejection.
	Body string `json:"body"`
	// Truncated is true when the body was longer than the 64 KiB kept.
	Truncated bool `json:"truncated,omitzero"`
}

// HeaderView is one header line.
type HeaderView struct {
	Name  string `json:"name"`  // canonical: "Content-Type"
	Value string `json:"value"` // one value; a header sent twice is two lines
}

// newDetail returns the detail view of a delivery whose kept part is k
// (nil when given up).
func newDetail(s Summary, k *kept, tokenParam string) Detail {
	d := Detail{Delivery: s, Kept: k != nil}
	if k == nil {
		d.ReplayNote = "the request is no longer kept"
		return d
	}
	req := &RequestView{
		Method:  k.method,
		URL:     redact.Query(k.requestURI, tokenParam),
		Headers: append([]HeaderView{{"Host", k.host}}, headerLines(redact.Header(k.header))...),
	}
	if k.bodyRead {
		req.Body = pretty(k.body)
	} else {
		req.BodyNote = "not read: the pipeline answered before reading the body"
	}
	d.Request = req
	d.Answer = &AnswerView{
		Status:     s.Status,
		StatusText: http.StatusText(s.Status),
		Headers:    headerLines(k.answerHeader),
		Body:       pretty(k.answerBody),
		Truncated:  k.answerTruncated,
	}
	d.Cause = k.cause
	d.Event = k.event
	if k.line != nil {
		d.Line = pretty(k.line)
		d.LineNote = lineNote(s, k)
	}
	d.Replayable = k.bodyRead
	if !k.bodyRead {
		d.ReplayNote = "rejected before its body was read: there is no body to replay"
	}
	return d
}

// lineNote says what became of a delivery's output line.
func lineNote(s Summary, k *kept) string {
	switch {
	case k.lineWritten && bankhook.Acknowledged(s.Status):
		return "written to the output before the bank was answered"
	case k.lineWritten:
		return "not acknowledged (" + strconv.Itoa(s.Status) + " " + s.Reason + "): the bank delivers the event again"
	case s.Replayed:
		return "not written again: a duplicate of an event already handled"
	default:
		return "not written: the delivery was rejected (" + s.Reason + ")"
	}
}

// headerLines returns h's lines in name order.
func headerLines(h http.Header) []HeaderView {
	lines := make([]HeaderView, 0, len(h))
	for _, name := range slices.Sorted(maps.Keys(h)) {
		for _, v := range h[name] {
			lines = append(lines, HeaderView{name, v})
		}
	}
	return lines
}

// pretty indents b when it is JSON, keeping its strings and numbers
// exactly as they were written; anything else is returned as text, with
// invalid UTF-8 replaced.
func pretty(b []byte) string {
	v := jsontext.Value(b).Clone()
	if err := v.Indent(jsontext.WithIndent("  "), jsontext.AllowInvalidUTF8(false)); err != nil {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return string(v)
}
