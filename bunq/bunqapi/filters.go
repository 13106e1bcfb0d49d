package bunqapi

import (
	"context"
	"fmt"
	"net/http"

	"github.com/go-json-experiment/json"

	"github.com/bankhook/bankhook/bunq"
)

// ListFilters returns the user's URL notification filters (GET
// /v1/user/{userID}/notification-filter-url): one per category and
// callback URL.
func (c *Client) ListFilters(ctx context.Context) ([]bunq.NotificationFilterURL, error) {
	return c.listFilters(ctx, c.userPath("/notification-filter-url"))
}

// SetFilters replaces all of the user's URL notification filters by
// filters (POST /v1/user/{userID}/notification-filter-url); an empty list
// removes every one. bunq keeps no other URL filters of the user: to add
// a subscription, list the filters, add to them and set them all. Each
// filter needs a known category (see Options.Filter) and an https URL,
// as [bunq.NotificationFilterURLBody] checks before anything is sent.
func (c *Client) SetFilters(ctx context.Context, filters []bunq.NotificationFilterURL) error {
	return c.setFilters(ctx, c.userPath("/notification-filter-url"), filters)
}

// ListAccountFilters returns the URL notification filters of the user's
// monetary account accountID (GET
// /v1/user/{userID}/monetary-account/{accountID}/notification-filter-url).
func (c *Client) ListAccountFilters(ctx context.Context, accountID int64) ([]bunq.NotificationFilterURL, error) {
	if accountID <= 0 {
		return nil, fmt.Errorf("bunqapi: ListAccountFilters: monetary account id %d is not positive", accountID)
	}
	return c.listFilters(ctx, c.userPath(fmt.Sprintf("/monetary-account/%d/notification-filter-url", accountID)))
}

// SetAccountFilters replaces all URL notification filters of the user's
// monetary account accountID, as SetFilters does for the user's.
func (c *Client) SetAccountFilters(ctx context.Context, accountID int64, filters []bunq.NotificationFilterURL) error {
	if accountID <= 0 {
		return fmt.Errorf("bunqapi: SetAccountFilters: monetary account id %d is not positive", accountID)
	}
	return c.setFilters(ctx, c.userPath(fmt.Sprintf("/monetary-account/%d/notification-filter-url", accountID)), filters)
}

func (c *Client) userPath(rest string) string {
	return fmt.Sprintf("/v1/user/%d%s", c.userID, rest)
}

func (c *Client) listFilters(ctx context.Context, path string) ([]bunq.NotificationFilterURL, error) {
	resp, err := c.do(ctx, request{method: http.MethodGet, path: path, auth: authSession})
	if err != nil {
		return nil, err
	}
	filters, err := decodeFilters(resp.body)
	if err != nil {
		return nil, fmt.Errorf("%w to GET %s: %v", ErrResponse, path, err)
	}
	return filters, nil
}

func (c *Client) setFilters(ctx context.Context, path string, filters []bunq.NotificationFilterURL) error {
	body, err := bunq.NotificationFilterURLBody(filters, c.filter)
	if err != nil {
		return fmt.Errorf("bunqapi: POST %s: %w", path, err)
	}
	_, err = c.do(ctx, request{method: http.MethodPost, path: path, body: body, auth: authSession})
	return err
}

// decodeFilters reads a listing of NotificationFilterUrl objects. bunq's
// SDKs read one filter per object ({"category":…,"notification_target":…});
// bunq's API reference describes one object holding "notification_filters".
// Both are accepted.
func decodeFilters(body []byte) ([]bunq.NotificationFilterURL, error) {
	its, err := responseItems(body)
	if err != nil {
		return nil, err
	}
	filters := []bunq.NotificationFilterURL{}
	for i, it := range its {
		raw, ok := it["NotificationFilterUrl"]
		if !ok {
			return nil, fmt.Errorf(`member %d of "Response" is not a "NotificationFilterUrl"`, i)
		}
		var f struct {
			bunq.NotificationFilterURL
			Filters []bunq.NotificationFilterURL `json:"notification_filters"`
		}
		if err := json.Unmarshal(raw, &f); err != nil {
			return nil, fmt.Errorf(`member %d of "Response": %v`, i, err)
		}
		if f.Category != "" || f.NotificationTarget != "" {
			filters = append(filters, f.NotificationFilterURL)
		}
		filters = append(filters, f.Filters...)
	}
	return filters, nil
}
