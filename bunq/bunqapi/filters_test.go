package bunqapi_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook/bunq"
	"github.com/bankhook/bankhook/bunq/bunqapi"
	"github.com/bankhook/bankhook/bunq/bunqtest"
)

// manyFilters returns n filters: two URLs for each category, the first
// of them CARD_DISPUTE, a category bankhook does not know.
func manyFilters(n int) []bunq.NotificationFilterURL {
	cats := append([]bunq.Category{"CARD_DISPUTE"}, bunq.Categories()...)
	out := make([]bunq.NotificationFilterURL, n)
	for i := range out {
		out[i] = bunq.NotificationFilterURL{Category: cats[i/2], NotificationTarget: fmt.Sprintf("https://%c.example/bunq", 'a'+i%2)}
	}
	return out
}

// TestUpdateFiltersKeepsAllPages: 25 filters across 3 pages of 10 (a
// category bankhook does not know among them) are read whole, and a
// change to one URL posts the other filters back unchanged.
func TestUpdateFiltersKeepsAllPages(t *testing.T) {
	srv := standIn(t, bunqtest.Options{PageLimit: 10, ExtraCategories: []bunq.Category{"CARD_DISPUTE"}})
	c, u := setup(t, srv, bunqapi.Options{})
	ctx := context.Background()
	existing := manyFilters(25)
	require.NoError(t, srv.SetFilters(u.ID, 0, existing))

	start := len(srv.Requests())
	got, err := c.ListFilters(ctx)
	require.NoError(t, err)
	assert.Equal(t, existing, got, "every page, in the order the filters were made")
	var queries []string
	for _, r := range srv.Requests()[start:] {
		queries = append(queries, r.Query)
	}
	assert.Equal(t, []string{"count=200", "count=200&older_id=16", "count=200&older_id=6"}, queries, "count=200, then older_url")

	const target = "https://hooks.example/bunq?token=s3cret"
	unused := bunq.Categories()[len(bunq.Categories())-1] // past the 25's
	err = c.UpdateFilters(ctx, func(current []bunq.NotificationFilterURL) []bunq.NotificationFilterURL {
		assert.Len(t, current, 25)
		return append(current, bunq.NotificationFilterURL{Category: unused, NotificationTarget: target})
	})
	require.NoError(t, err)
	want := append(slices.Clone(existing), bunq.NotificationFilterURL{Category: unused, NotificationTarget: target})
	assert.Equal(t, want, srv.Filters(u.ID, 0), "the 25 kept, CARD_DISPUTE too, and the new one")

	t.Run("nothing changed, nothing posted", func(t *testing.T) {
		start := len(srv.Requests())
		require.NoError(t, c.UpdateFilters(ctx, func(current []bunq.NotificationFilterURL) []bunq.NotificationFilterURL { return current }))
		assert.Zero(t, countRequests(srv, start, "POST", "", 200))
	})
	t.Run("identical filters are posted once", func(t *testing.T) {
		require.NoError(t, c.UpdateFilters(ctx, func(current []bunq.NotificationFilterURL) []bunq.NotificationFilterURL {
			return append(current, current[0], current[3])
		}))
		assert.Equal(t, want, srv.Filters(u.ID, 0))
	})
	t.Run("a new filter is still checked", func(t *testing.T) {
		err := c.UpdateFilters(ctx, func(current []bunq.NotificationFilterURL) []bunq.NotificationFilterURL {
			return append(current, bunq.NotificationFilterURL{Category: "LOTTERY_WIN", NotificationTarget: target})
		})
		assert.ErrorIs(t, err, bunq.ErrUnknownCategory)
		assert.Equal(t, want, srv.Filters(u.ID, 0))
	})
	t.Run("a page that fails changes nothing", func(t *testing.T) {
		hook := &hookTransport{before: func(_ int64, r *http.Request) {
			if strings.Contains(r.URL.RawQuery, "older_id=6") {
				r.URL.RawQuery = "count=999" // the stand-in refuses this page
			}
		}}
		flaky, err := bunqapi.Load(saveTo(t, c), bunqapi.Options{HTTPClient: &http.Client{Transport: hook}, Logger: discard})
		require.NoError(t, err)
		start := len(srv.Requests())
		edited := false
		err = flaky.UpdateFilters(ctx, func(current []bunq.NotificationFilterURL) []bunq.NotificationFilterURL {
			edited = true
			return nil
		})
		require.Error(t, err)
		assert.True(t, bunqapi.IsStatus(err, http.StatusBadRequest), "%v", err)
		assert.Contains(t, err.Error(), "the filters were not changed")
		assert.False(t, edited, "edit never saw a partial list")
		assert.Zero(t, countRequests(srv, start, "POST", "", 200))
		assert.Equal(t, want, srv.Filters(u.ID, 0))
		_, err = flaky.ListFilters(ctx)
		assert.Error(t, err, "ListFilters returns no partial list either")
	})
	t.Run("an account's filters", func(t *testing.T) {
		require.NoError(t, c.UpdateAccountFilters(ctx, u.AccountID, func(current []bunq.NotificationFilterURL) []bunq.NotificationFilterURL {
			assert.Empty(t, current)
			return []bunq.NotificationFilterURL{{Category: bunq.CategoryPayment, NotificationTarget: target}}
		}))
		assert.Len(t, srv.Filters(u.ID, u.AccountID), 1)
		assert.ErrorContains(t, c.UpdateAccountFilters(ctx, 0, nil), "not positive")
		assert.ErrorContains(t, c.UpdateFilters(ctx, nil), "edit is nil")
	})
}
