package bunqtest

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/bankhook/bankhook/bunq"
)

// Listing sizes, as bunq documents them.
const (
	defaultCount = 10
	maxCount     = 200
)

// failureObject is a NotificationFilterFailure as bunq lists it: the
// response code is null when the callback got no answer, and
// notification_target is the URL the callback was sent to.
type failureObject struct {
	ID                  int64                     `json:"id"`
	Created             bunq.Time                 `json:"created"`
	Updated             bunq.Time                 `json:"updated"`
	Category            bunq.Category             `json:"category"`
	EventType           bunq.EventType            `json:"event_type"`
	ObjectID            int64                     `json:"object_id"`
	ExceptionMessage    string                    `json:"exception_message"`
	ResponseCode        *int                      `json:"response_code"`
	NotificationFilters []bunq.NotificationFilter `json:"notification_filters"`
	NotificationTarget  string                    `json:"notification_target"` // the URL the callback failed on
}

// listFailures answers GET …/notification-filter-failure: newest first,
// count per page (default 10, at most 200), with older_id and newer_id
// paging as bunq's Pagination describes.
func (s *Server) listFailures(c *call) (*result, *apiError) {
	all := c.user.failures // ascending id
	lo, hi, p, aerr := s.pageOf(c, len(all), func(i int) int64 { return all[i].id })
	if aerr != nil {
		return nil, aerr
	}
	items := make([]any, 0, hi-lo)
	for i := hi - 1; i >= lo; i-- {
		items = append(items, one("NotificationFilterFailure", failureObjectOf(all[i])))
	}
	return &result{items: items, pagination: p}, nil
}

// pageOf picks the page of a listing of n entries in ascending id order
// (id(i) is the id of entry i) that the request's count (default 10, at
// most 200, cut to Options.PageLimit), older_id and newer_id ask for, as
// bunq pages its listings: the entries all[lo:hi], to be listed newest
// first, and the page's Pagination.
func (s *Server) pageOf(c *call, n int, id func(i int) int64) (lo, hi int, p *pagination, aerr *apiError) {
	q := c.r.URL.Query()
	count := defaultCount
	if v := q.Get("count"); v != "" {
		k, err := strconv.Atoi(v)
		if err != nil || k < 1 || k > maxCount {
			return 0, 0, nil, errorf(http.StatusBadRequest, "count must be a number from 1 to %d.", maxCount)
		}
		count = k
	}
	var olderID, newerID int64
	for name, dst := range map[string]*int64{"older_id": &olderID, "newer_id": &newerID} {
		if v := q.Get(name); v != "" {
			k, err := strconv.ParseInt(v, 10, 64)
			if err != nil || k < 0 {
				return 0, 0, nil, errorf(http.StatusBadRequest, "%s must be an id.", name)
			}
			*dst = k
		}
	}
	if olderID != 0 && newerID != 0 {
		return 0, 0, nil, errorf(http.StatusBadRequest, "Give older_id or newer_id, not both.")
	}
	asked := count
	count = min(count, s.opts.PageLimit)

	lo, hi = 0, n // the window of candidates
	switch {
	case olderID != 0:
		for hi > 0 && id(hi-1) >= olderID {
			hi--
		}
		lo = max(hi-count, 0)
	case newerID != 0:
		for lo < n && id(lo) <= newerID {
			lo++
		}
		hi = min(lo+count, n)
	default:
		lo = max(hi-count, 0)
	}

	link := func(param string, id int64) *string {
		v := url.Values{}
		if q.Has("count") {
			v.Set("count", strconv.Itoa(asked))
		}
		v.Set(param, strconv.FormatInt(id, 10))
		u := c.r.URL.Path + "?" + v.Encode()
		return &u
	}
	p = &pagination{}
	if hi > lo {
		if lo > 0 {
			p.OlderURL = link("older_id", id(lo))
		}
		if hi < n {
			p.NewerURL = link("newer_id", id(hi-1))
		} else {
			p.FutureURL = link("newer_id", id(hi-1))
		}
	}
	return lo, hi, p, nil
}

func failureObjectOf(f *failure) failureObject {
	o := f.object()
	fo := failureObject{
		ID: o.ID, Created: o.Created, Updated: o.Updated, Category: o.Category, EventType: o.EventType,
		ObjectID: o.ObjectID, ExceptionMessage: o.ExceptionMessage, NotificationFilters: o.NotificationFilters,
		NotificationTarget: o.NotificationTarget,
	}
	if f.responseCode != 0 {
		fo.ResponseCode = &f.responseCode
	}
	return fo
}

// retryFailures answers POST …/notification-filter-failure: the failures
// named in notification_filter_failed_ids (comma-separated, at most 100)
// leave the listing and are delivered again on bunq's schedule; if every
// attempt fails again they are listed again, under new ids. When one of
// the ids is not listed (any more: re-sent meanwhile, or never a failure
// of the user), bunq refuses the whole request with 404 and re-sends
// none of them. bunq answers 200 with an empty Response.
func (s *Server) retryFailures(c *call) (*result, *apiError) {
	var req struct {
		IDs *string `json:"notification_filter_failed_ids"`
	}
	if aerr := decodeBody(c, &req); aerr != nil {
		return nil, aerr
	}
	if req.IDs == nil || strings.TrimSpace(*req.IDs) == "" {
		return nil, errorf(http.StatusBadRequest, "notification_filter_failed_ids is required.")
	}
	parts := strings.Split(*req.IDs, ",")
	if len(parts) > bunq.MaxRetryFailures {
		return nil, errorf(http.StatusBadRequest, "A maximum of %d ids is allowed, %d were given.", bunq.MaxRetryFailures, len(parts))
	}
	want := make(map[int64]bool, len(parts))
	var order []int64
	for _, p := range parts {
		id, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64)
		if err != nil || id <= 0 {
			return nil, errorf(http.StatusBadRequest, "notification_filter_failed_ids: %q is not an id.", strings.TrimSpace(p))
		}
		want[id] = true
		order = append(order, id)
	}
	listed := make(map[int64]bool, len(c.user.failures))
	for _, f := range c.user.failures {
		listed[f.id] = true
	}
	for _, id := range order {
		if !listed[id] {
			return nil, errorf(http.StatusNotFound, "NotificationFilterFailure not found.")
		}
	}
	kept := c.user.failures[:0]
	for _, f := range c.user.failures {
		if !want[f.id] {
			kept = append(kept, f)
			continue
		}
		f.d.attempts, f.d.due = 0, s.now
		s.pending = append(s.pending, f.d)
	}
	clear(c.user.failures[len(kept):])
	c.user.failures = kept
	return &result{}, nil
}
