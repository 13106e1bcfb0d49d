package bunq

import (
	"time"

	"github.com/bankhook/bankhook"
)

// ProductionRanges returns the addresses bunq's production environment
// sends callbacks from, as CIDR ranges: today 185.40.108.0/22. bunq's
// sandbox calls from unlisted, changing AWS addresses, so a sandbox
// receiver cannot be restricted by address (use a URL token instead). bunq
// says the addresses may change and that it announces changes in advance:
// keep the allowlist replaceable at run time.
//
// Each call returns a new slice, which the caller may change.
func ProductionRanges() []string {
	return []string{"185.40.108.0/22"}
}

// RetrySchedule returns how bunq redelivers a callback that was not answered
// with a 2xx: up to 5 retries, one minute apart, so 6 attempts within
// about 5 minutes. After the sixth failed attempt bunq stops and lists the
// delivery under notification-filter-failure (see [DecodeFailureListing]),
// from where it can be re-sent by hand ([RetryFailuresBody]).
//
// bunq documents no timeout for an answer, so Timeout is 0.
//
// Each call returns a new policy with a Delays slice of its own, which the
// caller may change.
func RetrySchedule() bankhook.RetryPolicy {
	return bankhook.RetryPolicy{
		Name:    "bunq",
		Delays:  []time.Duration{time.Minute, time.Minute, time.Minute, time.Minute, time.Minute},
		Timeout: 0,
	}
}
