package bunq

import (
	"errors"
	"fmt"
	"net/url"

	"github.com/go-json-experiment/json"
)

// NotificationFilterURL subscribes a callback URL to a category, through
// bunq's notification-filter-url resource. NotificationTarget must be an
// https URL; put a secret token in its query to have the receiver check it.
type NotificationFilterURL struct {
	Category           Category `json:"category"`            // the category subscribed to
	NotificationTarget string   `json:"notification_target"` // the https URL bunq calls back
}

// NotificationFilterPush subscribes the user's phone to push notifications
// of a category, through bunq's notification-filter-push resource.
type NotificationFilterPush struct {
	Category Category `json:"category"` // the category subscribed to
}

// DeliveryMethod is how a legacy [NotificationFilter] delivers.
type DeliveryMethod string

// The delivery methods of legacy notification filters.
const (
	DeliveryURL  DeliveryMethod = "URL"  // an HTTPS callback to NotificationTarget
	DeliveryPush DeliveryMethod = "PUSH" // a push notification to the user's phone
)

// NotificationFilter is the legacy form of a subscription, set in the
// notification_filters field of a user-person, user-company,
// monetary-account or cash-register object, and listed with a failed
// callback. NotificationTarget is the https URL for [DeliveryURL] and empty
// for [DeliveryPush].
type NotificationFilter struct {
	NotificationDeliveryMethod DeliveryMethod `json:"notification_delivery_method"` // DeliveryURL or DeliveryPush
	NotificationTarget         string         `json:"notification_target"`          // https callback URL for URL; empty for PUSH
	Category                   Category       `json:"category"`                     // the category the filter matches
}

// FilterOptions adjusts how the filter body builders validate. The zero
// value accepts only the categories in [Categories].
type FilterOptions struct {
	// ExtraCategories are categories bunq introduced after this package was
	// written; filters may use them in addition to [Categories]. Each must
	// be upper-case letters, digits and underscores. Default none.
	ExtraCategories []Category
}

// ErrUnknownCategory is wrapped by the filter body builders for a category
// that is neither known nor in FilterOptions.ExtraCategories.
var ErrUnknownCategory = errors.New("bunq: unknown category")

// NotificationFilterURLBody returns the request body that sets the URL
// notification filters of a user (POST …/notification-filter-url):
//
//	{"notification_filters":[{"category":"PAYMENT","notification_target":"https://…"}]}
//
// No filters gives {"notification_filters":[]}, which removes every URL
// callback. Each filter must name a known category (see [FilterOptions])
// and an https URL with a host; an exact duplicate is refused. Errors name
// the filter by its index and never repeat the URL's query, which may hold
// a secret.
func NotificationFilterURLBody(filters []NotificationFilterURL, opts FilterOptions) ([]byte, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	seen := make(map[NotificationFilterURL]int, len(filters))
	for i, f := range filters {
		if err := opts.checkCategory(f.Category); err != nil {
			return nil, filterError(i, err)
		}
		if err := checkTarget(f.NotificationTarget); err != nil {
			return nil, filterError(i, err)
		}
		if j, dup := seen[f]; dup {
			return nil, filterError(i, fmt.Errorf("bunq: duplicate of notification_filters[%d]", j))
		}
		seen[f] = i
	}
	return filtersBody(nonNil(filters))
}

// NotificationFilterPushBody returns the request body that sets the push
// notification filters of a user (POST …/notification-filter-push):
//
//	{"notification_filters":[{"category":"SCHEDULE_RESULT"}]}
//
// No filters gives {"notification_filters":[]}, which removes them all.
// Each category must be known (see [FilterOptions]) and appear once.
func NotificationFilterPushBody(filters []NotificationFilterPush, opts FilterOptions) ([]byte, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	seen := make(map[Category]int, len(filters))
	for i, f := range filters {
		if err := opts.checkCategory(f.Category); err != nil {
			return nil, filterError(i, err)
		}
		if j, dup := seen[f.Category]; dup {
			return nil, filterError(i, fmt.Errorf("bunq: duplicate of notification_filters[%d]", j))
		}
		seen[f.Category] = i
	}
	return filtersBody(nonNil(filters))
}

// legacyFilter is the wire form of a NotificationFilter: a PUSH filter's
// target is null, as bunq expects.
type legacyFilter struct {
	NotificationDeliveryMethod DeliveryMethod `json:"notification_delivery_method"`
	NotificationTarget         *string        `json:"notification_target"`
	Category                   Category       `json:"category"`
}

// NotificationFiltersBody returns the legacy request body that sets the
// notification filters of a user-person, user-company, monetary-account
// or cash-register object (PUT on that object):
//
//	{"notification_filters":[{"notification_delivery_method":"URL","notification_target":"https://…","category":"MUTATION"}]}
//
// No filters gives {"notification_filters":[]}, which removes them all. A
// URL filter needs an https target; a PUSH filter must have none (it is
// sent as null). Categories are checked as in [NotificationFilterURLBody].
func NotificationFiltersBody(filters []NotificationFilter, opts FilterOptions) ([]byte, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	wire := make([]legacyFilter, 0, len(filters))
	seen := make(map[NotificationFilter]int, len(filters))
	for i, f := range filters {
		if err := opts.checkCategory(f.Category); err != nil {
			return nil, filterError(i, err)
		}
		w := legacyFilter{NotificationDeliveryMethod: f.NotificationDeliveryMethod, Category: f.Category}
		switch f.NotificationDeliveryMethod {
		case DeliveryURL:
			if err := checkTarget(f.NotificationTarget); err != nil {
				return nil, filterError(i, err)
			}
			w.NotificationTarget = &filters[i].NotificationTarget
		case DeliveryPush:
			if f.NotificationTarget != "" {
				return nil, filterError(i, errors.New("bunq: a PUSH filter has no notification_target"))
			}
		default:
			return nil, filterError(i, fmt.Errorf("bunq: notification_delivery_method %q: want URL or PUSH", f.NotificationDeliveryMethod))
		}
		if j, dup := seen[f]; dup {
			return nil, filterError(i, fmt.Errorf("bunq: duplicate of notification_filters[%d]", j))
		}
		seen[f] = i
		wire = append(wire, w)
	}
	return filtersBody(wire)
}

func filtersBody[T any](filters []T) ([]byte, error) {
	return json.Marshal(struct {
		NotificationFilters []T `json:"notification_filters"`
	}{filters})
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func filterError(i int, err error) error {
	return fmt.Errorf("bunq: notification_filters[%d]: %w", i, err)
}

func (o FilterOptions) validate() error {
	for i, c := range o.ExtraCategories {
		if !wellFormedCategory(c) {
			return fmt.Errorf("bunq: FilterOptions.ExtraCategories[%d] %q: want upper-case letters, digits and underscores", i, c)
		}
	}
	return nil
}

func (o FilterOptions) checkCategory(c Category) error {
	if c.Known() {
		return nil
	}
	for _, x := range o.ExtraCategories {
		if c == x {
			return nil
		}
	}
	if c == "" {
		return fmt.Errorf("%w: category is empty", ErrUnknownCategory)
	}
	return fmt.Errorf("%w %.40q (list it in FilterOptions.ExtraCategories if bunq added it)", ErrUnknownCategory, c)
}

func wellFormedCategory(c Category) bool {
	if c == "" || len(c) > 64 {
		return false
	}
	for i := 0; i < len(c); i++ {
		if ch := c[i]; !('A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9' || ch == '_') {
			return false
		}
	}
	return true
}

// checkTarget requires an absolute https URL with a host. Its error shows
// the scheme and host only: the query may hold a secret token.
func checkTarget(target string) error {
	if target == "" {
		return errors.New("bunq: notification_target is empty")
	}
	u, err := url.Parse(target)
	if err != nil {
		return errors.New("bunq: notification_target is not a valid URL")
	}
	if u.Scheme != "https" {
		return fmt.Errorf("bunq: notification_target with scheme %.10q: bunq requires https", u.Scheme)
	}
	if u.Host == "" || u.Hostname() == "" {
		return errors.New("bunq: notification_target has no host")
	}
	return nil
}
