package bankhook

import (
	"fmt"
	"time"
)

// RetryPolicy is how a bank redelivers an event it did not see
// acknowledged: the first attempt, then one retry after each delay in
// Delays. The banks' own policies are data in their packages
// (bunq.RetrySchedule, bankhub.RetrySchedule); hooktest replays any policy
// on a fake clock.
//
// The zero value is a single attempt with no retries and no timeout.
type RetryPolicy struct {
	// Name labels the policy in reports ("bunq", "bankhub").
	Name string
	// Delays[i] is the wait between attempt i+1 failing and attempt i+2.
	// The policy makes len(Delays)+1 attempts in all.
	Delays []time.Duration
	// Timeout is how long the bank waits for an answer before it counts
	// the attempt as failed. Zero means the bank documents none.
	Timeout time.Duration
}

// Attempts is the number of deliveries the policy makes at most: the first
// one and every retry.
func (p RetryPolicy) Attempts() int { return len(p.Delays) + 1 }

// Span is the time from the first attempt to the start of the last one.
func (p RetryPolicy) Span() time.Duration {
	var d time.Duration
	for _, x := range p.Delays {
		d += x
	}
	return d
}

// Validate reports a policy with a negative delay or timeout.
func (p RetryPolicy) Validate() error {
	for i, d := range p.Delays {
		if d < 0 {
			return fmt.Errorf("bankhook: retry policy %q: delay %d is negative (%v)", p.Name, i+1, d)
		}
	}
	if p.Timeout < 0 {
		return fmt.Errorf("bankhook: retry policy %q: negative timeout %v", p.Name, p.Timeout)
	}
	return nil
}

// Acknowledged reports whether the bank counts status as a successful
// delivery: any 2xx. Everything else, and no answer within Timeout, makes
// the bank retry.
func Acknowledged(status int) bool { return status >= 200 && status <= 299 }
