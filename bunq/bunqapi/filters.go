package bunqapi

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/go-json-experiment/json"

	"github.com/bankhook/bankhook/bunq"
)

// ListFilters returns the user's URL notification filters (GET
// /v1/user/{userID}/notification-filter-url), oldest first, each once.
// It reads the whole listing (see Pagination in the package doc): an
// error, also on a later page, returns no filters. Filters of categories
// this package does not know are returned as bunq listed them.
func (c *Client) ListFilters(ctx context.Context) ([]bunq.NotificationFilterURL, error) {
	return c.listFilters(ctx, c.userPath("/notification-filter-url"))
}

// SetFilters replaces all of the user's URL notification filters by
// filters (POST /v1/user/{userID}/notification-filter-url); an empty list
// removes every one. bunq keeps no other URL filters of the user: to add
// a subscription, use [Client.UpdateFilters], which reads the whole list
// first. Each filter needs a known category (see Options.Filter) and an
// https URL, as [bunq.NotificationFilterURLBody] checks before anything is
// sent.
func (c *Client) SetFilters(ctx context.Context, filters []bunq.NotificationFilterURL) error {
	return c.setFilters(ctx, c.userPath("/notification-filter-url"), filters, c.filter)
}

// UpdateFilters changes the user's URL notification filters: it reads the
// whole list (as ListFilters), passes it to edit and, unless edit returns
// the same filters in the same order, posts what edit returned as the new
// list (bunq's POST replaces the whole list). When the list cannot be read
// to its end, nothing is posted: a partial list never overwrites the
// filters it missed.
//
// Filters bunq listed are posted back unchanged, also those of
// categories this package does not know (bunq's newer ones); new filters
// are checked as SetFilters checks them. Identical filters are posted
// once. edit must not keep the slice it is given.
//
// bunq offers no way to make the read and the write one step: two
// updates of the same list at the same time can lose one's change. Run
// them one after the other.
func (c *Client) UpdateFilters(ctx context.Context, edit func(current []bunq.NotificationFilterURL) []bunq.NotificationFilterURL) error {
	return c.updateFilters(ctx, c.userPath("/notification-filter-url"), edit)
}

// ListAccountFilters returns the URL notification filters of the user's
// monetary account accountID (GET
// /v1/user/{userID}/monetary-account/{accountID}/notification-filter-url),
// as ListFilters does for the user's.
func (c *Client) ListAccountFilters(ctx context.Context, accountID int64) ([]bunq.NotificationFilterURL, error) {
	if accountID <= 0 {
		return nil, fmt.Errorf("bunqapi: ListAccountFilters: monetary account id %d is not positive", accountID)
	}
	return c.listFilters(ctx, c.accountFilterPath(accountID))
}

// SetAccountFilters replaces all URL notification filters of the user's
// monetary account accountID, as SetFilters does for the user's.
func (c *Client) SetAccountFilters(ctx context.Context, accountID int64, filters []bunq.NotificationFilterURL) error {
	if accountID <= 0 {
		return fmt.Errorf("bunqapi: SetAccountFilters: monetary account id %d is not positive", accountID)
	}
	return c.setFilters(ctx, c.accountFilterPath(accountID), filters, c.filter)
}

// UpdateAccountFilters changes the URL notification filters of the
// user's monetary account accountID, as UpdateFilters does for the
// user's.
func (c *Client) UpdateAccountFilters(ctx context.Context, accountID int64, edit func(current []bunq.NotificationFilterURL) []bunq.NotificationFilterURL) error {
	if accountID <= 0 {
		return fmt.Errorf("bunqapi: UpdateAccountFilters: monetary account id %d is not positive", accountID)
	}
	return c.updateFilters(ctx, c.accountFilterPath(accountID), edit)
}

func (c *Client) userPath(rest string) string {
	return fmt.Sprintf("/v1/user/%d%s", c.userID, rest)
}

func (c *Client) accountFilterPath(accountID int64) string {
	return c.userPath(fmt.Sprintf("/monetary-account/%d/notification-filter-url", accountID))
}

func (c *Client) listFilters(ctx context.Context, path string) ([]bunq.NotificationFilterURL, error) {
	var listed []listedFilter
	err := c.listAll(ctx, path, func(body []byte) (bunq.Pagination, error) {
		page, p, err := decodeFilterPage(body)
		listed = append(listed, page...)
		return p, err
	})
	if err != nil {
		return nil, err
	}
	return orderFilters(listed), nil
}

func (c *Client) setFilters(ctx context.Context, path string, filters []bunq.NotificationFilterURL, o bunq.FilterOptions) error {
	body, err := bunq.NotificationFilterURLBody(filters, o)
	if err != nil {
		return fmt.Errorf("bunqapi: POST %s: %w", path, err)
	}
	_, err = c.do(ctx, request{method: http.MethodPost, path: path, body: body, auth: authSession})
	return err
}

func (c *Client) updateFilters(ctx context.Context, path string, edit func([]bunq.NotificationFilterURL) []bunq.NotificationFilterURL) error {
	if edit == nil {
		return errors.New("bunqapi: UpdateFilters: edit is nil")
	}
	current, err := c.listFilters(ctx, path)
	if err != nil {
		return fmt.Errorf("bunqapi: the filters were not changed: %w", err)
	}
	next := edit(slices.Clone(current))
	if slices.Equal(next, current) {
		return nil
	}
	// Categories bunq listed pass, known or not: they are bunq's own.
	o := c.filter
	o.ExtraCategories = slices.Clone(o.ExtraCategories)
	for _, f := range current {
		if !f.Category.Known() && !slices.Contains(o.ExtraCategories, f.Category) {
			o.ExtraCategories = append(o.ExtraCategories, f.Category)
		}
	}
	return c.setFilters(ctx, path, uniqueFilters(next), o)
}

// listedFilter is a filter as a listing page gave it, with the id of its
// entry (0 when the entry had none).
type listedFilter struct {
	id     int64
	filter bunq.NotificationFilterURL
}

// filterEntry is a NotificationFilterUrl object of a listing. bunq's SDKs
// read one filter per object ({"category":…,"notification_target":…});
// bunq's API reference describes an object holding "notification_filters";
// an object may carry both, for one filter.
type filterEntry struct {
	ID                 int64                     `json:"id"`
	Category           bunq.Category             `json:"category"`
	NotificationTarget string                    `json:"notification_target"`
	Filters            []bunq.NotificationFilter `json:"notification_filters"`
}

// decodeFilterPage reads one page of a listing of NotificationFilterUrl
// objects and its Pagination. Each object is read in one shape: its own
// category and notification_target when it has either, else its
// notification_filters (but PUSH ones).
func decodeFilterPage(body []byte) ([]listedFilter, bunq.Pagination, error) {
	its, err := responseItems(body)
	if err != nil {
		return nil, bunq.Pagination{}, err
	}
	var page struct {
		Pagination *bunq.Pagination `json:"Pagination"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		return nil, bunq.Pagination{}, fmt.Errorf("the Pagination object: %v", err)
	}
	var filters []listedFilter
	for i, it := range its {
		raw, ok := it["NotificationFilterUrl"]
		if !ok {
			return nil, bunq.Pagination{}, fmt.Errorf(`member %d of "Response" is not a "NotificationFilterUrl"`, i)
		}
		var e filterEntry
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, bunq.Pagination{}, fmt.Errorf(`member %d of "Response": %v`, i, err)
		}
		if e.Category != "" || e.NotificationTarget != "" {
			filters = append(filters, listedFilter{e.ID, bunq.NotificationFilterURL{Category: e.Category, NotificationTarget: e.NotificationTarget}})
			continue
		}
		for _, f := range e.Filters {
			if f.NotificationDeliveryMethod == bunq.DeliveryPush {
				continue
			}
			filters = append(filters, listedFilter{e.ID, bunq.NotificationFilterURL{Category: f.Category, NotificationTarget: f.NotificationTarget}})
		}
	}
	var p bunq.Pagination
	if page.Pagination != nil {
		p = *page.Pagination
	}
	return filters, p, nil
}

// orderFilters puts listed filters in the order they were created (by
// the ids of their entries, oldest first; bunq lists newest first) and
// keeps each filter once.
func orderFilters(listed []listedFilter) []bunq.NotificationFilterURL {
	slices.SortStableFunc(listed, func(a, b listedFilter) int { return cmp.Compare(a.id, b.id) })
	filters := make([]bunq.NotificationFilterURL, len(listed))
	for i, l := range listed {
		filters[i] = l.filter
	}
	return uniqueFilters(filters)
}

// uniqueFilters returns filters with each filter once, in order.
func uniqueFilters(filters []bunq.NotificationFilterURL) []bunq.NotificationFilterURL {
	seen := make(map[bunq.NotificationFilterURL]bool, len(filters))
	out := make([]bunq.NotificationFilterURL, 0, len(filters))
	for _, f := range filters {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

// decodeFilters reads a one-page listing of NotificationFilterUrl
// objects as ListFilters does: each object in one shape, oldest first,
// each filter once.
func decodeFilters(body []byte) ([]bunq.NotificationFilterURL, error) {
	listed, _, err := decodeFilterPage(body)
	if err != nil {
		return nil, err
	}
	return orderFilters(listed), nil
}
