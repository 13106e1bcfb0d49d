package bunq

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// NotificationFilterFailure is a callback bunq gave up on after its sixth
// attempt, as listed by GET /v1/user/{userID}/notification-filter-failure.
// Category and ObjectID tell which event failed, [NotificationFilterFailure.Target]
// where it was sent; ID is what [RetryFailuresBody] takes to have bunq
// send it again.
type NotificationFilterFailure struct {
	ID                  int64                `json:"id"`                   // id of the failure: pass it to RetryFailuresBody
	Created             Time                 `json:"created"`              // when the failure was stored
	Updated             Time                 `json:"updated"`              // last update
	Category            Category             `json:"category"`             // category of the failed callback
	EventType           EventType            `json:"event_type"`           // event type of the failed callback
	ObjectID            int64                `json:"object_id"`            // id of the object the callback was about
	ExceptionMessage    string               `json:"exception_message"`    // what bunq met calling the URL, when sent
	ResponseCode        int                  `json:"response_code"`        // the HTTP status received, 0 when none
	NotificationFilters []NotificationFilter `json:"notification_filters"` // the filters the callback matched
	NotificationTarget  string               `json:"notification_target"`  // the URL the callback was sent to; "" when not listed (see Target)
}

// Target returns the URL the failed callback was sent to, and bunq sends
// it to again when it is re-sent: NotificationTarget, or when bunq did not
// list that, the target of its NotificationFilters if they name exactly
// one distinct URL target. It returns "" when neither tells, so that a
// caller selecting failures by target leaves such a failure alone.
func (f *NotificationFilterFailure) Target() string {
	if f.NotificationTarget != "" {
		return f.NotificationTarget
	}
	target := ""
	for _, nf := range f.NotificationFilters {
		if (nf.NotificationDeliveryMethod != DeliveryURL && nf.NotificationDeliveryMethod != "") || nf.NotificationTarget == "" {
			continue
		}
		if target != "" && nf.NotificationTarget != target {
			return ""
		}
		target = nf.NotificationTarget
	}
	return target
}

// Pagination holds the relative URLs of the neighbouring pages of a bunq
// listing; an empty string means there is no such page.
type Pagination struct {
	FutureURL string `json:"future_url"` // to poll for entries newer than this listing
	NewerURL  string `json:"newer_url"`  // the next newer page
	OlderURL  string `json:"older_url"`  // the next older page
}

// FailureListing is one page of failed callbacks.
type FailureListing struct {
	Failures   []NotificationFilterFailure // the failed callbacks on this page, in listing order
	Pagination Pagination                  // links to the neighbouring pages; zero when not sent
}

// IDs returns the ids of the listed failures, in order.
func (l *FailureListing) IDs() []int64 {
	ids := make([]int64, len(l.Failures))
	for i, f := range l.Failures {
		ids[i] = f.ID
	}
	return ids
}

type failureListingWire struct {
	Response []struct {
		Failure *NotificationFilterFailure `json:"NotificationFilterFailure"`
	} `json:"Response"`
	Pagination *Pagination `json:"Pagination"`
}

var errNotAFailure = errors.New(`entry has no "NotificationFilterFailure"`)

// DecodeFailureListing decodes the whole response of a failed-callback
// listing:
//
//	{"Response":[{"NotificationFilterFailure":{…}},…],"Pagination":{…}}
//
// with the same rules as [Decode]. Every entry must be a
// NotificationFilterFailure. Errors are [*bankhook.DecodeError]s naming
// the offending value.
func DecodeFailureListing(body []byte) (*FailureListing, error) {
	var w failureListingWire
	if err := json.Unmarshal(body, &w, decodeOptions); err != nil {
		return nil, decodeError(err)
	}
	if w.Response == nil && w.Pagination == nil {
		// Distinguish a JSON object without either member from null, an
		// array or a scalar, which json reports as errors or leaves empty.
		if jsontext.Value(body).Kind() != '{' {
			return nil, decodeError(&pathError{"", errors.New("listing must be a JSON object")})
		}
	}
	l := &FailureListing{Failures: make([]NotificationFilterFailure, 0, len(w.Response))}
	for i, r := range w.Response {
		if r.Failure == nil {
			return nil, decodeError(&pathError{jsontext.Pointer("/Response/" + strconv.Itoa(i)), errNotAFailure})
		}
		l.Failures = append(l.Failures, *r.Failure)
	}
	if w.Pagination != nil {
		l.Pagination = *w.Pagination
	}
	return l, nil
}

// MaxRetryFailures is the most failure ids bunq accepts in one retry
// request.
const MaxRetryFailures = 100

// RetryFailuresBody returns the request body that has bunq send failed
// callbacks again (POST /v1/user/{userID}/notification-filter-failure):
//
//	{"notification_filter_failed_ids":"1,2,3"}
//
// It takes 1 to [MaxRetryFailures] ids, each positive and given once; bunq
// answers 200 with an empty body. Split a longer list over several
// requests.
func RetryFailuresBody(ids ...int64) ([]byte, error) {
	switch {
	case len(ids) == 0:
		return nil, errors.New("bunq: RetryFailuresBody: no failure ids")
	case len(ids) > MaxRetryFailures:
		return nil, fmt.Errorf("bunq: RetryFailuresBody: %d failure ids, at most %d per request", len(ids), MaxRetryFailures)
	}
	seen := make(map[int64]bool, len(ids))
	list := make([]byte, 0, len(ids)*8)
	for i, id := range ids {
		if id <= 0 {
			return nil, fmt.Errorf("bunq: RetryFailuresBody: id %d (position %d) is not positive", id, i)
		}
		if seen[id] {
			return nil, fmt.Errorf("bunq: RetryFailuresBody: id %d given twice", id)
		}
		seen[id] = true
		if i > 0 {
			list = append(list, ',')
		}
		list = strconv.AppendInt(list, id, 10)
	}
	return json.Marshal(struct {
		IDs string `json:"notification_filter_failed_ids"`
	}{string(list)})
}
