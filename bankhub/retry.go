package bankhub

import (
	"time"

	"github.com/bankhook/bankhook"
)

// RetrySchedule returns how bankHub redelivers a webhook that was not
// acknowledged: an answer other than 2xx, or none within 30 seconds,
// counts as failed, and bankHub tries again, 17 attempts in all within
// 24 hours, spaced by the Fibonacci sequence. It is plain data: hooktest
// replays it, and a user who learns better numbers can change the copy
// they get: each call returns a new policy with a Delays slice of its own.
//
// bankHub's document gives these points:
//
//	retry      1    2    4    6    16
//	"interval" 30s  1m   3m   8m   453m
//
// and they cannot all hold. Read as the wait before each retry, a Fibonacci
// continuation of 30s, 1m, (2m), 3m, (5m), 8m waits 987m before retry 16,
// and the waits add up to 0.5 + (1+2+3+5+…+987) = 0.5 + 2582 = 2582.5
// minutes, about 43 hours: more than the documented 24. Read as the time of
// each retry since the first attempt, the points are 0.5, 1, 2, 3, 5, 8,
// 13, …, 610, 987 minutes, and retry 16 comes at 987 minutes = 16 h 27 min,
// inside the 24 hours; a 17th retry would come at 1597 minutes = 26 h 37 min,
// outside them. So this schedule takes the second reading: "17 attempts"
// are the first delivery and 16 retries (the document's table also stops
// at retry 16), at 30 s and then 1, 2, 3, 5, 8, … 987 minutes after the
// first attempt. The waits between attempts, in Delays, are the
// differences: 30s, 30s, 1m, 1m, 2m, 3m, 5m, …, 377m. The document's 453
// minutes for retry 16 fits neither reading: it is no Fibonacci number
// (the sequence goes 377, 610, 987), and 453 minutes after the first
// attempt would fall between retries 14 and 15; it is taken for an error
// in the document.
func RetrySchedule() bankhook.RetryPolicy {
	return bankhook.RetryPolicy{
		Name: "bankhub",
		Delays: []time.Duration{
			30 * time.Second,  // retry 1 at 0.5 min
			30 * time.Second,  // retry 2 at 1 min
			1 * time.Minute,   // retry 3 at 2 min
			1 * time.Minute,   // retry 4 at 3 min
			2 * time.Minute,   // retry 5 at 5 min
			3 * time.Minute,   // retry 6 at 8 min
			5 * time.Minute,   // retry 7 at 13 min
			8 * time.Minute,   // retry 8 at 21 min
			13 * time.Minute,  // retry 9 at 34 min
			21 * time.Minute,  // retry 10 at 55 min
			34 * time.Minute,  // retry 11 at 89 min
			55 * time.Minute,  // retry 12 at 144 min
			89 * time.Minute,  // retry 13 at 233 min
			144 * time.Minute, // retry 14 at 377 min
			233 * time.Minute, // retry 15 at 610 min
			377 * time.Minute, // retry 16 at 987 min = 16 h 27 min
		},
		Timeout: 30 * time.Second,
	}
}
