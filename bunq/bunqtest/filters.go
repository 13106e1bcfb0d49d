package bunqtest

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/bankhook/bankhook/bunq"
)

// maxURLsPerCategory is bunq's limit of callback URLs per category.
const maxURLsPerCategory = 2

// filterObject is a NotificationFilterUrl as bunq lists it: one filter,
// whose fields bunq's SDKs read, and the same filter again in
// notification_filters, the shape bunq's API reference gives the object.
type filterObject struct {
	ID                  int64                     `json:"id"`
	Created             bunq.Time                 `json:"created"`
	Updated             bunq.Time                 `json:"updated"`
	Category            bunq.Category             `json:"category"`
	NotificationTarget  string                    `json:"notification_target"`
	NotificationFilters []bunq.NotificationFilter `json:"notification_filters"`
}

// filterListOf returns the filter list a filter request is about: the
// user's, or the monetary account's in the path.
func (s *Server) filterListOf(c *call) (*filterList, *apiError) {
	if id := c.r.PathValue("accountID"); id != "" {
		n, err := strconv.ParseInt(id, 10, 64)
		a := c.user.accounts[n]
		if err != nil || a == nil {
			return nil, errorf(http.StatusNotFound, "No monetary account %s for this user.", id)
		}
		return &a.filters, nil
	}
	return &c.user.filters, nil
}

// listFilters answers GET …/notification-filter-url: one
// NotificationFilterUrl per filter, newest first, in pages as bunq's
// listings are (count 10 by default, at most 200, Pagination).
func (s *Server) listFilters(c *call) (*result, *apiError) {
	l, aerr := s.filterListOf(c)
	if aerr != nil {
		return nil, aerr
	}
	all := l.filters // ascending id
	lo, hi, p, aerr := s.pageOf(c, len(all), func(i int) int64 { return all[i].id })
	if aerr != nil {
		return nil, aerr
	}
	items := make([]any, 0, hi-lo)
	for i := hi - 1; i >= lo; i-- {
		items = append(items, filterItem(all[i]))
	}
	return &result{items: items, pagination: p}, nil
}

func filterItem(f *filter) any {
	t := bunq.Time{Time: f.created}
	return one("NotificationFilterUrl", filterObject{f.id, t, t, f.category, f.target, []bunq.NotificationFilter{
		{NotificationDeliveryMethod: bunq.DeliveryURL, NotificationTarget: f.target, Category: f.category},
	}})
}

// setFilters answers POST …/notification-filter-url: the body's list
// replaces the whole list; an empty list removes every filter.
func (s *Server) setFilters(c *call) (*result, *apiError) {
	l, aerr := s.filterListOf(c)
	if aerr != nil {
		return nil, aerr
	}
	var req struct {
		Filters *[]struct {
			Category           bunq.Category `json:"category"`
			NotificationTarget string        `json:"notification_target"`
		} `json:"notification_filters"`
	}
	if aerr := decodeBody(c, &req); aerr != nil {
		return nil, aerr
	}
	if req.Filters == nil {
		return nil, errorf(http.StatusBadRequest, "notification_filters is required.")
	}
	filters := make([]bunq.NotificationFilterURL, len(*req.Filters))
	for i, f := range *req.Filters {
		filters[i] = bunq.NotificationFilterURL{Category: f.Category, NotificationTarget: f.NotificationTarget}
	}
	if aerr := s.replaceFiltersLocked(l, filters); aerr != nil {
		return nil, aerr
	}
	items := make([]any, 0, len(l.filters))
	for _, f := range l.filters {
		items = append(items, filterItem(f))
	}
	return &result{items: items}, nil
}

// replaceFiltersLocked checks filters as bunq does (its categories, those
// of bunq.Categories and Options.ExtraCategories; https URLs; at most 2
// URLs per category) and makes them the list.
func (s *Server) replaceFiltersLocked(l *filterList, filters []bunq.NotificationFilterURL) *apiError {
	targets := map[bunq.Category]map[string]bool{}
	list := make([]*filter, 0, len(filters))
	for i, f := range filters {
		if !f.Category.Known() && !slices.Contains(s.opts.ExtraCategories, f.Category) {
			return errorf(http.StatusBadRequest, "notification_filters[%d]: unknown category %q.", i, f.Category)
		}
		u, err := url.Parse(f.NotificationTarget)
		if err != nil || u.Scheme != "https" || u.Hostname() == "" {
			return errorf(http.StatusBadRequest, "notification_filters[%d]: notification_target must be an https URL.", i)
		}
		if targets[f.Category] == nil {
			targets[f.Category] = map[string]bool{}
		}
		if targets[f.Category][f.NotificationTarget] {
			continue // the same subscription twice is one filter
		}
		targets[f.Category][f.NotificationTarget] = true
		if len(targets[f.Category]) > maxURLsPerCategory {
			return errorf(http.StatusBadRequest, "At most %d callback URLs are allowed per category; %s has more.", maxURLsPerCategory, f.Category)
		}
		s.ids.filter++
		list = append(list, &filter{id: s.ids.filter, created: s.now, category: f.Category, target: f.NotificationTarget})
	}
	l.filters = list
	return nil
}

// SetFilters replaces the URL notification filters of a user (accountID
// 0) or of one of its monetary accounts, as a POST of
// notification-filter-url would, with the same checks. It spares a test
// the API calls when the filters are not what it tests.
func (s *Server) SetFilters(userID, accountID int64, filters []bunq.NotificationFilterURL) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.filterListLocked(userID, accountID)
	if l == nil {
		return fmt.Errorf("bunqtest: SetFilters: no user %d or no monetary account %d of it", userID, accountID)
	}
	if aerr := s.replaceFiltersLocked(l, filters); aerr != nil {
		return fmt.Errorf("bunqtest: SetFilters: %s", aerr.desc)
	}
	return nil
}
