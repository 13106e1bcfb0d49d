package bunq

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNotificationFilterURLBody(t *testing.T) {
	tests := []struct {
		name    string
		filters []NotificationFilterURL
		opts    FilterOptions
		want    string
		wantErr string
	}{
		{"remove all", nil, FilterOptions{}, `{"notification_filters":[]}`, ""},
		{"two", []NotificationFilterURL{
			{Category: CategoryPayment, NotificationTarget: "https://example.com/bunq?token=s3cret"},
			{Category: CategoryMutation, NotificationTarget: "https://example.com/bunq?token=s3cret"},
		}, FilterOptions{}, `{"notification_filters":[{"category":"PAYMENT","notification_target":"https://example.com/bunq?token=s3cret"},{"category":"MUTATION","notification_target":"https://example.com/bunq?token=s3cret"}]}`, ""},
		{"http refused without echoing the token", []NotificationFilterURL{{Category: CategoryPayment, NotificationTarget: "http://example.com/?token=s3cret"}},
			FilterOptions{}, "", `bunq: notification_filters[0]: bunq: notification_target with scheme "http": bunq requires https`},
		{"no host", []NotificationFilterURL{{Category: CategoryPayment, NotificationTarget: "https:///path"}}, FilterOptions{}, "", "has no host"},
		{"empty target", []NotificationFilterURL{{Category: CategoryPayment}}, FilterOptions{}, "", "notification_target is empty"},
		{"unknown category", []NotificationFilterURL{{Category: "CARD_DISPUTE", NotificationTarget: "https://x"}}, FilterOptions{}, "", "unknown category"},
		{"newer category allowed", []NotificationFilterURL{{Category: "CARD_DISPUTE", NotificationTarget: "https://x"}},
			FilterOptions{ExtraCategories: []Category{"CARD_DISPUTE"}}, `{"notification_filters":[{"category":"CARD_DISPUTE","notification_target":"https://x"}]}`, ""},
		{"malformed extra category", nil, FilterOptions{ExtraCategories: []Category{"card tokens"}}, "", `ExtraCategories[0] "card tokens"`},
		{"duplicate", []NotificationFilterURL{{CategoryPayment, "https://x"}, {CategoryPayment, "https://x"}}, FilterOptions{}, "", "notification_filters[1]: bunq: duplicate of notification_filters[0]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := NotificationFilterURLBody(tc.filters, tc.opts)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				assert.NotContains(t, err.Error(), "s3cret")
				return
			}
			require.NoError(t, err)
			assert.JSONEq(t, tc.want, string(got))
		})
	}
	_, err := NotificationFilterURLBody([]NotificationFilterURL{{Category: "NEW", NotificationTarget: "https://x"}}, FilterOptions{})
	assert.True(t, errors.Is(err, ErrUnknownCategory))
}

func TestNotificationFilterPushBody(t *testing.T) {
	got, err := NotificationFilterPushBody([]NotificationFilterPush{{CategoryScheduleResult}}, FilterOptions{})
	require.NoError(t, err)
	assert.Equal(t, `{"notification_filters":[{"category":"SCHEDULE_RESULT"}]}`, string(got))
	got, err = NotificationFilterPushBody(nil, FilterOptions{})
	require.NoError(t, err)
	assert.Equal(t, `{"notification_filters":[]}`, string(got))
	_, err = NotificationFilterPushBody([]NotificationFilterPush{{""}}, FilterOptions{})
	assert.ErrorIs(t, err, ErrUnknownCategory)
	_, err = NotificationFilterPushBody([]NotificationFilterPush{{CategoryChat}, {CategoryChat}}, FilterOptions{})
	assert.ErrorContains(t, err, "duplicate")
}

func TestNotificationFiltersBody(t *testing.T) {
	tests := []struct {
		name    string
		filters []NotificationFilter
		want    string
		wantErr string
	}{
		{"url and push", []NotificationFilter{
			{NotificationDeliveryMethod: DeliveryURL, NotificationTarget: "https://example.com/cb", Category: CategoryRequest},
			{NotificationDeliveryMethod: DeliveryPush, Category: CategoryPayment},
		}, `{"notification_filters":[{"notification_delivery_method":"URL","notification_target":"https://example.com/cb","category":"REQUEST"},{"notification_delivery_method":"PUSH","notification_target":null,"category":"PAYMENT"}]}`, ""},
		{"remove all", []NotificationFilter{}, `{"notification_filters":[]}`, ""},
		{"push with target", []NotificationFilter{{NotificationDeliveryMethod: DeliveryPush, NotificationTarget: "https://x", Category: CategoryPayment}}, "", "PUSH filter has no notification_target"},
		{"url without https", []NotificationFilter{{NotificationDeliveryMethod: DeliveryURL, NotificationTarget: "ftp://x", Category: CategoryPayment}}, "", "requires https"},
		{"bad method", []NotificationFilter{{NotificationDeliveryMethod: "EMAIL", Category: CategoryPayment}}, "", `"EMAIL": want URL or PUSH`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := NotificationFiltersBody(tc.filters, FilterOptions{})
			if tc.wantErr != "" {
				assert.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(got))
		})
	}
}
