package bunq

import (
	"strings"
	"testing"

	"github.com/bankhook/bankhook"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// failureListing is the failed-callback listing of bunq's documentation.
const failureListing = `{
    "Response": [
        {
            "NotificationFilterFailure": {
                "id": 1,
                "created": "2023-05-22 06:47:22.043906",
                "updated": "2023-05-22 06:47:22.043906",
                "category": "MUTATION",
                "event_type": "MUTATION_CREATED",
                "object_id": 1278,
                "notification_filters": [
                    {"notification_delivery_method": "URL", "notification_target": "https://coolbank.com/notification", "category": "MUTATION"},
                    {"notification_delivery_method": "URL", "notification_target": "https://coolbank.com/notification", "category": "CARD_TRANSACTION_SUCCESSFUL"}
                ]
            }
        }
    ],
    "Pagination": {
        "future_url": "/v1/user/762/notification-filter-failure?newer_id=1",
        "newer_url": null,
        "older_url": null
    }
}`

func TestDecodeFailureListing(t *testing.T) {
	l, err := DecodeFailureListing([]byte(failureListing))
	require.NoError(t, err)
	require.Len(t, l.Failures, 1)
	f := l.Failures[0]
	assert.Equal(t, int64(1), f.ID)
	assert.Equal(t, CategoryMutation, f.Category)
	assert.Equal(t, EventMutationCreated, f.EventType)
	assert.Equal(t, int64(1278), f.ObjectID)
	assert.Equal(t, mustTime(t, "2023-05-22 06:47:22.043906"), f.Created)
	require.Len(t, f.NotificationFilters, 2)
	assert.Equal(t, NotificationFilter{DeliveryURL, "https://coolbank.com/notification", CategoryCardTransactionSuccessful}, f.NotificationFilters[1])
	assert.Equal(t, Pagination{FutureURL: "/v1/user/762/notification-filter-failure?newer_id=1"}, l.Pagination)
	assert.Equal(t, []int64{1}, l.IDs())
	assert.Empty(t, f.NotificationTarget, "not in bunq's example")
	assert.Equal(t, "https://coolbank.com/notification", f.Target(), "the one target of its filters")

	body, err := RetryFailuresBody(l.IDs()...)
	require.NoError(t, err)
	assert.Equal(t, `{"notification_filter_failed_ids":"1"}`, string(body))
}

func TestFailureTarget(t *testing.T) {
	url := func(target string) NotificationFilter {
		return NotificationFilter{NotificationDeliveryMethod: DeliveryURL, NotificationTarget: target, Category: CategoryMutation}
	}
	tests := []struct {
		name string
		f    NotificationFilterFailure
		want string
	}{
		{"listed target", NotificationFilterFailure{NotificationTarget: "https://a/x", NotificationFilters: []NotificationFilter{url("https://b/y")}}, "https://a/x"},
		{"one filter", NotificationFilterFailure{NotificationFilters: []NotificationFilter{url("https://b/y")}}, "https://b/y"},
		{"filters of one target", NotificationFilterFailure{NotificationFilters: []NotificationFilter{url("https://b/y"), url("https://b/y")}}, "https://b/y"},
		{"push filter ignored", NotificationFilterFailure{NotificationFilters: []NotificationFilter{{NotificationDeliveryMethod: DeliveryPush}, url("https://b/y")}}, "https://b/y"},
		{"two targets", NotificationFilterFailure{NotificationFilters: []NotificationFilter{url("https://b/y"), url("https://c/z")}}, ""},
		{"no filters", NotificationFilterFailure{}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.f.Target())
		})
	}
	l, err := DecodeFailureListing([]byte(`{"Response":[{"NotificationFilterFailure":{"id":2,"notification_target":"https://h/bunq?token=t"}}]}`))
	require.NoError(t, err)
	assert.Equal(t, "https://h/bunq?token=t", l.Failures[0].NotificationTarget)
}

func TestDecodeFailureListingEdges(t *testing.T) {
	tests := []struct {
		name, body, path string
		failures         int
	}{
		{"empty page", `{"Response":[],"Pagination":{"future_url":null,"newer_url":null,"older_url":null}}`, "", 0},
		{"empty object", `{}`, "", 0},
		{"other entry", `{"Response":[{"NotificationFilterFailure":{"id":1}},{"Payment":{"id":2}}]}`, "/Response/1", -1},
		{"bad time", `{"Response":[{"NotificationFilterFailure":{"created":"yesterday"}}]}`, "/Response/0/NotificationFilterFailure/created", -1},
		{"array", `[]`, "", -1},
		{"null", `null`, "", -1},
		{"truncated", `{"Response":[`, "/Response", -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := DecodeFailureListing([]byte(tc.body))
			if tc.failures >= 0 {
				require.NoError(t, err)
				assert.Len(t, l.Failures, tc.failures)
				return
			}
			var de *bankhook.DecodeError
			require.ErrorAs(t, err, &de)
			assert.Equal(t, "bunq", de.Provider)
			assert.True(t, strings.HasPrefix(de.Path, tc.path), "path %q want %q", de.Path, tc.path)
		})
	}
}

func TestRetryFailuresBody(t *testing.T) {
	hundred := make([]int64, 100)
	for i := range hundred {
		hundred[i] = int64(i + 1)
	}
	tests := []struct {
		name    string
		ids     []int64
		want    string
		wantErr string
	}{
		{"three", []int64{1, 2, 3}, `{"notification_filter_failed_ids":"1,2,3"}`, ""},
		{"hundred", hundred, "", ""},
		{"none", nil, "", "no failure ids"},
		{"too many", append(hundred, 101), "", "101 failure ids, at most 100"},
		{"zero", []int64{1, 0}, "", "id 0 (position 1) is not positive"},
		{"negative", []int64{-5}, "", "id -5"},
		{"twice", []int64{7, 7}, "", "id 7 given twice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := RetryFailuresBody(tc.ids...)
			if tc.wantErr != "" {
				assert.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			if tc.want != "" {
				assert.Equal(t, tc.want, string(got))
			}
			assert.Contains(t, string(got), `"notification_filter_failed_ids":"1,`)
		})
	}
}
