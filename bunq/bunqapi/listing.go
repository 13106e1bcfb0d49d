package bunqapi

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/bankhook/bankhook/bunq"
)

// Listing limits.
const (
	// pageSize is the count asked per page: bunq's maximum (its default
	// is 10).
	pageSize = 200
	// maxPages bounds a listing, against a server whose older_url never
	// ends.
	maxPages = 10_000
)

// listAll reads the whole listing at path: it GETs path?count=200, hands
// each verified answer to page, which returns the answer's Pagination,
// and follows Pagination.older_url until a page has none. A page link
// that leaves the listing (another path, host or parameter) or comes
// round again is refused, as is an answer whose signature does not
// verify: a forged page cannot hide entries or send the session token
// elsewhere. Any error ends the listing: the caller must not use what
// page collected.
func (c *Client) listAll(ctx context.Context, path string, page func(body []byte) (bunq.Pagination, error)) error {
	next := fmt.Sprintf("%s?count=%d", path, pageSize)
	seenPages := map[string]bool{}
	for pages := 0; next != ""; pages++ {
		if pages == maxPages {
			return fmt.Errorf("%w to GET %s: more than %d pages", ErrResponse, path, maxPages)
		}
		seenPages[next] = true
		resp, err := c.do(ctx, request{method: http.MethodGet, path: next, auth: authSession})
		if err != nil {
			return err
		}
		p, err := page(resp.body)
		if err != nil {
			return fmt.Errorf("%w to GET %s: %w", ErrResponse, path, err)
		}
		next = ""
		if older := p.OlderURL; older != "" {
			if next, err = checkPageURL(older, path); err != nil {
				return fmt.Errorf("%w to GET %s: Pagination.older_url: %v", ErrResponse, path, err)
			}
			if seenPages[next] {
				return fmt.Errorf("%w to GET %s: Pagination.older_url leads back to a page already read", ErrResponse, path)
			}
		}
	}
	return nil
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
