package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json"

	"github.com/bankhook/bankhook/bunq"
)

const bunqFailuresUsage = `Usage: bankhook bunq failures [flags]

Lists the callbacks bunq gave up on after its sixth attempt, newest first,
one a line: ID<TAB>CREATED<TAB>CATEGORY<TAB>EVENT_TYPE<TAB>OBJECT_ID<TAB>TARGET.
With --json, one JSON object a line with bunq's field names: id, created,
category, event_type, object_id, notification_target. TARGET is the URL the
callback failed on (the one of its filters when bunq does not list it; -,
or "" in JSON, when unknown), printed in full: its query may hold the
receiver's token. Re-send them with bankhook bunq retry.
`

// bunqFailures is bankhook bunq failures.
func bunqFailures(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	b := newBunqRun("failures", bunqFailuresUsage, stdout, stderr)
	asJSON := b.fs.Bool("json", false, "one JSON object a line")
	if _, code, ok := b.parse(args, 0); !ok {
		return code
	}
	c, err := b.client()
	if err != nil {
		return b.fail(err)
	}
	failures, err := c.ListFailures(ctx)
	if err != nil {
		return b.fail(err)
	}
	for _, f := range failures {
		if !*asJSON {
			target := cmp.Or(f.Target(), "-")
			fmt.Fprintf(stdout, "%d\t%s\t%s\t%s\t%d\t%s\n", f.ID, f.Created, f.Category, f.EventType, f.ObjectID, target)
			continue
		}
		line, err := json.Marshal(struct {
			ID        int64          `json:"id"`
			Created   string         `json:"created"`
			Category  bunq.Category  `json:"category"`
			EventType bunq.EventType `json:"event_type"`
			ObjectID  int64          `json:"object_id"`
			Target    string         `json:"notification_target"`
		}{f.ID, f.Created.String(), f.Category, f.EventType, f.ObjectID, f.Target()})
		if err != nil {
			return b.fail(err)
		}
		fmt.Fprintf(stdout, "%s\n", line)
	}
	return exitOK
}

const bunqRetryUsage = `Usage: bankhook bunq retry [flags] (--all | ID...)

Has bunq send failed callbacks again, in requests of at most 100 ids:
those given, or with --all every one listed, in one pass. Prints how many
ids went in how many requests. bunq refuses a whole request when one of
its ids is no longer listed (re-sent or re-delivered meanwhile): such
stale ids are found by splitting the request, listed on a line of their
own ("stale: …") and left out; every other id is re-sent all the same,
and the exit status is 0. bunq delivers them to the URLs they failed on;
a receiver with dedupe handles an event it had handled before only once.
`

// bunqRetry is bankhook bunq retry.
func bunqRetry(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	b := newBunqRun("retry", bunqRetryUsage, stdout, stderr)
	all := b.fs.Bool("all", false, "re-send every failed callback bunq lists")
	positional, code, ok := b.parse(args, -1)
	if !ok {
		return code
	}
	switch {
	case *all && len(positional) > 0:
		return b.usage("give --all or IDs, not both")
	case !*all && len(positional) == 0:
		return b.usage("missing --all or the IDs to re-send")
	}
	ids, err := parseIDs(positional, "failure")
	if err != nil {
		return b.usage("%v", err)
	}
	c, err := b.client()
	if err != nil {
		return b.fail(err)
	}
	if *all {
		failures, err := c.ListFailures(ctx)
		if err != nil {
			return b.fail(err)
		}
		for _, f := range failures {
			ids = append(ids, f.ID)
		}
	}
	res, err := c.RetryFailures(ctx, ids)
	n := len(res.Resent)
	fmt.Fprintf(stdout, "re-sent %d %s in %d %s\n", n, plural(n, "failure"), res.Requests, plural(res.Requests, "request"))
	if len(res.Stale) > 0 {
		fmt.Fprintf(stdout, "stale: %d %s no longer listed by bunq (re-sent or re-delivered meanwhile): %s\n",
			len(res.Stale), plural(len(res.Stale), "failure"), joinIDs(res.Stale))
	}
	if err != nil {
		return b.fail(fmt.Errorf("after %d of %d: %w", n+len(res.Stale), len(ids), err))
	}
	return exitOK
}

// joinIDs writes ids comma-separated: "25,24,17".
func joinIDs(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, ",")
}
