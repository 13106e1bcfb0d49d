package bunqapi

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/bankhook/bankhook/bunq"
)

// ListFailures returns every callback bunq gave up on and still lists
// (GET /v1/user/{userID}/notification-filter-failure), newest first, each
// once. It reads the whole listing as described in the package doc
// (Pagination): an error, also on a later page, returns no failures.
func (c *Client) ListFailures(ctx context.Context) ([]bunq.NotificationFilterFailure, error) {
	var all []bunq.NotificationFilterFailure
	seen := map[int64]bool{}
	err := c.listAll(ctx, c.userPath("/notification-filter-failure"), func(body []byte) (bunq.Pagination, error) {
		l, err := bunq.DecodeFailureListing(body)
		if err != nil {
			return bunq.Pagination{}, err
		}
		for _, f := range l.Failures {
			if !seen[f.ID] {
				seen[f.ID] = true
				all = append(all, f)
			}
		}
		return l.Pagination, nil
	})
	if err != nil {
		return nil, err
	}
	if all == nil {
		all = []bunq.NotificationFilterFailure{}
	}
	return all, nil
}

// RetryFailures has bunq send the failed callbacks ids again (POST
// /v1/user/{userID}/notification-filter-failure), in requests of at most
// [bunq.MaxRetryFailures] comma-separated ids, in order. Every id must be
// positive and given once; nothing is sent otherwise. It returns how many
// ids bunq accepted: all of them, or, when a request fails, those of the
// requests before it, with the error.
//
// bunq delivers re-sent callbacks to the URLs they failed on; a receiver
// with dedupe handles one that did get through before only once.
func (c *Client) RetryFailures(ctx context.Context, ids []int64) (int, error) {
	path := c.userPath("/notification-filter-failure")
	seen := make(map[int64]bool, len(ids))
	for i, id := range ids {
		if id <= 0 {
			return 0, fmt.Errorf("bunqapi: RetryFailures: id %d (position %d) is not positive", id, i)
		}
		if seen[id] {
			return 0, fmt.Errorf("bunqapi: RetryFailures: id %d given twice", id)
		}
		seen[id] = true
	}
	sent := 0
	for chunk := range slices.Chunk(ids, bunq.MaxRetryFailures) {
		body, err := bunq.RetryFailuresBody(chunk...)
		if err != nil {
			return sent, fmt.Errorf("bunqapi: POST %s: %w", path, err)
		}
		if _, err := c.do(ctx, request{method: http.MethodPost, path: path, body: body, auth: authSession}); err != nil {
			return sent, err
		}
		sent += len(chunk)
	}
	return sent, nil
}
