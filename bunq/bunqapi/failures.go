package bunqapi

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/bankhook/bankhook/bunq"
)

// Listing limits.
const (
	// failurePageSize is the count asked per page: bunq's maximum.
	failurePageSize = 200
	// maxFailurePages bounds a listing, against a server whose older_url
	// never ends.
	maxFailurePages = 10_000
)

// ListFailures returns every callback bunq gave up on and still lists
// (GET /v1/user/{userID}/notification-filter-failure), newest first. It
// asks for pages of 200 and follows Pagination.older_url to the end. A
// page link that leaves the listing (another path, host or parameter)
// or comes round again is refused, as is a response whose signature
// does not verify: a forged page cannot hide failures or send the session
// token elsewhere.
func (c *Client) ListFailures(ctx context.Context) ([]bunq.NotificationFilterFailure, error) {
	base := c.userPath("/notification-filter-failure")
	next := fmt.Sprintf("%s?count=%d", base, failurePageSize)
	var all []bunq.NotificationFilterFailure
	seenIDs := map[int64]bool{}
	seenPages := map[string]bool{}
	for pages := 0; next != ""; pages++ {
		if pages == maxFailurePages {
			return nil, fmt.Errorf("%w to GET %s: more than %d pages", ErrResponse, base, maxFailurePages)
		}
		seenPages[next] = true
		resp, err := c.do(ctx, request{method: http.MethodGet, path: next, auth: authSession})
		if err != nil {
			return nil, err
		}
		l, err := bunq.DecodeFailureListing(resp.body)
		if err != nil {
			return nil, fmt.Errorf("%w to GET %s: %w", ErrResponse, base, err)
		}
		for _, f := range l.Failures {
			if !seenIDs[f.ID] {
				seenIDs[f.ID] = true
				all = append(all, f)
			}
		}
		next = ""
		if older := l.Pagination.OlderURL; older != "" {
			if next, err = checkPageURL(older, base); err != nil {
				return nil, fmt.Errorf("%w to GET %s: Pagination.older_url: %v", ErrResponse, base, err)
			}
			if seenPages[next] {
				return nil, fmt.Errorf("%w to GET %s: Pagination.older_url leads back to a page already read", ErrResponse, base)
			}
		}
	}
	if all == nil {
		all = []bunq.NotificationFilterFailure{}
	}
	return all, nil
}

// checkPageURL accepts a page link of the listing at path: a relative URL
// with that path and no parameters but count, older_id and newer_id.
func checkPageURL(link, path string) (string, error) {
	u, err := url.Parse(link)
	if err != nil {
		return "", fmt.Errorf("%.80q is not a URL", link)
	}
	if u.Scheme != "" || u.Host != "" || u.User != nil || u.Path != path || u.Fragment != "" {
		return "", fmt.Errorf("%.80q is not a page of %s", link, path)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return "", fmt.Errorf("%.80q has a malformed query", link)
	}
	for k := range q {
		if k != "count" && k != "older_id" && k != "newer_id" {
			return "", fmt.Errorf("%.80q has an unexpected parameter %q", link, k)
		}
	}
	return path + "?" + q.Encode(), nil
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
