package bunqapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

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

// RetryResult is what [Client.RetryFailures] did. A plain value; the
// zero value is nothing re-sent.
type RetryResult struct {
	Resent   []int64 // the ids bunq accepted to send again, in the order given
	Stale    []int64 // the ids bunq no longer lists (re-sent or re-delivered meanwhile), not re-sent, in the order given
	Requests int     // the re-send requests bunq accepted
}

// RetryFailures has bunq send the failed callbacks ids again (POST
// /v1/user/{userID}/notification-filter-failure), in requests of at most
// [bunq.MaxRetryFailures] comma-separated ids, in order. Every id must be
// positive and given once; nothing is sent otherwise.
//
// bunq refuses a whole request with 404 when one of its ids is no longer
// listed: a failure re-sent meanwhile (by another pass, or a concurrent
// retry) or re-delivered. RetryFailures then splits the request in
// halves, and halves again the half that is refused, until the stale id
// is alone; the other ids are re-sent and the stale ones returned in
// RetryResult.Stale, not as an error. Each stale id costs about two
// requests per halving (some 14 for one in 100). A 404 "Route not found."
// (a base URL that is not bunq's API) is no stale id: it is returned as
// the error.
//
// It returns what bunq accepted: every id but the stale ones, or, when a
// request fails otherwise, those accepted before it, with the error.
//
// bunq delivers re-sent callbacks to the URLs they failed on; a receiver
// with dedupe handles one that did get through before only once.
func (c *Client) RetryFailures(ctx context.Context, ids []int64) (RetryResult, error) {
	seen := make(map[int64]bool, len(ids))
	for i, id := range ids {
		if id <= 0 {
			return RetryResult{}, fmt.Errorf("bunqapi: RetryFailures: id %d (position %d) is not positive", id, i)
		}
		if seen[id] {
			return RetryResult{}, fmt.Errorf("bunqapi: RetryFailures: id %d given twice", id)
		}
		seen[id] = true
	}
	var res RetryResult
	path := c.userPath("/notification-filter-failure")
	for chunk := range slices.Chunk(ids, bunq.MaxRetryFailures) {
		if err := c.retryBatch(ctx, path, chunk, &res); err != nil {
			return res, err
		}
	}
	return res, nil
}

// retryBatch re-sends ids in one request and, when bunq answers 404,
// each half of them in turn, down to a single id, which is stale.
func (c *Client) retryBatch(ctx context.Context, path string, ids []int64, res *RetryResult) error {
	body, err := bunq.RetryFailuresBody(ids...)
	if err != nil {
		return fmt.Errorf("bunqapi: POST %s: %w", path, err)
	}
	_, err = c.do(ctx, request{method: http.MethodPost, path: path, body: body, auth: authSession})
	switch {
	case err == nil:
		res.Resent = append(res.Resent, ids...)
		res.Requests++
		return nil
	case !IsStatus(err, http.StatusNotFound) || routeNotFound(err):
		return err
	case len(ids) == 1:
		res.Stale = append(res.Stale, ids[0])
		return nil
	}
	half := len(ids) / 2
	if err := c.retryBatch(ctx, path, ids[:half], res); err != nil {
		return err
	}
	return c.retryBatch(ctx, path, ids[half:], res)
}

// routeNotFound reports whether err is bunq's 404 for a path it does not
// serve at all ("Route not found."), as behind a wrong base URL: that is
// no stale id, and splitting the request would only repeat it.
func routeNotFound(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	for _, d := range e.Descriptions {
		if strings.Contains(strings.ToLower(d.ErrorDescription), "route not found") {
			return true
		}
	}
	return false
}
