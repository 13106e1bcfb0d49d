package bunq

import (
	"os"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// What each of bunq's documents lists, transcribed by hand. The tests below
// keep the constants in step with these lists: a category or event type
// bunq adds to a document is added here first, and the tests then say
// which constant is missing. The package documentation ("Where the lists
// come from") describes the same sources.

// docSource is one document and the categories it lists.
type docSource struct {
	name       string
	categories []Category
}

var categorySources = []docSource{
	{
		// doc.bunq.com "Callbacks" (seeds 000 and 001); DESCRIPTION.md in
		// github.com/bunq/doc.
		name: `API documentation, "Callback categories" table`,
		categories: []Category{
			"BILLING", "CARD_TRANSACTION_SUCCESSFUL", "CARD_TRANSACTION_FAILED", "CHAT", "DRAFT_PAYMENT",
			"IDEAL", "SOFORT", "MUTATION", "OAUTH", "PAYMENT", "REQUEST", "SCHEDULE_RESULT", "SCHEDULE_STATUS",
			"SHARE", "TAB_RESULT", "BUNQME_TAB", "SUPPORT",
		},
	},
	{
		// generated.json in github.com/bunq/doc, components.schemas.
		// NotificationFilter.properties.category: "Possible choices are …".
		// The NotificationFilter models of bunq/sdk_python
		// (bunq/sdk/model/generated/object_.py) and bunq/sdk_java
		// (NotificationFilterObject.java) carry the same sentence.
		name: "OpenAPI description, NotificationFilter.category",
		categories: []Category{
			"BILLING", "CARD_TRANSACTION_FAILED", "CARD_TRANSACTION_SUCCESSFUL", "CHAT", "DRAFT_PAYMENT",
			"IDEAL", "SOFORT", "MONETARY_ACCOUNT_PROFILE", "MUTATION", "PAYMENT", "PROMOTION", "REQUEST",
			"SCHEDULE_RESULT", "SCHEDULE_STATUS", "SHARE", "SUPPORT", "TAB_RESULT", "USER_APPROVAL",
		},
	},
	{
		// doc.bunq.com user provisioning, "Chapter 4 Webhooks / Callbacks"
		// (seed 003): the NotificationUrl table and the example body.
		name:       "user provisioning, Chapter 4 Webhooks / Callbacks",
		categories: []Category{"USER_INFORMATION_INQUIRY", "PARTNER_USER_PROVISION"},
	},
	{
		// doc.bunq.com user provisioning, "Chapter 4: Webhooks" (revision of
		// 2026-02-24), the "Callback Categories" tables; their event types
		// are in eventSources.
		name: "user provisioning, Chapter 4: Webhooks, Callback Categories",
		categories: []Category{
			"PARTNER_USER_PROVISION", "USER_ONBOARDING", "USER_INFORMATION_INQUIRY", "SUPPORT",
			"MUTATION", "PAYMENT", "CARD_TRANSACTION_SUCCESSFUL", "CARD_TRANSACTION_FAILED",
			"CARD_TRANSACTION_UPDATED", "CARD_TRANSACTION_REFUND", "CARD", "CARD_TOKENIZATION", "REQUEST",
		},
	},
	{
		// partner-api-swagger.yaml in github.com/bunq/partner-mcp: the
		// category enum of POST /user/{userId}/notification-filter-url, and
		// the categories of its "webhooks" section.
		name: "Partner API description, notification-filter-url and webhooks",
		categories: []Category{
			"PARTNER_USER_PROVISION", "USER_ONBOARDING", "USER_INFORMATION_INQUIRY", "PAYMENT", "CARD",
			"CARD_TRANSACTION_SUCCESSFUL", "CARD_TRANSACTION_FAILED", "MUTATION", "MASTERCARD_IDENTITY_CHECK",
		},
	},
}

// eventSource is one document and the event types it shows, by category.
type eventSource struct {
	name   string
	events map[Category][]EventType
}

var eventSources = []eventSource{
	{
		// doc.bunq.com user provisioning, "Chapter 4: Webhooks" (revision of
		// 2026-02-24): each row of the "Callback Categories" tables.
		name: "user provisioning, Chapter 4: Webhooks, Callback Categories",
		events: map[Category][]EventType{
			"PARTNER_USER_PROVISION": {"PARTNER_USER_PROVISION_PROCESS_UPDATED"},
			"USER_ONBOARDING":        {"USER_ONBOARDING_UPDATED"},
			"USER_INFORMATION_INQUIRY": {
				"USER_INFORMATION_INQUIRY_EXPECTING_REPLY_FROM_USER",
				"USER_INFORMATION_INQUIRY_EXPECTING_REPLY_FROM_BUNQ",
				"USER_INFORMATION_INQUIRY_FINALIZED",
			},
			"SUPPORT":  {"SUPPORT_MESSAGE_USER_TEXT_RECEIVED"},
			"MUTATION": {"MUTATION_CREATED", "MUTATION_RECEIVED"},
			"PAYMENT": {
				"PAYMENT_CREATED", "PAYMENT_RECEIVED", "PAYMENT_CLAIMED", "PAYMENT_REJECTED",
				"PAYMENT_REVOKED", "PAYMENT_EXPIRED", "PAYMENT_BATCH_CREATED", "PAYMENT_BATCH_REVOKED",
			},
			"CARD_TRANSACTION_SUCCESSFUL": {
				"CARD_PAYMENT_ALLOWED", "CARD_WITHDRAWAL_ALLOWED", "CARD_REVERSAL_ALLOWED",
				"CARD_RESERVATION_ALLOWED", "CARD_RESERVATION_FINALIZED",
			},
			"CARD_TRANSACTION_FAILED":  {"CARD_TRANSACTION_NOT_ALLOWED"},
			"CARD_TRANSACTION_UPDATED": {"CARD_PAYMENT_UPDATED", "CARD_PAYMENT_SETTLED"},
			"CARD_TRANSACTION_REFUND":  {"CARD_TRANSACTION_REFUND_APPROVED", "CARD_TRANSACTION_REFUND_DENIED"},
			"CARD":                     {"CARD_UPDATED"},
			"CARD_TOKENIZATION": {
				"CARD_TOKEN_ACTIVATED", "CARD_TOKEN_SUSPENDED", "CARD_TOKEN_DELETED", "CARD_TOKEN_UPDATED",
			},
			"REQUEST": {
				"REQUEST_INQUIRY_CREATED", "REQUEST_INQUIRY_ACCEPTED", "REQUEST_INQUIRY_REJECTED",
				"REQUEST_INQUIRY_REVOKED", "REQUEST_INQUIRY_EXPIRED", "REQUEST_RESPONSE_CREATED",
				"REQUEST_RESPONSE_ACCEPTED", "REQUEST_RESPONSE_REJECTED", "REQUEST_RESPONSE_REVOKED",
				"REQUEST_RESPONSE_EXPIRED", "REQUEST_RESPONSE_REFUND_REQUESTED", "REQUEST_RESPONSE_REFUNDED",
			},
		},
	},
	{
		// partner-api-swagger.yaml in github.com/bunq/partner-mcp, the
		// "webhooks" section: each webhook's category and event type, and
		// the related event types MASTERCARD_IDENTITY_CHECK lists.
		name: "Partner API description, webhooks",
		events: map[Category][]EventType{
			"PARTNER_USER_PROVISION": {"PARTNER_USER_PROVISION_PROCESS_UPDATED"},
			"USER_ONBOARDING":        {"USER_ONBOARDING_UPDATED"},
			"USER_INFORMATION_INQUIRY": {
				"USER_INFORMATION_INQUIRY_EXPECTING_REPLY_FROM_USER",
				"USER_INFORMATION_INQUIRY_EXPECTING_REPLY_FROM_BUNQ",
				"USER_INFORMATION_INQUIRY_FINALIZED",
			},
			"PAYMENT":                     {"PAYMENT_CREATED", "PAYMENT_RECEIVED"},
			"CARD":                        {"CARD_UPDATED"},
			"CARD_TRANSACTION_SUCCESSFUL": {"CARD_PAYMENT_ALLOWED"},
			"CARD_TRANSACTION_FAILED":     {"CARD_TRANSACTION_NOT_ALLOWED"},
			"MUTATION":                    {"MUTATION_CREATED"},
			"MASTERCARD_IDENTITY_CHECK": {
				"MASTERCARD_IDENTITY_CHECK_CHALLENGE_CREATED", "MASTERCARD_IDENTITY_CHECK_CHALLENGE_REJECTED",
				"MASTERCARD_IDENTITY_CHECK_CHALLENGE_FAILED", "MASTERCARD_IDENTITY_CHECK_CHALLENGE_EXPIRED",
			},
		},
	},
	{
		// The callback bodies of bunq/sdk_python,
		// tests/assets/NotificationUrlJsons/*.json (bunq/sdk_java's test
		// assets hold the same bodies). Some pair an object with an unlikely
		// category; the event type is what counts here.
		name: "SDK test assets, NotificationUrlJsons",
		events: map[Category][]EventType{
			"BUNQME_TAB":      {"BUNQME_TAB_CREATED"},
			"DRAFT_PAYMENT":   {"DRAFT_PAYMENT_ACCEPTED"},
			"MUTATION":        {"MUTATION_CREATED"},
			"PAYMENT":         {"PAYMENT_BATCH_CREATED"},
			"REQUEST":         {"REQUEST_INQUIRY_ACCEPTED"},
			"SCHEDULE_STATUS": {"SCHEDULE_INSTANCE_PAYMENT_BATCH_SUCCEEDED"},
			"SCHEDULE_RESULT": {"SCHEDULE_DEFINITION_PAYMENT_BATCH_CANCELLED"},
			"SHARE":           {"SHARE_INVITE_BANK_INQUIRY_ACCEPTED"},
		},
	},
	{
		// No bunq document: the event type integrations that take payments
		// through bunq.me wait for (for example the bunq-for-woocommerce
		// plugin, github.com/patrickkivits/bunq-for-woocommerce), with a
		// BunqMeTabResultInquiry object.
		name:   "seen in integrations",
		events: map[Category][]EventType{"BUNQME_TAB": {"BUNQME_TAB_RESULT_INQUIRY_CREATED"}},
	},
}

// TestCategoriesMatchSources: every category a document lists is a
// constant in Categories, and Categories holds nothing no document lists.
func TestCategoriesMatchSources(t *testing.T) {
	documented := map[Category][]string{}
	for _, src := range categorySources {
		for _, c := range src.categories {
			documented[c] = append(documented[c], src.name)
		}
	}
	for _, src := range eventSources {
		for c := range src.events {
			documented[c] = append(documented[c], src.name)
		}
	}
	for c, srcs := range documented {
		assert.True(t, c.Known(), "%s, listed by %q, is missing from Categories", c, srcs)
	}
	for _, c := range Categories() {
		assert.NotEmpty(t, documented[c], "Categories holds %s, which no source lists", c)
	}
}

// TestEventTypesMatchSources: every event type a document shows is a
// constant in EventTypes, and every constant is shown by a document.
func TestEventTypesMatchSources(t *testing.T) {
	documented := map[EventType][]string{}
	for _, src := range eventSources {
		for c, events := range src.events {
			require.True(t, wellFormedCategory(c), "%s: category %q", src.name, c)
			for _, e := range events {
				documented[e] = append(documented[e], src.name+" ("+string(c)+")")
			}
		}
	}
	for e, srcs := range documented {
		assert.True(t, e.Known(), "%s, shown by %q, is missing from EventTypes", e, srcs)
	}
	for _, e := range EventTypes() {
		assert.NotEmpty(t, documented[e], "EventTypes holds %s, which no source shows", e)
	}
}

// TestDocumentedCategoriesSubscribe: a filter for any documented category
// is accepted with the zero FilterOptions, by each filter body builder.
func TestDocumentedCategoriesSubscribe(t *testing.T) {
	for _, c := range Categories() {
		t.Run(string(c), func(t *testing.T) {
			_, err := NotificationFilterURLBody([]NotificationFilterURL{{Category: c, NotificationTarget: "https://hooks.example.com/bunq"}}, FilterOptions{})
			assert.NoError(t, err)
			_, err = NotificationFilterPushBody([]NotificationFilterPush{{Category: c}}, FilterOptions{})
			assert.NoError(t, err)
			_, err = NotificationFiltersBody([]NotificationFilter{{NotificationDeliveryMethod: DeliveryPush, Category: c}}, FilterOptions{})
			assert.NoError(t, err)
		})
	}
}

// TestPackageDocListsCategories: the table in the package documentation
// has a row for every category, in the order of Categories.
func TestPackageDocListsCategories(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	require.NoError(t, err)
	var rows []Category
	for _, m := range regexp.MustCompile(`(?m)^//\t([A-Z][A-Z0-9_]+) {2,}`).FindAllSubmatch(doc, -1) {
		rows = append(rows, Category(m[1]))
	}
	assert.Equal(t, Categories(), rows)
}
